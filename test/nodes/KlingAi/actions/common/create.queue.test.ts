/**
 * Batches larger than the account's concurrency: Kling refuses a Create over the limit with HTTP 429
 * and code 1303, and a task holds its slot until it ends. Through n8n's engine against a stand-in
 * with an account limit: items wait for a free slot instead of failing, within Max Wait (or Max
 * Queue Time), without a storm of refused creates, and never create a task twice. Render times are
 * a few seconds here (Poll Interval 1 s), far longer than the retry window the old code allowed
 * (Max Tries 2 here, which gave up on 1303 after about a second).
 */
import { runKlingNode, startKlingNode } from '../../../../helpers/engine';
import { createTasksDirectly, jwtCredentials } from '../../../../helpers/kling-test-kit';
import { startKlingStandIn, type KlingStandIn, type StandInOptions } from '../../../../../stand-in';

let standIn: KlingStandIn | undefined;

async function account(options: StandInOptions): Promise<KlingStandIn> {
	standIn = await startKlingStandIn(options);
	return standIn;
}

afterEach(async () => {
	await standIn?.close();
	standIn = undefined;
});

const items = (count: number) => Array.from({ length: count }, (_, n) => ({ json: { n } }));

const create = (extra: Record<string, unknown> = {}) => ({
	resource: 'textToVideo',
	operation: 'create',
	model: 'kling-v2-6',
	prompt: '={{ "Clip " + $json.n }}',
	waitForCompletion: true,
	pollInterval: 1,
	maxWait: 120,
	...extra,
	options: { maxTries: 2, ...((extra.options as object) ?? {}) },
});

const creates = (s: KlingStandIn) => s.requests.filter((r) => r.kind === 'create');
const refused = (s: KlingStandIn) => creates(s).filter((r) => r.code === 1303).length;

/** The most tasks that were unfinished at once (the stand-in computes it from the tasks' start and end times). */
const peakConcurrency = (s: KlingStandIn) => s.stats().peakUnfinished;

/** Every item's prompt reached Kling as exactly one task. */
function expectOneTaskPerItem(s: KlingStandIn, count: number) {
	const prompts = [...s.tasks.values()].map((task) => task.body.prompt).sort();
	expect(prompts).toEqual(Array.from({ length: count }, (_, n) => `Clip ${n}`).sort());
	const ids = [...s.tasks.values()].map((task) => task.external_task_id);
	expect(new Set(ids).size).toBe(count);
}

describe('Create when the account runs as many tasks as it may (1303)', () => {
	it('limit 2, 8 items of 2 s renders: all 8 succeed, each created once, at most one refused create per item', async () => {
		const s = await account({ maxConcurrentTasks: 2, taskDurationMs: 2000 });
		const { items: out, error } = await runKlingNode({ parameters: create(), credentials: jwtCredentials(s), items: items(8) });

		expect(error).toBeUndefined();
		expect(out).toHaveLength(8);
		expect(out.map((item) => item.json.task_status)).toEqual(Array(8).fill('succeed'));
		expect(out.map((item) => item.pairedItem)).toEqual(Array.from({ length: 8 }, (_, n) => ({ item: n })));
		expectOneTaskPerItem(s, 8);
		expect(peakConcurrency(s)).toBeLessThanOrEqual(2);
		// The first burst meets the limit (6 refusals); after that a create goes out only when a task ends.
		expect(refused(s)).toBeGreaterThanOrEqual(1);
		expect(refused(s)).toBeLessThanOrEqual(8);
	}, 60_000);

	it('with Max Concurrent Tasks = 2 (the account\'s limit): no create is ever refused', async () => {
		const s = await account({ maxConcurrentTasks: 2, taskDurationMs: 1500 });
		const { items: out, error } = await runKlingNode({
			parameters: create({ options: { maxConcurrentTasks: 2 } }),
			credentials: jwtCredentials(s),
			items: items(6),
		});

		expect(error).toBeUndefined();
		expect(out.map((item) => item.json.task_status)).toEqual(Array(6).fill('succeed'));
		expect(refused(s)).toBe(0);
		expect(creates(s)).toHaveLength(6);
		expect(peakConcurrency(s)).toBe(2);
	}, 60_000);

	it('without waiting: every item is created, in item order, paired, once a slot frees up', async () => {
		const s = await account({ maxConcurrentTasks: 2, taskDurationMs: 1500 });
		const { items: out, error } = await runKlingNode({
			parameters: create({ waitForCompletion: false }),
			credentials: jwtCredentials(s),
			items: items(6),
		});

		expect(error).toBeUndefined();
		expect(out.map((item) => item.json.task_status)).toEqual(Array(6).fill('submitted'));
		expect(out.map((item) => item.pairedItem)).toEqual(Array.from({ length: 6 }, (_, n) => ({ item: n })));
		expectOneTaskPerItem(s, 6);
		// The queued items (2…5) were created in item order, each after a task of the run had ended.
		const order = [...s.tasks.values()].map((task) => task.body.prompt as string);
		expect(order.slice(2)).toEqual(['Clip 2', 'Clip 3', 'Clip 4', 'Clip 5']);
		expect(peakConcurrency(s)).toBeLessThanOrEqual(2);
		expect(refused(s)).toBeLessThanOrEqual(6);
	}, 60_000);

	it('cancelling the execution while items queue stops at once, and nothing is created afterwards', async () => {
		const s = await account({ maxConcurrentTasks: 1, taskDurationMs: 30_000 });
		const handle = startKlingNode({ parameters: create(), credentials: jwtCredentials(s), items: items(3) });
		// Wait until the first task runs and the others are refused and queued.
		for (let i = 0; i < 100 && !(s.tasks.size === 1 && refused(s) >= 1); i++) await new Promise((r) => setTimeout(r, 50));
		expect(s.tasks.size).toBe(1);
		const cancelledAt = Date.now();
		handle.cancel();
		const result = await handle.promise;

		expect(result.cancelled).toBe(true);
		expect(result.nodeFinishedAt - cancelledAt).toBeLessThan(1000);
		await new Promise((r) => setTimeout(r, 1500));
		expect(creates(s).filter((r) => r.receivedAt > cancelledAt + 50)).toHaveLength(0);
		expect(s.tasks.size).toBe(1);
	}, 30_000);

	it('an item whose queue time runs out fails with a clear error, and nothing is created for it', async () => {
		const s = await account({ maxConcurrentTasks: 1, taskDurationMs: 30_000 });
		// Another workflow holds the account's only slot.
		await createTasksDirectly(s, 1, () => ({ model_name: 'kling-v2-6', prompt: 'someone else' }));
		const { items: out, error } = await runKlingNode({
			parameters: create({ waitForCompletion: false, options: { maxQueueTime: 3 } }),
			credentials: jwtCredentials(s),
			items: items(1),
		});

		expect(out).toEqual([]);
		expect(error?.message).toMatch(/^The item never got a free Kling slot within 3 s: the account kept running as many tasks as it allows \(code 1303\) \[item 0\]$/);
		expect(error?.description).toMatch(/^Nothing was created or paid for\. .*raise Max Queue Time, set Options → Max Concurrent Tasks/);
		expect(s.tasks.size).toBe(1);
		// Nobody of ours ran, so the slot is probed at a modest pace, not hammered.
		expect(refused(s)).toBeLessThanOrEqual(4);
	}, 30_000);

	it('with waiting on, the queue time counts against Max Wait', async () => {
		const s = await account({ maxConcurrentTasks: 1, taskDurationMs: 30_000 });
		await createTasksDirectly(s, 1, () => ({ model_name: 'kling-v2-6', prompt: 'someone else' }));
		const started = Date.now();
		const { error } = await runKlingNode({ parameters: create({ maxWait: 2 }), credentials: jwtCredentials(s), items: items(1) });

		expect(error?.message).toMatch(/never got a free Kling slot within 2 s/);
		expect(error?.description).toMatch(/raise Max Wait/);
		expect(Date.now() - started).toBeLessThan(5000);
	}, 30_000);

	it('a slot held by another client: probes at a growing pace, and the item is created when it frees', async () => {
		const s = await account({ maxConcurrentTasks: 1, taskDurationMs: 1000, plan: (body) => ({ durationMs: body.prompt === 'someone else' ? 4000 : 1000 }) });
		await createTasksDirectly(s, 1, () => ({ model_name: 'kling-v2-6', prompt: 'someone else' }));
		const { items: out, error } = await runKlingNode({ parameters: create(), credentials: jwtCredentials(s), items: items(1) });

		expect(error).toBeUndefined();
		expect(out[0].json.task_status).toBe('succeed');
		const tries = creates(s).map((r) => r.receivedAt);
		// Refused about every 1, 1.5, 2.25… s (Poll Interval, growing by half each time) for the 4 s the other task held the slot.
		expect(refused(s)).toBeGreaterThanOrEqual(2);
		expect(refused(s)).toBeLessThanOrEqual(5);
		for (let i = 2; i < tries.length; i++) expect(tries[i] - tries[i - 1]).toBeGreaterThanOrEqual(900);
	}, 30_000);

	it('mixed with dropped connections after accepted creates and server errors: no task is created twice', async () => {
		const s = await account({ maxConcurrentTasks: 2, taskDurationMs: 1500 });
		s.injectFault({ on: 'create', kind: 'drop-after-accept', times: 2 });
		s.injectFault({ on: 'create', kind: 'error', status: 500, code: 5000, times: 1 });
		const { items: out, error } = await runKlingNode({
			parameters: create({ options: { maxTries: 5 } }),
			credentials: jwtCredentials(s),
			items: items(6),
		});

		expect(error).toBeUndefined();
		expect(out.map((item) => item.json.task_status)).toEqual(Array(6).fill('succeed'));
		expectOneTaskPerItem(s, 6);
		expect(peakConcurrency(s)).toBeLessThanOrEqual(2);
	}, 60_000);
});
