/**
 * Injected faults: errors, drops, malformed bodies, slow answers, matching and clearing.
 */
import type { KlingStandIn } from '../../stand-in';
import { API_KEY, CREATE, type CallOptions, call, jwt, rawRequest, useStandIn } from './helpers';

const suite = useStandIn();
let api: KlingStandIn;
beforeAll(() => {
	api = suite.api;
});
const create = (body: unknown, opts: CallOptions = {}) => call(api.url, 'POST', CREATE, { body, ...opts });
const getTask = (id: string) => call(api.url, 'GET', `${CREATE}/${encodeURIComponent(id)}`);

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

describe('proxies that echo secrets', () => {
	it("'echo-secrets' answers a JSON error echoing the Authorization header and the token verbatim", async () => {
		api.injectFault({ on: 'create', kind: 'echo-secrets' });
		const token = jwt();
		const answer = await create({ prompt: 'p' }, { authorization: `Bearer ${token}` });
		expect([answer.status, answer.json.code]).toEqual([401, 1000]);
		expect(answer.json.message).toContain(`Bearer ${token}`);
		expect(answer.json.detail).toEqual({ authorization: `Bearer ${token}`, api_key: token });
		expect(typeof answer.json.request_id).toBe('string');
		expect(api.tasks.size).toBe(0);
		expect(api.requests[0]).toMatchObject({ kind: 'create', status: 401, code: 1000, fault: 'echo-secrets', auth: { kind: 'jwt' } });
	});

	it("'echo-secrets' echoes an API key too, with the given status, code and message", async () => {
		api.injectFault({ on: 'any', kind: 'echo-secrets', status: 403, code: 1103, message: 'Forbidden' });
		const answer = await call(api.url, 'GET', CREATE, { authorization: `Bearer ${API_KEY}` });
		expect([answer.status, answer.json.code]).toEqual([403, 1103]);
		expect(answer.json.message).toMatch(/^Forbidden/);
		expect(answer.json.message).toContain(API_KEY);
		expect(answer.json.detail).toEqual({ authorization: `Bearer ${API_KEY}`, api_key: API_KEY });
		expect(api.requests[0]).toMatchObject({ kind: 'list', status: 403, code: 1103, fault: 'echo-secrets' });
	});

	it("'echo-auth-text' answers a 502 text/plain gateway page with the Authorization line", async () => {
		api.injectFault({ on: 'get', kind: 'echo-auth-text' });
		const token = jwt();
		const answer = await call(api.url, 'GET', `${CREATE}/some-task`, { authorization: `Bearer ${token}` });
		expect(answer.status).toBe(502);
		expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
		expect(answer.text.split('\n')).toContain(`Authorization: Bearer ${token}`);
		expect(answer.json).toBeUndefined();
		expect(api.requests[0]).toMatchObject({ kind: 'get', status: 502, code: undefined, fault: 'echo-auth-text' });
	});

	it("'echo-auth-text' with format 'html' answers an HTML page with the Authorization line", async () => {
		api.injectFault({ on: 'create', kind: 'echo-auth-text', format: 'html', status: 500 });
		const answer = await create({ prompt: 'p' }, { authorization: `Bearer ${API_KEY}` });
		expect(answer.status).toBe(500);
		expect(answer.headers.get('content-type')).toMatch(/^text\/html/);
		expect(answer.text).toMatch(/<html>/);
		expect(answer.text.split('\n')).toContain(`Authorization: Bearer ${API_KEY}`);
		expect(api.tasks.size).toBe(0);
		expect(api.requests[0]).toMatchObject({ kind: 'create', status: 500, code: undefined, fault: 'echo-auth-text' });
	});

	it("'echo-auth-text' with format 'line' answers only the Authorization line", async () => {
		api.injectFault({ on: 'get', kind: 'echo-auth-text', format: 'line', status: 401 });
		const answer = await call(api.url, 'GET', `${CREATE}/some-task`, { authorization: `Bearer ${API_KEY}` });
		expect(answer.status).toBe(401);
		expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
		expect(answer.text).toBe(`Authorization: Bearer ${API_KEY}\n`);
		expect(api.requests[0]).toMatchObject({ kind: 'get', status: 401, code: undefined, fault: 'echo-auth-text' });
	});

	it('normal refusals still never echo the token', async () => {
		const answer = await call(api.url, 'GET', CREATE, { authorization: 'Bearer sk-unknown-secret' });
		expect(answer.json.code).toBe(1000);
		expect(answer.text).not.toContain('sk-unknown-secret');
	});
});

describe("'truncate' on API requests", () => {
	it('does the work, then cuts the JSON answer after afterBytes and closes the connection', async () => {
		api.injectFault({ on: 'create', kind: 'truncate', afterBytes: 10 });
		await expect(create({ prompt: 'p' })).rejects.toThrow();
		expect(api.tasks.size).toBe(1);
		expect(api.stats().createsAccepted).toBe(1);
		expect(api.requests[0]).toMatchObject({ kind: 'create', status: 200, code: 0, fault: 'truncate' });

		api.injectFault({ on: 'list', kind: 'truncate', afterBytes: 10 });
		const cut = await rawRequest(api.url, 'GET', CREATE);
		expect(cut.status).toBe(200);
		expect(cut.aborted).toBe(true);
		expect(cut.body.toString('utf8')).toBe('{"code":0,');
		expect(Number(cut.headers['content-length'])).toBeGreaterThan(10);
	});
});
