/**
 * Proves the Kling stand-in is as strict as the API it imitates, so the node's tests can trust it.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
	type KlingStandIn,
	type StandInOptions,
	signTestJwt,
	startKlingStandIn,
	videoContent,
} from './stand-in/kling-stand-in';

const ACCESS_KEY = 'test-access-key';
const SECRET_KEY = 'test-secret-key';
const API_KEY = 'sk-proxy-key';
const CREATE = '/v1/videos/text2video';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const jwt = (opts?: Parameters<typeof signTestJwt>[2]) => signTestJwt(ACCESS_KEY, SECRET_KEY, opts);
const nowSec = () => Math.floor(Date.now() / 1000);

interface Answer {
	status: number;
	headers: Headers;
	text: string;
	json: any; // parsed body, undefined when not JSON
}

interface CallOptions {
	body?: unknown;
	rawBody?: string;
	/** Full Authorization header; null = none; default a fresh valid JWT. */
	authorization?: string | null;
	contentType?: string;
}

async function call(base: string, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
	const headers: Record<string, string> = {};
	const authorization = opts.authorization === undefined ? `Bearer ${jwt()}` : opts.authorization;
	if (authorization !== null) headers.authorization = authorization;
	let body: string | undefined;
	if (opts.rawBody !== undefined || opts.body !== undefined) {
		body = opts.rawBody ?? JSON.stringify(opts.body);
		headers['content-type'] = opts.contentType ?? 'application/json';
	}
	const response = await fetch(`${base}${path}`, { method, headers, body });
	const text = await response.text();
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: response.status, headers: response.headers, text, json };
}

const started: KlingStandIn[] = [];
async function start(options?: StandInOptions): Promise<KlingStandIn> {
	const standIn = await startKlingStandIn(options);
	started.push(standIn);
	return standIn;
}

let api: KlingStandIn;
const create = (body: unknown, opts: CallOptions = {}) => call(api.url, 'POST', CREATE, { body, ...opts });
const getTask = (id: string) => call(api.url, 'GET', `${CREATE}/${encodeURIComponent(id)}`);

beforeAll(async () => {
	api = await start({ apiKeys: [API_KEY] });
});
beforeEach(() => api.reset());
afterAll(async () => {
	await Promise.all(started.map((standIn) => standIn.close()));
});

describe('auth', () => {
	it('accepts a valid JWT and records its claims', async () => {
		const answer = await call(api.url, 'GET', CREATE);
		expect(answer.status).toBe(200);
		expect(answer.json).toMatchObject({ code: 0, message: 'SUCCEED', data: [] });
		expect(typeof answer.json.request_id).toBe('string');
		const [request] = api.requests;
		expect(request.auth.kind).toBe('jwt');
		expect(request.auth.header).toEqual({ alg: 'HS256', typ: 'JWT' });
		expect(request.auth.claims?.iss).toBe(ACCESS_KEY);
		expect(request.auth.claims!.exp - request.auth.claims!.nbf).toBe(1805);
	});

	it('accepts a configured plain API key', async () => {
		const answer = await call(api.url, 'GET', CREATE, { authorization: `Bearer ${API_KEY}` });
		expect(answer.status).toBe(200);
		expect(api.requests[0].auth).toMatchObject({ kind: 'apiKey', token: API_KEY });
	});

	const rejections: Array<[string, () => string | null, number]> = [
		['missing header', () => null, 1001],
		['not a Bearer header', () => `Token ${jwt()}`, 1002],
		['bad signature', () => `Bearer ${signTestJwt(ACCESS_KEY, 'wrong-secret')}`, 1002],
		['wrong iss', () => `Bearer ${signTestJwt('other-access-key', SECRET_KEY)}`, 1002],
		['wrong alg', () => `Bearer ${jwt({ header: { alg: 'HS512', typ: 'JWT' } })}`, 1002],
		['alg none', () => `Bearer ${jwt({ header: { alg: 'none', typ: 'JWT' } })}`, 1002],
		['lifetime not 1800 s', () => `Bearer ${jwt({ exp: nowSec() + 86400 })}`, 1002],
		['nbf in the future', () => `Bearer ${jwt({ now: nowSec() + 600 })}`, 1003],
		['expired', () => `Bearer ${jwt({ now: nowSec() - 3600 })}`, 1004],
		['unknown opaque key', () => 'Bearer sk-unknown', 1000],
	];
	it.each(rejections)('rejects %s', async (_name, makeHeader, code) => {
		const authorization = makeHeader();
		const answer = await call(api.url, 'GET', CREATE, { authorization });
		expect(answer.status).toBe(401);
		expect(answer.json.code).toBe(code);
		expect(answer.json.message).toEqual(expect.any(String));
		// never echo the token
		const token = authorization?.split(' ')[1];
		if (token) expect(answer.text).not.toContain(token);
		expect(api.requests[0]).toMatchObject({ status: 401, code });
	});

	it('judges nbf and exp by its own (skewed) clock', async () => {
		const behind = await start({ clockOffsetSec: -600 });
		expect((await call(behind.url, 'GET', CREATE)).json.code).toBe(1003);
		const ahead = await start({ clockOffsetSec: 3600 });
		expect((await call(ahead.url, 'GET', CREATE)).json.code).toBe(1004);
	});
});

describe('prefix', () => {
	it('serves the API only under the prefix and downloads outside it', async () => {
		const proxy = await start({ prefix: '/kling', apiKeys: [API_KEY] });
		const authorization = `Bearer ${API_KEY}`;
		const created = await call(proxy.url, 'POST', `/kling${CREATE}`, { body: { prompt: 'a deer' }, authorization });
		expect(created.status).toBe(200);
		expect(proxy.requests[0]).toMatchObject({ path: `/kling${CREATE}`, apiPath: CREATE, kind: 'create' });

		const outside = await call(proxy.url, 'GET', CREATE, { authorization });
		expect([outside.status, outside.json.code]).toEqual([404, 1202]);

		const got = await call(proxy.url, 'GET', `/kling${CREATE}/${created.json.data.task_id}`, { authorization });
		const videoUrl: string = got.json.data.task_result.videos[0].url;
		expect(videoUrl.startsWith(`${proxy.url}/files/`)).toBe(true);
		expect((await fetch(videoUrl)).status).toBe(200);
		const underPrefix = await fetch(videoUrl.replace('/files/', '/kling/files/'));
		expect(underPrefix.status).toBe(404);
	});

	it('answers 404/1202 for unknown routes and methods', async () => {
		expect((await call(api.url, 'GET', '/v1/videos/image2video')).json.code).toBe(1202);
		expect((await call(api.url, 'DELETE', CREATE)).json.code).toBe(1202);
	});
});

describe('create validation', () => {
	const cameraSimple = (config: Record<string, unknown>) => ({ type: 'simple', config });
	const accepted: Array<[string, Record<string, unknown>]> = [
		['minimal body', { prompt: 'p' }],
		['all official fields', {
			model_name: 'kling-v1', prompt: 'p', negative_prompt: 'n', cfg_scale: 0.5, mode: 'pro',
			aspect_ratio: '9:16', duration: '10', external_task_id: 'ext-all',
		}],
		['prompt of exactly 2500 chars', { prompt: 'x'.repeat(2500) }],
		['camera preset on kling-v1 std 5 s', { prompt: 'p', mode: 'std', duration: '5', camera_control: { type: 'forward_up' } }],
		['camera preset with all-zero config', { prompt: 'p', camera_control: { type: 'down_back', config: { zoom: 0 } } }],
		['simple camera with one non-zero value', {
			prompt: 'p', camera_control: cameraSimple({ horizontal: 0, vertical: 0, pan: 0, tilt: 0, roll: 0, zoom: -10 }),
		}],
		['sound on kling-v2-6 pro', { model_name: 'kling-v2-6', prompt: 'p', mode: 'pro', sound: 'on' }],
		['mode on kling-v2-5-turbo', { model_name: 'kling-v2-5-turbo', prompt: 'p', mode: 'pro' }],
		['kling-v2-master without mode or cfg', { model_name: 'kling-v2-master', prompt: 'p', duration: '10' }],
	];
	it.each(accepted)('accepts %s', async (_name, body) => {
		const answer = await create(body);
		expect(answer.status).toBe(200);
		expect(answer.json.data).toMatchObject({ task_status: 'submitted', task_id: expect.any(String) });
		expect(api.tasks.size).toBe(1);
	});

	// every row has all four cells: jest passes a `done` callback in place of a missing last argument
	const rejected: Array<[string, Record<string, unknown> | unknown[], number, RegExp | undefined]> = [
		['an array body', [{ prompt: 'p' }], 1200, undefined],
		['an unknown field', { prompt: 'p', image_tail: 'x' }, 1200, /image_tail/],
		['a missing prompt', { negative_prompt: 'n' }, 1201, /prompt/],
		['an empty prompt', { prompt: '' }, 1201, /prompt/],
		['a prompt over 2500 chars', { prompt: 'x'.repeat(2501) }, 1201, /2500/],
		['a negative_prompt over 2500 chars', { prompt: 'p', negative_prompt: 'x'.repeat(2501) }, 1201, undefined],
		['a non-string negative_prompt', { prompt: 'p', negative_prompt: 3 }, 1201, undefined],
		['an unknown model', { prompt: 'p', model_name: 'kling-v9' }, 1201, /not supported/],
		['cfg_scale out of range', { prompt: 'p', cfg_scale: 1.5 }, 1201, undefined],
		['cfg_scale on a V2 model', { prompt: 'p', model_name: 'kling-v2-master', cfg_scale: 0.5 }, 1201,
			/cfg_scale is not supported by kling-v2-master/],
		['an unknown mode', { prompt: 'p', mode: 'turbo' }, 1201, undefined],
		['mode on kling-v2-1-master', { prompt: 'p', model_name: 'kling-v2-1-master', mode: 'std' }, 1201, undefined],
		['sound on kling-v1', { prompt: 'p', sound: 'off' }, 1201, undefined],
		['sound on kling-v2-6 std', { prompt: 'p', model_name: 'kling-v2-6', mode: 'std', sound: 'on' }, 1201, undefined],
		['sound on kling-v2-6 without mode (std)', { prompt: 'p', model_name: 'kling-v2-6', sound: 'on' }, 1201, undefined],
		['an unknown sound value', { prompt: 'p', model_name: 'kling-v2-6', mode: 'pro', sound: 'loud' }, 1201, undefined],
		['camera_control on kling-v1-6', { prompt: 'p', model_name: 'kling-v1-6', camera_control: { type: 'forward_up' } }, 1201, undefined],
		['camera_control on kling-v1 pro', { prompt: 'p', mode: 'pro', camera_control: { type: 'forward_up' } }, 1201, undefined],
		['camera_control with duration 10', { prompt: 'p', duration: '10', camera_control: { type: 'forward_up' } }, 1201, undefined],
		['an unknown camera type', { prompt: 'p', camera_control: { type: 'spin' } }, 1201, undefined],
		['simple camera without config', { prompt: 'p', camera_control: { type: 'simple' } }, 1201, undefined],
		['simple camera with two non-zero values', { prompt: 'p', camera_control: cameraSimple({ pan: 1, zoom: 2 }) }, 1201, undefined],
		['simple camera with all zeros', { prompt: 'p', camera_control: cameraSimple({ zoom: 0 }) }, 1201, undefined],
		['simple camera value out of range', { prompt: 'p', camera_control: cameraSimple({ zoom: 11 }) }, 1201, undefined],
		['simple camera with an unknown axis', { prompt: 'p', camera_control: cameraSimple({ dolly: 1 }) }, 1201, undefined],
		['a camera preset with config', { prompt: 'p', camera_control: { type: 'forward_up', config: { zoom: 3 } } }, 1201, undefined],
		['an unknown aspect_ratio', { prompt: 'p', aspect_ratio: '4:3' }, 1201, undefined],
		['a numeric duration', { prompt: 'p', duration: 5 }, 1201, undefined],
		['an unknown duration', { prompt: 'p', duration: '7' }, 1201, undefined],
		['a non-http callback_url', { prompt: 'p', callback_url: 'ftp://example.com/hook' }, 1201, undefined],
		['an empty external_task_id', { prompt: 'p', external_task_id: '' }, 1201, undefined],
	];
	it.each(rejected)('rejects %s', async (_name, body, code, message) => {
		const answer = await create(body);
		expect([answer.status, answer.json.code]).toEqual([400, code]);
		if (message) expect(answer.json.message).toMatch(message);
		expect(api.tasks.size).toBe(0);
		expect(api.requests[0]).toMatchObject({ kind: 'create', status: 400, code });
	});

	it('rejects bodies that are not JSON or not sent as JSON', async () => {
		expect((await create(undefined, { rawBody: '{"prompt":' })).json.code).toBe(1200);
		expect(api.requests[0].body).toBe('{"prompt":');
		expect((await create({ prompt: 'p' }, { contentType: 'text/plain' })).json.code).toBe(1200);
		expect(api.tasks.size).toBe(0);
	});

	it('rejects a duplicate external_task_id', async () => {
		expect((await create({ prompt: 'p', external_task_id: 'order-1' })).status).toBe(200);
		const duplicate = await create({ prompt: 'q', external_task_id: 'order-1' });
		expect([duplicate.status, duplicate.json.code]).toEqual([400, 1201]);
		expect(duplicate.json.message).toMatch(/duplicate external_task_id/);
		expect(api.tasks.size).toBe(1);
	});

	it('lets extra known models through with type checks only', async () => {
		const newer = await start({ knownModels: ['kling-v1', 'kling-v3'] });
		const answer = await call(newer.url, 'POST', CREATE, { body: { model_name: 'kling-v3', prompt: 'p', duration: '8' } });
		expect(answer.status).toBe(200);
		const removed = await call(newer.url, 'POST', CREATE, { body: { model_name: 'kling-v2-6', prompt: 'p' } });
		expect(removed.json.code).toBe(1201);
	});
});

describe('modelField', () => {
	it('official: reads model_name only; `model` alone silently runs kling-v1', async () => {
		expect((await create({ model: 'kling-v2-6', prompt: 'p' })).status).toBe(200);
		expect((await create({ model_name: 'kling-v2-6', prompt: 'p' })).status).toBe(200);
		expect([...api.tasks.values()].map((task) => task.model)).toEqual(['kling-v1', 'kling-v2-6']);
	});

	it("'model': reads model only", async () => {
		const proxy = await start({ modelField: 'model' });
		const post = (body: unknown) => call(proxy.url, 'POST', CREATE, { body });
		expect((await post({ prompt: 'p' })).json.code).toBe(1200);
		const withModelName = await post({ model_name: 'kling-v1', prompt: 'p' });
		expect([withModelName.status, withModelName.json.code]).toEqual([400, 1200]);
		expect(withModelName.json.message).toMatch(/model_name/);
		expect((await post({ model: 'kling-v9', prompt: 'p' })).json.code).toBe(1201);
		expect((await post({ model: 'kling-v1-6', prompt: 'p' })).status).toBe(200);
		expect([...proxy.tasks.values()].map((task) => task.model)).toEqual(['kling-v1-6']);
	});

	it("'either': accepts both names and rejects disagreement", async () => {
		const proxy = await start({ modelField: 'either' });
		const post = (body: unknown) => call(proxy.url, 'POST', CREATE, { body });
		expect((await post({ model: 'kling-v1', model_name: 'kling-v1-6', prompt: 'p' })).json.code).toBe(1201);
		expect((await post({ model: 'kling-v1-6', model_name: 'kling-v1-6', prompt: 'p' })).status).toBe(200);
		expect((await post({ model: 'kling-v2-master', prompt: 'p' })).status).toBe(200);
		expect((await post({ model_name: 'kling-v2-6', prompt: 'p' })).status).toBe(200);
		expect((await post({ prompt: 'p' })).status).toBe(200);
		expect([...proxy.tasks.values()].map((task) => task.model)).toEqual([
			'kling-v1-6', 'kling-v2-master', 'kling-v2-6', 'kling-v1',
		]);
	});
});

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

describe('list', () => {
	it('pages newest first', async () => {
		for (let i = 0; i < 5; i++) await create({ prompt: 'p', external_task_id: `e${i}` });
		const page = async (query: string) =>
			(await call(api.url, 'GET', `${CREATE}?${query}`)).json.data.map((task: { task_info: { external_task_id: string } }) => task.task_info.external_task_id);
		expect(await page('')).toEqual(['e4', 'e3', 'e2', 'e1', 'e0']);
		expect(await page('pageNum=1&pageSize=2')).toEqual(['e4', 'e3']);
		expect(await page('pageNum=3&pageSize=2')).toEqual(['e0']);
		expect(await page('pageNum=4&pageSize=2')).toEqual([]);
		expect(api.requests.at(-1)!.query).toEqual({ pageNum: '4', pageSize: '2' });
		// listing does not count as polling
		expect([...api.tasks.values()].every((task) => task.polls === 0)).toBe(true);
	});

	it.each(['pageSize=0', 'pageSize=501', 'pageSize=abc', 'pageSize=2.5', 'pageNum=0', 'pageNum=1001'])(
		'rejects %s',
		async (query) => {
			const answer = await call(api.url, 'GET', `${CREATE}?${query}`);
			expect([answer.status, answer.json.code]).toEqual([400, 1201]);
		},
	);

	it('accepts the bounds pageSize=500 and pageNum=1000', async () => {
		expect((await call(api.url, 'GET', `${CREATE}?pageSize=500&pageNum=1000`)).status).toBe(200);
	});
});

describe('downloads', () => {
	it('serves videoContent bytes without auth, streamed in chunks', async () => {
		const big = await start({ videoBytes: 3 * 1024 * 1024 + 3 });
		const created = await call(big.url, 'POST', CREATE, { body: { prompt: 'p' } });
		const taskId: string = created.json.data.task_id;
		const response = await fetch(`${big.url}/files/${taskId}/1.mp4`);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toBe('video/mp4');
		expect(response.headers.get('content-length')).toBe(String(3 * 1024 * 1024 + 3));
		const bytes = Buffer.from(await response.arrayBuffer());
		expect(bytes.equals(videoContent(taskId, 1, 3 * 1024 * 1024 + 3))).toBe(true);
		expect(bytes.subarray(4, 8).toString('latin1')).toBe('ftyp');
		expect(big.requests.at(-1)).toMatchObject({ kind: 'download', taskId, status: 200, auth: { kind: 'none' } });
	});

	it('videoContent is deterministic and distinct per task and video', () => {
		expect(videoContent('tk_a', 1, 5000).equals(videoContent('tk_a', 1, 5000))).toBe(true);
		expect(videoContent('tk_a', 1, 5000).equals(videoContent('tk_a', 2, 5000))).toBe(false);
		expect(videoContent('tk_a', 1, 5000).equals(videoContent('tk_b', 1, 5000))).toBe(false);
		expect(videoContent('tk_a', 1, 100_000).subarray(0, 5000).equals(videoContent('tk_a', 1, 5000).subarray(0, 5000))).toBe(false); // mdat size differs
		expect(videoContent('tk_a', 1, 100_000).subarray(40, 5000).equals(videoContent('tk_a', 1, 5000).subarray(40))).toBe(true);
	});

	it('answers 404 for unknown or unfinished videos', async () => {
		expect((await fetch(`${api.url}/files/nope/1.mp4`)).status).toBe(404);
		const slowTasks = await start({ taskDurationMs: 10_000 });
		const created = await call(slowTasks.url, 'POST', CREATE, { body: { prompt: 'p' } });
		expect((await fetch(`${slowTasks.url}/files/${created.json.data.task_id}/1.mp4`)).status).toBe(404);
	});
});

describe('faults', () => {
	it("'error' answers the given status, code and Retry-After without doing the work", async () => {
		api.injectFault({ on: 'create', kind: 'error', status: 429, code: 1303, message: 'busy', retryAfterSec: 2 });
		const faulted = await create({ prompt: 'p' });
		expect([faulted.status, faulted.json.code, faulted.json.message]).toEqual([429, 1303, 'busy']);
		expect(faulted.headers.get('retry-after')).toBe('2');
		expect(api.tasks.size).toBe(0);
		expect((await create({ prompt: 'p' })).status).toBe(200); // consumed
		expect(api.requests.map((request) => request.status)).toEqual([429, 200]);
	});

	it("'error' may be HTTP 200 with a non-zero code, and `times` repeats it", async () => {
		api.injectFault({ on: 'get', kind: 'error', status: 200, code: 5000, times: 2 });
		const created = await create({ prompt: 'p' });
		const codes = [];
		for (let i = 0; i < 3; i++) {
			const answer = await getTask(created.json.data.task_id);
			codes.push([answer.status, answer.json.code]);
		}
		expect(codes).toEqual([[200, 5000], [200, 5000], [200, 0]]);
	});

	it("'drop-after-accept' creates the task but never answers", async () => {
		api.injectFault({ on: 'create', kind: 'drop-after-accept' });
		await expect(create({ prompt: 'p' })).rejects.toThrow();
		expect(api.tasks.size).toBe(1);
		expect(api.requests[0]).toMatchObject({ kind: 'create', status: 0 });
	});

	it("'drop-before-accept' drops the connection without creating", async () => {
		api.injectFault({ on: 'create', kind: 'drop-before-accept' });
		await expect(create({ prompt: 'p' })).rejects.toThrow();
		expect(api.tasks.size).toBe(0);
		expect(api.requests[0]).toMatchObject({ kind: 'create', status: 0 });
	});

	it("'garbage', 'html', 'empty' and 'no-data' answer malformed bodies", async () => {
		api.injectFault({ on: 'list', kind: 'garbage' });
		api.injectFault({ on: 'list', kind: 'html' });
		api.injectFault({ on: 'list', kind: 'empty' });
		api.injectFault({ on: 'list', kind: 'no-data' });
		const garbage = await call(api.url, 'GET', CREATE);
		expect([garbage.status, garbage.text]).toEqual([200, 'not json{{']);
		const html = await call(api.url, 'GET', CREATE);
		expect(html.status).toBe(502);
		expect(html.headers.get('content-type')).toMatch(/^text\/html/);
		expect(html.text).toMatch(/<html>/);
		const empty = await call(api.url, 'GET', CREATE);
		expect([empty.status, empty.text]).toEqual([200, '']);
		const noData = await call(api.url, 'GET', CREATE);
		expect(noData.status).toBe(200);
		expect(noData.json).toMatchObject({ code: 0, message: 'SUCCEED' });
		expect('data' in noData.json).toBe(false);
		expect(api.requests.map((request) => request.kind)).toEqual(['list', 'list', 'list', 'list']);
	});

	it("'slow' answers normally after the delay", async () => {
		api.injectFault({ on: 'create', kind: 'slow', delayMs: 200 });
		const before = Date.now();
		const answer = await create({ prompt: 'p' });
		expect(answer.status).toBe(200);
		expect(Date.now() - before).toBeGreaterThanOrEqual(190);
		expect(api.requests[0].respondedAt - api.requests[0].receivedAt).toBeGreaterThanOrEqual(190);
	});

	it("matches faults by kind ('any' matches everything) and clearFaults empties the queue", async () => {
		api.injectFault({ on: 'download', kind: 'error', status: 503, code: 5001 });
		api.injectFault({ on: 'any', kind: 'error', status: 500, code: 5000 });
		expect((await create({ prompt: 'p' })).json.code).toBe(5000); // download fault skipped
		const created = await create({ prompt: 'p' });
		const download = await fetch(`${api.url}/files/${created.json.data.task_id}/1.mp4`);
		expect(download.status).toBe(503);
		api.injectFault({ on: 'any', kind: 'error' });
		api.clearFaults();
		expect((await call(api.url, 'GET', CREATE)).status).toBe(200);
	});
});

describe('limits, callbacks and shutdown', () => {
	it('answers 429/1303 over maxConcurrentTasks until a task finishes', async () => {
		const limited = await start({ maxConcurrentTasks: 1, taskDurationMs: 150 });
		const post = () => call(limited.url, 'POST', CREATE, { body: { prompt: 'p' } });
		expect((await post()).status).toBe(200);
		const over = await post();
		expect([over.status, over.json.code]).toEqual([429, 1303]);
		await sleep(200);
		expect((await post()).status).toBe(200);
	});

	it('POSTs each status change to callback_url', async () => {
		const received: Array<{ headers: http.IncomingHttpHeaders; body: Record<string, unknown> }> = [];
		const receiver = http.createServer((req, res) => {
			let text = '';
			req.on('data', (chunk) => (text += chunk));
			req.on('end', () => {
				received.push({ headers: req.headers, body: JSON.parse(text) });
				res.end('ok');
			});
		});
		await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
		const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
		try {
			const notifying = await start({ plan: () => ({ durationMs: 150, processingAfterMs: 50 }) });
			const created = await call(notifying.url, 'POST', CREATE, { body: { prompt: 'p', callback_url: hook, external_task_id: 'cb-1' } });
			for (let i = 0; i < 50 && notifying.callbacksSent.length < 2; i++) await sleep(20);
			expect(received.map((callback) => callback.body.task_status)).toEqual(['processing', 'succeed']);
			expect(received[1].body).toMatchObject({
				task_id: created.json.data.task_id,
				task_info: { external_task_id: 'cb-1' },
				task_result: { videos: [expect.objectContaining({ url: expect.any(String) })] },
			});
			expect(received[0].headers.authorization).toBeUndefined();
			expect(notifying.callbacksSent).toEqual([
				expect.objectContaining({ url: hook, status: 200 }),
				expect.objectContaining({ url: hook, status: 200 }),
			]);
		} finally {
			receiver.closeAllConnections();
			await new Promise((resolve) => receiver.close(resolve));
		}
	});

	it('records failed callbacks instead of throwing', async () => {
		const notifying = await start();
		await call(notifying.url, 'POST', CREATE, { body: { prompt: 'p', callback_url: 'http://127.0.0.1:1/hook' } });
		for (let i = 0; i < 50 && notifying.callbacksSent.length < 1; i++) await sleep(10);
		expect(notifying.callbacksSent[0]).toMatchObject({ url: 'http://127.0.0.1:1/hook', error: expect.any(String) });
	});

	it('records every request with sequence, query and times', async () => {
		await call(api.url, 'GET', `${CREATE}?pageSize=5`);
		await create({ prompt: 'p' });
		expect(api.requests.map((request) => [request.seq, request.method, request.kind])).toEqual([
			[1, 'GET', 'list'],
			[2, 'POST', 'create'],
		]);
		expect(api.requests[0].query).toEqual({ pageSize: '5' });
		expect(api.requests[1].body).toEqual({ prompt: 'p' });
		expect(api.requests[1].headers['content-type']).toBe('application/json');
		for (const request of api.requests) expect(request.respondedAt).toBeGreaterThanOrEqual(request.receivedAt);
	});

	it('closes quickly with keep-alive sockets and a slow answer in flight', async () => {
		const closing = await start(); // close() is idempotent, afterAll may call it again
		await call(closing.url, 'GET', CREATE); // leaves a keep-alive socket open
		closing.injectFault({ on: 'list', kind: 'slow', delayMs: 5000 });
		const inFlight = call(closing.url, 'GET', CREATE);
		inFlight.catch(() => undefined);
		await sleep(50);
		const before = Date.now();
		await closing.close();
		expect(Date.now() - before).toBeLessThan(500);
		await expect(inFlight).rejects.toThrow();
	});
});
