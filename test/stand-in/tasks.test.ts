/**
 * Task lifecycle: statuses by time and by polls, failures, several videos, and the account's concurrency slots.
 */
import { type KlingStandIn, type StandInOptions } from '../../stand-in';
import { CREATE, type CallOptions, call, sleep, useStandIn } from './helpers';

const suite = useStandIn();
const start = (options?: StandInOptions) => suite.start(options);
let api: KlingStandIn;
beforeAll(() => {
	api = suite.api;
});
const create = (body: unknown, opts: CallOptions = {}) => call(api.url, 'POST', CREATE, { body, ...opts });
const getTask = (id: string) => call(api.url, 'GET', `${CREATE}/${encodeURIComponent(id)}`);

describe('task lifecycle', () => {
	it('finishes at once by default, with a downloadable result', async () => {
		const created = await create({ prompt: 'p', duration: '10', external_task_id: 'ext-now' });
		expect(created.json.data).toMatchObject({ task_status: 'submitted', task_info: { external_task_id: 'ext-now' } });
		expect(created.json.data.created_at).toBe(created.json.data.updated_at);
		const taskId: string = created.json.data.task_id;
		const got = await getTask(taskId);
		expect(got.json.data).toMatchObject({
			task_id: taskId,
			task_status: 'succeed',
			task_status_msg: '',
			task_info: { external_task_id: 'ext-now' },
			final_unit_deduction: expect.any(String),
			task_result: { videos: [{ id: expect.any(String), url: `${api.url}/files/${taskId}/1.mp4`, duration: '10' }] },
		});
		expect(api.requests[1]).toMatchObject({ kind: 'get', taskId });
	});

	it('moves submitted -> processing -> succeed by time', async () => {
		const timed = await start({ plan: () => ({ durationMs: 240, processingAfterMs: 80 }) });
		const created = await call(timed.url, 'POST', CREATE, { body: { prompt: 'p' } });
		const taskId: string = created.json.data.task_id;
		const status = async () => (await call(timed.url, 'GET', `${CREATE}/${taskId}`)).json.data;
		const first = await status();
		expect(first.task_status).toBe('submitted');
		expect(first.task_result).toBeUndefined();
		await sleep(120);
		expect((await status()).task_status).toBe('processing');
		await sleep(160);
		const last = await status();
		expect(last.task_status).toBe('succeed');
		expect(last.updated_at - last.created_at).toBe(240);
		const task = timed.tasks.get(taskId)!;
		expect(task.polls).toBe(3);
		expect(task.finishedAt - task.createdAt).toBe(240);
	});

	it('fails with the planned message and no result', async () => {
		const failing = await start({ plan: () => ({ durationMs: 0, fail: 'Failure to pass the risk control system' }) });
		const created = await call(failing.url, 'POST', CREATE, { body: { prompt: 'p' } });
		const taskId: string = created.json.data.task_id;
		const got = (await call(failing.url, 'GET', `${CREATE}/${taskId}`)).json.data;
		expect(got).toMatchObject({ task_status: 'failed', task_status_msg: 'Failure to pass the risk control system' });
		expect(got.task_result).toBeUndefined();
		expect((await fetch(`${failing.url}/files/${taskId}/1.mp4`)).status).toBe(404);
	});

	it('finishes on the Nth GET with completeAfterPolls, also by external_task_id', async () => {
		const polled = await start({ plan: () => ({ completeAfterPolls: 3, durationMs: 0 }) });
		await call(polled.url, 'POST', CREATE, { body: { prompt: 'p', external_task_id: 'ext-poll' } });
		const statuses: string[] = [];
		for (let i = 0; i < 4; i++) {
			statuses.push((await call(polled.url, 'GET', `${CREATE}/ext-poll`)).json.data.task_status);
		}
		expect(statuses).toEqual(['submitted', 'processing', 'succeed', 'succeed']);
		const [task] = polled.tasks.values();
		expect(task.polls).toBe(4);
		expect(Number.isFinite(task.finishedAt)).toBe(true);
	});

	it('serves several videos per task and 404/1203 for unknown tasks', async () => {
		const multi = await start({ plan: () => ({ videoCount: 2, videoBytes: 1000 }) });
		const created = await call(multi.url, 'POST', CREATE, { body: { prompt: 'p' } });
		const videos = (await call(multi.url, 'GET', `${CREATE}/${created.json.data.task_id}`)).json.data.task_result.videos;
		expect(videos).toHaveLength(2);
		const bodies = await Promise.all(videos.map(async (video: { url: string }) => Buffer.from(await (await fetch(video.url)).arrayBuffer())));
		expect(bodies[0].length).toBe(1000);
		expect(bodies[0].equals(bodies[1])).toBe(false);

		const unknown = await getTask('no-such-task');
		expect([unknown.status, unknown.json.code]).toEqual([404, 1203]);
	});
});

describe('concurrency', () => {
	it('answers 429/1303 over maxConcurrentTasks until a task finishes', async () => {
		const limited = await start({ maxConcurrentTasks: 1, taskDurationMs: 150 });
		const post = () => call(limited.url, 'POST', CREATE, { body: { prompt: 'p' } });
		expect((await post()).status).toBe(200);
		const over = await post();
		expect([over.status, over.json.code]).toEqual([429, 1303]);
		await sleep(200);
		expect((await post()).status).toBe(200);
	});
});

describe('account concurrency', () => {
	const post = (standIn: KlingStandIn, body: Record<string, unknown> = { prompt: 'p' }) => call(standIn.url, 'POST', CREATE, { body });

	it('setMaxConcurrentTasks changes the limit at run time; stats count accepted and refused creates', async () => {
		const limited = await start({ taskDurationMs: 60_000 });
		expect(limited.stats()).toEqual({ createsAccepted: 0, createsRefused1303: 0, peakUnfinished: 0, unfinished: 0, maxConcurrentTasks: Infinity });
		limited.setMaxConcurrentTasks(2);
		expect((await post(limited)).status).toBe(200);
		expect((await post(limited)).status).toBe(200);
		const over = await post(limited);
		expect([over.status, over.json.code]).toEqual([429, 1303]);
		expect(limited.requests.at(-1)).toMatchObject({ kind: 'create', status: 429, code: 1303 });
		limited.setMaxConcurrentTasks(3);
		expect((await post(limited)).status).toBe(200);
		limited.setMaxConcurrentTasks(1); // below the running three: running tasks keep their slots
		expect((await post(limited)).json.code).toBe(1303);
		limited.setMaxConcurrentTasks(Infinity);
		expect((await post(limited)).status).toBe(200);
		expect(limited.stats()).toEqual({ createsAccepted: 4, createsRefused1303: 2, peakUnfinished: 4, unfinished: 4, maxConcurrentTasks: Infinity });
		expect(() => limited.setMaxConcurrentTasks(-1)).toThrow(/maxConcurrentTasks/);
		expect(() => limited.setMaxConcurrentTasks(Number.NaN)).toThrow(/maxConcurrentTasks/);
	});

	it('does not count refusals by rules, duplicates or injected 1303 faults as 1303 refusals', async () => {
		const limited = await start({ maxConcurrentTasks: 1, taskDurationMs: 60_000 });
		limited.injectFault({ on: 'create', kind: 'error', status: 429, code: 1303 });
		expect((await post(limited)).json.code).toBe(1303);
		expect((await post(limited, { prompt: '' })).json.code).toBe(1201);
		expect((await post(limited, { prompt: 'p', external_task_id: 'x' })).status).toBe(200);
		expect((await post(limited, { prompt: 'p', external_task_id: 'x' })).json.code).toBe(1201); // duplicate is judged first
		expect((await post(limited)).json.code).toBe(1303);
		expect(limited.stats()).toMatchObject({ createsAccepted: 1, createsRefused1303: 1 });
	});

	it('frees the slot exactly when a timed task reaches succeed', async () => {
		const limited = await start({ maxConcurrentTasks: 1, plan: () => ({ durationMs: 300, processingAfterMs: 100 }) });
		const first = await post(limited);
		const task = limited.tasks.get(first.json.data.task_id)!;
		expect((await post(limited)).json.code).toBe(1303); // submitted
		while (task.status() === 'submitted') await sleep(5);
		expect((await post(limited)).json.code).toBe(1303); // processing
		while (Date.now() < task.finishedAt - 15) await sleep(5);
		expect(task.status()).toBe('processing');
		expect((await post(limited)).json.code).toBe(1303); // a moment before the end
		while (Date.now() < task.finishedAt) await sleep(1);
		expect(task.status()).toBe('succeed');
		const next = await post(limited); // at or right after finishedAt
		expect(next.status).toBe(200);
		expect(limited.tasks.get(next.json.data.task_id)!.createdAt).toBeGreaterThanOrEqual(task.finishedAt);
		expect(limited.stats()).toMatchObject({ createsAccepted: 2, createsRefused1303: 3, peakUnfinished: 1 });
	});

	it('frees the slot exactly on the poll that finishes a poll-driven task, failed included', async () => {
		const limited = await start({ maxConcurrentTasks: 1, plan: () => ({ completeAfterPolls: 3, fail: 'risk control' }) });
		const first = await post(limited);
		const taskId: string = first.json.data.task_id;
		const statuses: string[] = [];
		const verdicts: number[] = [];
		for (let i = 0; i < 3; i++) {
			verdicts.push((await post(limited)).status);
			statuses.push((await call(limited.url, 'GET', `${CREATE}/${taskId}`)).json.data.task_status);
		}
		verdicts.push((await post(limited)).status);
		expect(statuses).toEqual(['submitted', 'processing', 'failed']);
		expect(verdicts).toEqual([429, 429, 429, 200]);
		const finishingGet = limited.requests.filter((request) => request.kind === 'get')[2];
		expect(limited.tasks.get(taskId)!.finishedAt).toBeGreaterThanOrEqual(finishingGet.receivedAt);
		expect(limited.tasks.get(taskId)!.finishedAt).toBeLessThanOrEqual(finishingGet.respondedAt);
		expect(limited.stats()).toMatchObject({ createsAccepted: 2, createsRefused1303: 3, peakUnfinished: 1, unfinished: 1 });
	});

	it('peakUnfinished is exact over overlapping tasks, from creation and finish times', async () => {
		// durations: A 400, B 100, C 400 (created after B ended), D 0 (never holds a slot)
		const durations = [400, 100, 400, 0];
		const timed = await start({ plan: (_body, index) => ({ durationMs: durations[index] }) });
		await post(timed); // A
		await post(timed); // B
		expect(timed.stats()).toMatchObject({ peakUnfinished: 2, unfinished: 2 });
		const [, b] = [...timed.tasks.values()];
		while (Date.now() < b.finishedAt) await sleep(5);
		await post(timed); // C: A and C run, B is over
		await post(timed); // D: finishes at once
		const [a, , c, d] = [...timed.tasks.values()];
		expect(d.finishedAt).toBe(d.createdAt);
		expect(c.createdAt).toBeGreaterThanOrEqual(b.finishedAt);
		const stats = timed.stats();
		expect(stats.peakUnfinished).toBe(c.createdAt < a.finishedAt ? 2 : 1);
		expect(stats.unfinished).toBe([a, c].filter((task) => task.status() === 'submitted' || task.status() === 'processing').length);
		while (Date.now() < c.finishedAt) await sleep(10);
		expect(timed.stats()).toMatchObject({ peakUnfinished: stats.peakUnfinished, unfinished: 0, createsAccepted: 4 });
	});

	it('treats a finish and a creation in the same millisecond as a handover (the slot was free)', async () => {
		const timed = await start({ plan: () => ({ durationMs: 200 }) });
		await post(timed);
		const [first] = [...timed.tasks.values()];
		// rewrite history: a second task created exactly when the first finished
		while (Date.now() < first.finishedAt) await sleep(5);
		await post(timed);
		const [, second] = [...timed.tasks.values()];
		(second as { createdAt: number }).createdAt = first.finishedAt;
		expect(timed.stats().peakUnfinished).toBe(1);
	});

	it('reset forgets the counters but keeps the limit', async () => {
		const limited = await start({ maxConcurrentTasks: 1, taskDurationMs: 60_000 });
		await post(limited);
		await post(limited);
		limited.setMaxConcurrentTasks(5);
		limited.reset();
		expect(limited.stats()).toEqual({ createsAccepted: 0, createsRefused1303: 0, peakUnfinished: 0, unfinished: 0, maxConcurrentTasks: 5 });
	});
});
