import { runKlingNode, startKlingNode } from '../../../helpers/engine';
import { startKlingStandIn, type KlingStandIn } from '../../../../stand-in';

const ACCESS_KEY = 'wait-access-key';
const SECRET_KEY = 'wait-secret-key-0123456789';

let standIn: KlingStandIn;
let failNext: string | undefined;
let durationNext = 0;
let pollsNext: number | undefined;

const credentials = () => ({
	authentication: 'accessKey',
	accessKey: ACCESS_KEY,
	secretKey: SECRET_KEY,
	region: 'custom',
	baseUrl: standIn.url,
});

const create = (extra: Record<string, unknown> = {}) => ({
	resource: 'textToVideo',
	operation: 'create',
	model: 'kling-v2-6',
	prompt: 'A paper boat drifting down a rainy street',
	waitForCompletion: true,
	pollInterval: 1,
	...extra,
});

beforeAll(async () => {
	standIn = await startKlingStandIn({
		accessKey: ACCESS_KEY,
		secretKey: SECRET_KEY,
		plan: () => ({ durationMs: durationNext, completeAfterPolls: pollsNext, fail: failNext }),
	});
});

beforeEach(() => {
	standIn.reset();
	failNext = undefined;
	durationNext = 0;
	pollsNext = undefined;
});

afterAll(async () => await standIn.close());

const getsOf = (taskId: string) => standIn.requests.filter((r) => r.kind === 'get' && r.taskId === taskId);

describe('Create with Wait for Completion', () => {
	it('polls until the task succeeds and returns the video, signing a fresh token for every poll', async () => {
		pollsNext = 3;
		durationNext = 60_000;
		const { items, error } = await runKlingNode({ parameters: create(), credentials: credentials() });

		expect(error).toBeUndefined();
		expect(items).toHaveLength(1);
		const taskId = items[0].json.task_id as string;
		expect(items[0].json).toMatchObject({
			task_status: 'succeed',
			video_url: `${standIn.url}/files/${taskId}/1.mp4`,
			duration: '5',
		});
		const gets = getsOf(taskId);
		expect(gets).toHaveLength(3);
		for (const get of gets) {
			expect(get.status).toBe(200);
			expect(get.auth.kind).toBe('jwt');
			expect(get.auth.claims?.iss).toBe(ACCESS_KEY);
		}
		// Polls keep the interval (1 s) between them.
		for (let i = 1; i < gets.length; i++) {
			expect(gets[i].receivedAt - gets[i - 1].receivedAt).toBeGreaterThanOrEqual(900);
		}
	});

	it('returns at once with the task ID when waiting is off', async () => {
		durationNext = 60_000;
		const { items, error } = await runKlingNode({
			parameters: create({ waitForCompletion: false }),
			credentials: credentials(),
		});
		expect(error).toBeUndefined();
		expect(items[0].json.task_status).toBe('submitted');
		expect(items[0].json.task_id).toEqual(expect.any(String));
		expect(standIn.requests.filter((r) => r.kind === 'get')).toHaveLength(0);
	});

	it('fails with Kling\'s status message and the task ID when the task fails', async () => {
		pollsNext = 2;
		failNext = 'The prompt was rejected by the risk control system';
		const { items, error } = await runKlingNode({ parameters: create(), credentials: credentials() });

		expect(items).toHaveLength(0);
		const taskId = [...standIn.tasks.keys()][0];
		expect(error?.name).toBe('NodeApiError');
		expect(error?.message).toContain(taskId);
		expect(error?.message).toContain('The prompt was rejected by the risk control system');
		expect(error?.description).toMatch(/create a new task/i);
	});

	it('keeps the failed task (ID, status, reason) in the item with Continue On Fail, and the other items go on', async () => {
		let index = 0;
		standIn.reset();
		const failing = await startKlingStandIn({
			accessKey: ACCESS_KEY,
			secretKey: SECRET_KEY,
			plan: () => (index++ === 1 ? { completeAfterPolls: 1, fail: 'Content is not allowed' } : { completeAfterPolls: 1 }),
		});
		try {
			const { items, error } = await runKlingNode({
				parameters: create(),
				credentials: { ...credentials(), baseUrl: failing.url },
				items: [{ json: {} }, { json: {} }, { json: {} }],
				continueOnFail: true,
			});
			expect(error).toBeUndefined();
			expect(items.map((item) => item.json.task_status)).toEqual(['succeed', 'failed', 'succeed']);
			expect(items[1].json.task_status_msg).toBe('Content is not allowed');
			expect(items[1].json.error).toContain(String(items[1].json.task_id));
			expect(items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		} finally {
			await failing.close();
		}
	});

	it('gives up after Max Wait with an error naming the task, its last status and the fix', async () => {
		durationNext = 60_000;
		const { error } = await runKlingNode({ parameters: create({ maxWait: 2 }), credentials: credentials() });

		const taskId = [...standIn.tasks.keys()][0];
		expect(error?.name).toBe('NodeOperationError');
		expect(error?.message).toContain(taskId);
		expect(error?.message).toMatch(/still (submitted|processing)/);
		expect(error?.description).toMatch(/Max Wait/);
		expect(error?.description).toMatch(/Get/);
		// It waited about Max Wait, polling on its cadence, not beyond.
		expect(getsOf(taskId).length).toBeGreaterThanOrEqual(1);
		expect(getsOf(taskId).length).toBeLessThanOrEqual(3);
	});

	it('stops waiting at once when the execution is cancelled, without waiting out the poll interval', async () => {
		durationNext = 600_000;
		const run = startKlingNode({ parameters: create({ pollInterval: 30 }), credentials: credentials() });
		// Cancel once the task exists and the node is sleeping until its first poll.
		while (standIn.tasks.size === 0) await new Promise((resolve) => setImmediate(resolve));
		const cancelledAt = Date.now();
		run.cancel();
		const result = await run.promise;
		const stoppedAfter = result.nodeFinishedAt - cancelledAt;

		expect(result.run.status).toBe('canceled');
		// The node gave up within a second, not at its next poll 30 s later.
		expect(stoppedAfter).toBeLessThan(1000);
		expect(standIn.requests.filter((r) => r.kind === 'get')).toHaveLength(0);
	});

	it('waits for many items side by side: every item\'s wait overlaps every other\'s', async () => {
		pollsNext = 2;
		durationNext = 60_000;
		const count = 6;
		const { items, error } = await runKlingNode({
			parameters: create(),
			credentials: credentials(),
			items: Array.from({ length: count }, (_, i) => ({ json: { i } })),
		});
		expect(error).toBeUndefined();
		expect(items).toHaveLength(count);

		// Each item's wait spans from its Create to its last poll, as the stand-in logged them.
		const spans = items.map((item) => {
			const taskId = item.json.task_id as string;
			const created = standIn.requests.find((r) => r.kind === 'create' && r.taskId === taskId)!;
			const gets = getsOf(taskId);
			return { start: created.receivedAt, end: gets[gets.length - 1].respondedAt };
		});
		// Serialised waits would not overlap: the latest start would come after the earliest end.
		const latestStart = Math.max(...spans.map((s) => s.start));
		const earliestEnd = Math.min(...spans.map((s) => s.end));
		expect(latestStart).toBeLessThan(earliestEnd);
	});
});
