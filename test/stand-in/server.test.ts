/**
 * The stand-in's server: routing under a prefix, unknown routes, raw paths, the request log, shutdown.
 */
import { type KlingStandIn, type StandInOptions } from '../../stand-in';
import { API_KEY, CREATE, type CallOptions, call, rawRequest, sleep, useStandIn } from './helpers';

const suite = useStandIn();
const start = (options?: StandInOptions) => suite.start(options);
let api: KlingStandIn;
beforeAll(() => {
	api = suite.api;
});
const create = (body: unknown, opts: CallOptions = {}) => call(api.url, 'POST', CREATE, { body, ...opts });
const getTask = (id: string) => call(api.url, 'GET', `${CREATE}/${encodeURIComponent(id)}`);

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
		expect((await call(api.url, 'GET', '/v1/videos/video-extend')).json.code).toBe(1202);
		expect((await call(api.url, 'DELETE', CREATE)).json.code).toBe(1202);
	});
});

describe('request log and shutdown', () => {
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

describe('raw paths', () => {
	it.each([
		['..', '/v1/videos/text2video/..'],
		['.', '/v1/videos/text2video/.'],
		['%2E%2E', '/v1/videos/text2video/%2E%2E'],
		['a malformed escape', '/v1/videos/text2video/%E0%A4%A'],
	])('answers 404/1203 for the task id %s, and records the raw path', async (_name, path) => {
		await create({ prompt: 'p' }); // a task exists; none of these ids may reach it
		const answer = await rawRequest(api.url, 'GET', path);
		expect(answer.status).toBe(404);
		expect(JSON.parse(answer.body.toString('utf8')).code).toBe(1203);
		expect(api.requests[1]).toMatchObject({
			kind: 'get',
			resource: 'text2video',
			url: path,
			path,
			apiPath: path,
			status: 404,
			code: 1203,
			auth: { kind: 'jwt' },
		});
		expect(api.tasks.get(api.requests[1].taskId!)).toBeUndefined();
	});

	it('keeps dot segments under a prefix and in other paths', async () => {
		const proxy = await start({ prefix: '/kling', apiKeys: [API_KEY] });
		const authorization = `Bearer ${API_KEY}`;
		const dots = await rawRequest(proxy.url, 'GET', `/kling${CREATE}/..`, { authorization });
		expect([dots.status, JSON.parse(dots.body.toString()).code]).toEqual([404, 1203]);
		expect(proxy.requests[0]).toMatchObject({ path: `/kling${CREATE}/..`, apiPath: `${CREATE}/..`, kind: 'get', taskId: '..' });

		// `/text2video/../text2video` is not a Get (two segments) and is not resolved into the list path
		const notResolved = await rawRequest(api.url, 'GET', `${CREATE}/../text2video?pageSize=2`);
		expect([notResolved.status, JSON.parse(notResolved.body.toString()).code]).toEqual([404, 1202]);
		expect(api.requests[0]).toMatchObject({ kind: 'other', path: `${CREATE}/../text2video`, query: { pageSize: '2' }, status: 404, code: 1202 });
		expect(api.requests[0].resource).toBeUndefined();
	});

	it('records the resource of API requests and none for downloads', async () => {
		const created = await create({ prompt: 'p' });
		await getTask(created.json.data.task_id);
		await fetch(`${api.url}/files/${created.json.data.task_id}/1.mp4`);
		expect(api.requests.map((request) => [request.kind, request.resource])).toEqual([
			['create', 'text2video'],
			['get', 'text2video'],
			['download', undefined],
		]);
	});
});
