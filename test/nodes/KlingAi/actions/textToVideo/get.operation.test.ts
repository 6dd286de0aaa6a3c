/**
 * Get: one task by its task ID or its external task ID, simplified or raw, and the errors for an
 * unknown or empty ID.
 */
import { runKlingNode } from '../../../../helpers/engine';
import {
	createTasksDirectly,
	expectNoSecrets,
	getParams,
	jwtCredentials,
	SECRET_KEY,
	ACCESS_KEY,
	type RunError,
} from '../../../../helpers/kling-test-kit';
import { type KlingStandIn, signTestJwt, startKlingStandIn } from '../../../../../stand-in';

const SIMPLIFIED_KEYS = [
	'created_at',
	'duration',
	'external_task_id',
	'task_id',
	'task_status',
	'task_status_msg',
	'updated_at',
	'video_url',
	'video_urls',
];

describe('Get', () => {
	let standIn: KlingStandIn;

	beforeAll(async () => {
		standIn = await startKlingStandIn({
			callbacks: false,
			// the prompt says how the stand-in should finish the task
			plan: (body) => {
				const prompt = String(body.prompt);
				if (prompt.startsWith('fail')) return { fail: 'The prompt triggered the content review' };
				if (prompt.startsWith('two videos')) return { videoCount: 2 };
				if (prompt.startsWith('slow')) return { durationMs: 60_000, processingAfterMs: 60_000 };
				return {};
			},
		});
	});
	afterAll(async () => {
		await standIn.close();
	});
	beforeEach(() => standIn.reset());

	const credentials = () => jwtCredentials(standIn);
	const gets = () => standIn.requests.filter((r) => r.kind === 'get');

	it('finds a task by its task ID', async () => {
		const [, id] = await createTasksDirectly(standIn, 2);

		const result = await runKlingNode({ parameters: getParams({ taskId: id }), credentials: credentials() });

		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(1);
		expect(result.items[0].json.task_id).toBe(id);
		expect(gets().map((r) => r.path)).toEqual([`/v1/videos/text2video/${id}`]);
	});

	it('finds a task by its external task ID', async () => {
		const [id] = await createTasksDirectly(standIn, 1, () => ({
			model_name: 'kling-v1',
			prompt: 'a lighthouse at night',
			external_task_id: 'order-1234/video #1',
		}));

		const result = await runKlingNode({
			parameters: getParams({ lookupBy: 'externalTaskId', externalTaskId: ' order-1234/video #1 ' }),
			credentials: credentials(),
		});

		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ task_id: id, external_task_id: 'order-1234/video #1' });
		// the ID is trimmed and travels as one path segment
		expect(gets().map((r) => r.path)).toEqual([`/v1/videos/text2video/${encodeURIComponent('order-1234/video #1')}`]);
	});

	it('returns the simplified task: ID, status, reason, video URL(s), duration, external ID and ISO dates', async () => {
		const [id] = await createTasksDirectly(standIn, 1, () => ({
			model_name: 'kling-v1',
			prompt: 'two videos of a harbour',
			duration: '10',
			external_task_id: 'harbour-10s',
		}));
		const task = standIn.tasks.get(id)!;

		const result = await runKlingNode({ parameters: getParams({ taskId: id }), credentials: credentials() });

		expect(result.error).toBeUndefined();
		const json = result.items[0].json;
		expect(Object.keys(json).sort()).toEqual(SIMPLIFIED_KEYS);
		expect(json).toEqual({
			task_id: id,
			task_status: 'succeed',
			task_status_msg: '',
			video_url: `${standIn.url}/files/${id}/1.mp4`,
			video_urls: [`${standIn.url}/files/${id}/1.mp4`, `${standIn.url}/files/${id}/2.mp4`],
			duration: '10',
			external_task_id: 'harbour-10s',
			created_at: new Date(task.createdAt).toISOString(),
			updated_at: new Date(task.finishedAt).toISOString(),
		});
	});

	it('says why a failed task failed, with no video', async () => {
		const [id] = await createTasksDirectly(standIn, 1, () => ({ model_name: 'kling-v1', prompt: 'fail please' }));

		const result = await runKlingNode({ parameters: getParams({ taskId: id }), credentials: credentials() });

		expect(result.items[0].json).toMatchObject({
			task_id: id,
			task_status: 'failed',
			task_status_msg: 'The prompt triggered the content review',
			video_url: null,
			video_urls: [],
			duration: null,
			external_task_id: null,
		});
	});

	it('reports a task that is still running as such, without failing', async () => {
		const [id] = await createTasksDirectly(standIn, 1, () => ({ model_name: 'kling-v1', prompt: 'slow one' }));

		const result = await runKlingNode({ parameters: getParams({ taskId: id }), credentials: credentials() });

		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toMatchObject({ task_id: id, task_status: 'submitted', video_url: null, video_urls: [] });
	});

	it('returns the task exactly as Kling sent it when Simplify is off', async () => {
		const [id] = await createTasksDirectly(standIn, 1, () => ({
			model_name: 'kling-v1',
			prompt: 'a lighthouse',
			external_task_id: 'raw-1',
		}));
		const direct = await fetch(`${standIn.url}/v1/videos/text2video/${id}`, {
			headers: { authorization: `Bearer ${signTestJwt(ACCESS_KEY, SECRET_KEY)}` },
		});
		const { data: asKlingSendsIt } = (await direct.json()) as { data: Record<string, unknown> };

		const result = await runKlingNode({ parameters: getParams({ taskId: id, simplify: false }), credentials: credentials() });

		expect(result.error).toBeUndefined();
		expect(result.items[0].json).toEqual(asKlingSendsIt);
		expect(result.items[0].json).toMatchObject({
			task_info: { external_task_id: 'raw-1' },
			final_unit_deduction: expect.any(String),
			task_result: { videos: [expect.objectContaining({ url: `${standIn.url}/files/${id}/1.mp4` })] },
			created_at: expect.any(Number),
		});
	});

	it('gets one task per input item, in the order of the items', async () => {
		const ids = await createTasksDirectly(standIn, 3);
		const order = [ids[2], ids[0], ids[1]];

		const result = await runKlingNode({
			parameters: getParams({ taskId: '={{ $json.id }}' }),
			credentials: credentials(),
			items: order.map((id) => ({ json: { id } })),
		});

		expect(result.error).toBeUndefined();
		expect(result.items.map((item) => item.json.task_id)).toEqual(order);
	});

	it('fails with the mapped 1203 error for an unknown ID', async () => {
		const result = await runKlingNode({ parameters: getParams({ taskId: 'no-such-task' }), credentials: credentials() });

		expect(gets()).toHaveLength(1);
		expect(gets()[0].code).toBe(1203);
		const error = result.error as RunError;
		expect(error.name).toBe('NodeApiError');
		expect(error.message).toContain('(code 1203)');
		expect(error.message).toMatch(/could not find the task/i);
		expect(error.description).toMatch(/task ID/);
		expect(error.description).toMatch(/region/);
		expect(error.httpCode).toBe('404');
		expectNoSecrets(error);
	});

	test.each([
		['task ID', { taskId: '   ' }],
		['external task ID', { lookupBy: 'externalTaskId', externalTaskId: '  ' }],
	])('an empty %s fails naming the item, and nothing is sent', async (label, ids) => {
		const result = await runKlingNode({ parameters: getParams(ids), credentials: credentials() });

		const error = result.error as RunError;
		expect(error.message).toBe(`The ${label} is empty [item 0]`);
		expect(error.description).toMatch(/Enter the ID/);
		expect(error.description).toMatch(/Nothing was sent/);
		expect(standIn.requests).toHaveLength(0);
	});

	it('names the right item when the ID of a later item comes out empty', async () => {
		const [id] = await createTasksDirectly(standIn, 1);
		standIn.requests.length = 0;

		const result = await runKlingNode({
			parameters: getParams({ taskId: '={{ $json.id }}' }),
			credentials: credentials(),
			items: [{ json: { id } }, { json: { id: '' } }, { json: { id } }],
		});

		const error = result.error as RunError;
		expect(error.message).toBe('The task ID is empty [item 1]');
		expect(error.context?.itemIndex).toBe(1);
		// only the two good IDs were asked for
		expect(gets().map((r) => r.taskId)).toEqual([id, id]);
	});

	it('with Continue On Fail, turns only the item with the empty ID into an error item', async () => {
		const [id] = await createTasksDirectly(standIn, 1);

		const result = await runKlingNode({
			parameters: getParams({ taskId: '={{ $json.id }}' }),
			credentials: credentials(),
			items: [{ json: { id } }, { json: { id: ' ' } }, { json: { id } }],
			continueOnFail: true,
		});

		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(3);
		expect(result.items[0].json.task_id).toBe(id);
		expect(result.items[1].json.error).toBe('The task ID is empty [item 1]');
		expect(result.items[2].json.task_id).toBe(id);
	});
});
