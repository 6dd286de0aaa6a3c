/**
 * Fault injection: 50 items at a time through n8n's engine against a stand-in that misbehaves
 * (rate and concurrency limits, server errors, connections dropped after a Create was accepted,
 * garbage bodies, slow answers, clock skew). Every item must end in success or in a clear error,
 * the stand-in must hold exactly one task per item that asked for one, and no secret may appear
 * in anything the node puts out. A summary line per scenario is printed at the end.
 */
import { LoggerProxy, type INodeExecutionData } from 'n8n-workflow';

import { runKlingNode } from '../../../../helpers/engine';
import { startKlingStandIn, type Fault, type KlingStandIn, type StandInOptions } from '../../../../../stand-in';

const N = 50;
const ACCESS_KEY = 'fault-access-key';
const SECRET_KEY = 'fault-secret-key-Zx81';
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{10,}/;

interface Summary {
	scenario: string;
	faults: number;
	items: number;
	succeeded: number;
	clearErrors: number;
	duplicates: number;
	leaked: number;
}
const summaries: Summary[] = [];

// Everything n8n's logger receives during the runs, to search for secrets.
const logged: string[] = [];
beforeAll(() => {
	const record =
		(level: string) =>
		(message: string, meta?: object) =>
			logged.push(`${level} ${message} ${meta ? JSON.stringify(meta) : ''}`);
	LoggerProxy.init({
		error: record('error'),
		warn: record('warn'),
		info: record('info'),
		debug: record('debug'),
		verbose: record('verbose'),
		scoped: () => LoggerProxy,
	} as unknown as Parameters<typeof LoggerProxy.init>[0]);
});

afterAll(() => {
	const header = ['scenario', 'faults injected', 'items', 'succeeded', 'clear errors', 'duplicates', 'leaked secrets'];
	const rows = summaries.map((s) => [s.scenario, s.faults, s.items, s.succeeded, s.clearErrors, s.duplicates, s.leaked].map(String));
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
	const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
	const total = (key: keyof Summary) => summaries.reduce((sum, s) => sum + (s[key] as number), 0);
	process.stdout.write(
		`\nFault injection (${N} items per scenario)\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n` +
			rows.map(line).join('\n') +
			`\n${line(['TOTAL', ...(['faults', 'items', 'succeeded', 'clearErrors', 'duplicates', 'leaked'] as const).map((k) => String(total(k)))])}\n\n`,
	);
});

interface Scenario {
	standIn?: StandInOptions;
	faults?: Fault[];
	/** Extra faults to count that do not show as errors in the log (slow answers). */
	countSlow?: number;
	parameters?: Record<string, unknown>;
}

function isFaulted(r: KlingStandIn['requests'][number]) {
	if (r.kind === 'download') return false;
	return r.status === 0 || r.status >= 400 || (r.code !== undefined && r.code !== 0) || r.code === undefined;
}

function secretsIn(text: string, tokens: string[]): number {
	let found = 0;
	if (text.includes(SECRET_KEY)) found++;
	if (JWT_PATTERN.test(text)) found++;
	for (const token of tokens) if (token && text.includes(token)) found++;
	return found;
}

/** A clear error names the item, says what happened, and says how to fix it. */
function isClearError(item: INodeExecutionData, index: number): boolean {
	const error = item.error;
	if (!error) return false;
	return (
		error.message.includes(`[item ${index}]`) &&
		error.message.length > 20 &&
		typeof error.description === 'string' &&
		error.description.length > 20
	);
}

async function runScenario(name: string, scenario: Scenario) {
	const standIn = await startKlingStandIn({
		accessKey: ACCESS_KEY,
		secretKey: SECRET_KEY,
		plan: () => ({ completeAfterPolls: 1 }),
		...scenario.standIn,
	});
	try {
		for (const fault of scenario.faults ?? []) standIn.injectFault(fault);
		const logStart = logged.length;
		const { items, error } = await runKlingNode({
			parameters: {
				resource: 'textToVideo',
				operation: 'create',
				model: 'kling-v2-6',
				prompt: '={{ "Clip number " + $json.n }}',
				pollInterval: 1,
				maxWait: 120,
				...scenario.parameters,
			},
			credentials: {
				authentication: 'accessKey',
				accessKey: ACCESS_KEY,
				secretKey: SECRET_KEY,
				region: 'custom',
				baseUrl: standIn.url,
			},
			items: Array.from({ length: N }, (_, n) => ({ json: { n } })),
			continueOnFail: true,
		});

		const succeeded = items.filter((item) => !item.error && item.json.task_status === 'succeed');
		const failed = items.filter((item) => item.error);
		const byExternalId = new Map<string, number>();
		for (const task of standIn.tasks.values()) {
			const key = task.external_task_id ?? task.task_id;
			byExternalId.set(key, (byExternalId.get(key) ?? 0) + 1);
		}
		const duplicates = [...byExternalId.values()].reduce((sum, count) => sum + count - 1, 0);
		const tokens = standIn.requests.map((r) => r.auth.token ?? '').filter(Boolean);
		const output = JSON.stringify({
			items: items.map((item) => ({ json: item.json, error: item.error && { ...item.error, message: item.error.message, description: item.error.description } })),
			error,
			logs: logged.slice(logStart),
		});
		const summary: Summary = {
			scenario: name,
			faults: standIn.requests.filter(isFaulted).length + (scenario.countSlow ?? 0),
			items: items.length,
			succeeded: succeeded.length,
			clearErrors: items.filter(isClearError).length,
			duplicates,
			leaked: secretsIn(output, tokens),
		};
		summaries.push(summary);
		return { items, error, standIn, summary, succeeded, failed };
	} finally {
		await standIn.close();
	}
}

function expectSound(result: Awaited<ReturnType<typeof runScenario>>) {
	const { items, error, summary, standIn } = result;
	expect(error).toBeUndefined();
	expect(items).toHaveLength(N);
	// Every item: a success, or a clear error.
	expect(summary.succeeded + summary.clearErrors).toBe(N);
	// In order, each paired to its input.
	expect(items.map((item) => item.pairedItem)).toEqual(Array.from({ length: N }, (_, item) => ({ item })));
	expect(summary.duplicates).toBe(0);
	// Exactly the tasks that succeeded exist at Kling: none lost, none twice.
	expect(standIn.tasks.size).toBe(summary.succeeded);
	expect(summary.leaked).toBe(0);
}

describe('Fault injection, 50 items per scenario', () => {
	jest.setTimeout(120_000);

	it('bursts of 1302 (rate limit): all items are created, once each', async () => {
		const result = await runScenario('1302 burst', {
			faults: [{ on: 'create', kind: 'error', status: 429, code: 1302, times: 70, retryAfterSec: 1 }],
		});
		expectSound(result);
		expect(result.summary.succeeded).toBe(N);
	});

	it('1303 (concurrency limit of 10 tasks): all 50 are created as slots free up', async () => {
		const result = await runScenario('1303 concurrency', {
			standIn: { maxConcurrentTasks: 10, plan: () => ({ durationMs: 1200 }) },
		});
		expectSound(result);
		expect(result.summary.succeeded).toBe(N);
		expect(result.standIn.requests.some((r) => r.code === 1303)).toBe(true);
	});

	it('5000 server errors on Create and on polls: looked up, never created twice', async () => {
		const result = await runScenario('5000', {
			faults: [
				{ on: 'create', kind: 'error', status: 500, code: 5000, times: 20 },
				{ on: 'get', kind: 'error', status: 500, code: 5000, times: 20 },
			],
		});
		expectSound(result);
		expect(result.summary.succeeded).toBe(N);
	});

	it('connections dropped after Kling accepted the Create: the node finds the task instead of creating another', async () => {
		const result = await runScenario('drop after accept', {
			faults: [{ on: 'create', kind: 'drop-after-accept', times: 25 }],
		});
		expectSound(result);
		expect(result.summary.succeeded).toBe(N);
		expect(result.standIn.tasks.size).toBe(N);
	});

	it('garbage, HTML and empty bodies: retried where they can pass, never a TypeError', async () => {
		const result = await runScenario('garbage bodies', {
			faults: [
				{ on: 'get', kind: 'garbage', times: 15 },
				{ on: 'get', kind: 'html', times: 15 },
				{ on: 'create', kind: 'empty', times: 10 },
				{ on: 'create', kind: 'no-data', times: 10 },
			],
		});
		expectSound(result);
		expect(result.summary.succeeded).toBe(N);
	});

	it('slow answers: every item still completes', async () => {
		const result = await runScenario('slow answers', {
			faults: [{ on: 'any', kind: 'slow', delayMs: 1500, times: 80 }],
			countSlow: 80,
		});
		expectSound(result);
		expect(result.summary.succeeded).toBe(N);
	});

	it('401 code 1004 from clock skew: every item fails clearly, once, and nothing is created', async () => {
		const result = await runScenario('1004 clock skew', { standIn: { clockOffsetSec: 3 * 3600 } });
		expectSound(result);
		expect(result.summary.clearErrors).toBe(N);
		const first = result.items[0].error!;
		expect(first.message).toMatch(/expired.*\(code 1004\)/);
		expect(first.description).toMatch(/clock/);
		// Not retried: one Create per item.
		expect(result.standIn.requests.filter((r) => r.kind === 'create')).toHaveLength(N);
	});

	it('all faults mixed: every item ends created once or with a clear error', async () => {
		const result = await runScenario('mixed', {
			standIn: { maxConcurrentTasks: 25, plan: () => ({ durationMs: 800 }) },
			faults: [
				{ on: 'create', kind: 'error', status: 429, code: 1302, times: 10 },
				{ on: 'create', kind: 'error', status: 500, code: 5000, times: 10 },
				{ on: 'create', kind: 'drop-after-accept', times: 10 },
				{ on: 'get', kind: 'garbage', times: 10 },
				{ on: 'get', kind: 'error', status: 503, code: 5001, times: 10 },
				{ on: 'any', kind: 'slow', delayMs: 800, times: 10 },
			],
			countSlow: 10,
		});
		expectSound(result);
		expect(result.summary.succeeded).toBe(N);
	});
});

describe('Continue On Fail and paired items', () => {
	let standIn: KlingStandIn;
	beforeAll(async () => {
		standIn = await startKlingStandIn({
			accessKey: ACCESS_KEY,
			secretKey: SECRET_KEY,
			plan: (body) => ({ completeAfterPolls: 1, fail: String(body.prompt).includes('forbidden') ? 'Content is not allowed' : undefined }),
		});
	});
	afterAll(async () => await standIn.close());

	it('3 of 10 items fail: 10 outputs, in order, each paired to its input', async () => {
		const prompts = ['a', 'b', '', 'c', 'forbidden scene', 'd', 'e', '   ', 'f', 'g'];
		const { items, error } = await runKlingNode({
			parameters: {
				resource: 'textToVideo',
				operation: 'create',
				prompt: '={{ $json.prompt }}',
				pollInterval: 1,
			},
			credentials: { authentication: 'accessKey', accessKey: ACCESS_KEY, secretKey: SECRET_KEY, region: 'custom', baseUrl: standIn.url },
			items: prompts.map((prompt) => ({ json: { prompt } })),
			continueOnFail: true,
		});
		expect(error).toBeUndefined();
		expect(items).toHaveLength(10);
		expect(items.map((item) => item.pairedItem)).toEqual(prompts.map((_, item) => ({ item })));
		const failedAt = items.map((item, i) => (item.json.error ? i : -1)).filter((i) => i >= 0);
		expect(failedAt).toEqual([2, 4, 7]);
		expect(items[2].json.error).toMatch(/prompt is empty \[item 2\]/);
		expect(items[4].json).toMatchObject({ task_status: 'failed', task_status_msg: 'Content is not allowed' });
		expect(items[7].json.error).toMatch(/\[item 7\]/);
		// Only the 8 good prompts reached Kling.
		expect(standIn.tasks.size).toBe(8);
	});
});
