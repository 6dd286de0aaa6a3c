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
	/** Tasks the stand-in holds at the end (each one paid for). */
	tasks: number;
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
	const header = ['scenario', 'faults injected', 'items', 'succeeded', 'clear errors', 'tasks at Kling', 'duplicates', 'leaked secrets'];
	const rows = summaries.map((s) => [s.scenario, s.faults, s.items, s.succeeded, s.clearErrors, s.tasks, s.duplicates, s.leaked].map(String));
	const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
	const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
	const total = (key: keyof Summary) => summaries.reduce((sum, s) => sum + (s[key] as number), 0);
	process.stdout.write(
		`\nFault injection (${N} items per scenario)\n${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('-|-')}\n` +
			rows.map(line).join('\n') +
			`\n${line(['TOTAL', ...(['faults', 'items', 'succeeded', 'clearErrors', 'tasks', 'duplicates', 'leaked'] as const).map((k) => String(total(k)))])}\n\n`,
	);
});

interface Scenario {
	standIn?: StandInOptions;
	faults?: Fault[];
	/** Extra faults to count that do not show as errors in the log (slow answers). */
	countSlow?: number;
	parameters?: Record<string, unknown>;
	/** n8n's Retry On Fail node setting. */
	retryOnFail?: { maxTries: number; waitBetweenTries: number };
}

function isFaulted(r: KlingStandIn['requests'][number]) {
	if (r.kind === 'download') return false;
	return r.status === 0 || r.status >= 400 || (r.code !== undefined && r.code !== 0) || r.code === undefined;
}

/** Secrets found in the text: the secret key, any JWT, any `Bearer <value>`, and every token sent, whole or any of its parts. */
function secretsIn(text: string, tokens: string[]): number {
	let found = 0;
	if (text.includes(SECRET_KEY)) found++;
	if (JWT_PATTERN.test(text)) found++;
	if (/eyJ[A-Za-z0-9_-]{8,}/.test(text)) found++;
	if (/Bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}/.test(text)) found++;
	for (const token of new Set(tokens)) for (const part of [token, ...token.split('.')]) if (part && text.includes(part)) found++;
	return found;
}

/**
 * A clear error names the item, says what happened, and says how to fix it. A task that failed at
 * Kling keeps the task in the item, with the error in json.error and json.error_description.
 */
function isClearError(item: INodeExecutionData, index: number): boolean {
	const error = item.error ?? (typeof item.json.error === 'string' ? { message: item.json.error, description: item.json.error_description } : undefined);
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
		const { items, error, run } = await runKlingNode({
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
			retryOnFail: scenario.retryOnFail,
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
			runData: run.data,
		});
		const summary: Summary = {
			scenario: name,
			faults: standIn.requests.filter(isFaulted).length + (scenario.countSlow ?? 0),
			items: items.length,
			succeeded: succeeded.length,
			clearErrors: items.filter(isClearError).length,
			tasks: standIn.tasks.size,
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

describe('Fault injection: n8n\'s own retries and echoing proxies', () => {
	jest.setTimeout(120_000);

	it('Retry On Fail, 3 tries, with failing items (item 0 among them, so n8n retries): one task per item, never more', async () => {
		const result = await runScenario('Retry On Fail x3, failing items', {
			standIn: { plan: (body) => ({ completeAfterPolls: 1, fail: /number \d*0$/.test(String(body.prompt)) ? 'Content is not allowed' : undefined }) },
			retryOnFail: { maxTries: 3, waitBetweenTries: 1 },
		});
		const { items, standIn, summary } = result;
		expect(result.error).toBeUndefined();
		expect(items).toHaveLength(N);
		// items 0, 10, 20, 30, 40 end failed at Kling (their tasks exist, paid), the others succeed
		expect(items.filter((item) => item.json.error !== undefined).map((item) => (item.pairedItem as { item: number }).item)).toEqual([0, 10, 20, 30, 40]);
		expect(summary.succeeded).toBe(N - 5);
		// the five failed at Kling: clear errors that keep their (paid) tasks
		expect(summary.clearErrors).toBe(5);
		// n8n ran the node 3 times (item 0 kept failing), and Kling holds exactly one task per item
		expect(standIn.requests.filter((r) => r.kind === 'create').length).toBe(3 * N);
		expect(standIn.tasks.size).toBe(N);
		expect(summary.duplicates).toBe(0);
		expect(summary.leaked).toBe(0);
	});

	it('a proxy that echoes the key and the token in its errors: those items fail clearly, nothing leaks', async () => {
		const result = await runScenario('proxy echoes secrets', {
			faults: [
				// a JSON error echoing the header and the token, and a gateway answering only the echoed header
				{ on: 'create', kind: 'echo-secrets', times: 5 },
				{ on: 'create', kind: 'echo-auth-text', format: 'line', status: 401, times: 5 },
				// gateway pages echoing the header on polls (502: the polls carry on)
				{ on: 'get', kind: 'echo-auth-text', times: 5 },
				{ on: 'get', kind: 'echo-auth-text', format: 'line', times: 5 },
			],
		});
		expect(result.standIn.requests.filter((r) => r.fault === 'echo-secrets' || r.fault === 'echo-auth-text')).toHaveLength(20);
		expect(result.summary.leaked).toBe(0);
		expect(result.summary.duplicates).toBe(0);
		expect(result.summary.succeeded + result.summary.clearErrors).toBe(N);
		// the 10 refused Creates fail clearly (nothing was created for them); the polls' echoes pass
		expect(result.summary.clearErrors).toBe(10);
		expect(result.standIn.tasks.size).toBe(N - 10);
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
