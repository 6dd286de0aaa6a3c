/**
 * The videos: deterministic bytes, streaming, content types, chunked transfer, truncation.
 */
import * as http from 'node:http';

import { type KlingStandIn, type StandInOptions, videoContent } from '../../stand-in';
import { CREATE, call, rawRequest, useStandIn } from './helpers';

const suite = useStandIn();
const start = (options?: StandInOptions) => suite.start(options);
let api: KlingStandIn;
beforeAll(() => {
	api = suite.api;
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

describe('download faults and shapes', () => {
	async function finishedTask(standIn: KlingStandIn): Promise<string> {
		const created = await call(standIn.url, 'POST', CREATE, { body: { prompt: 'p' } });
		return created.json.data.task_id;
	}

	it("'html' on a download answers 200 with a text/html page (a CDN's error page)", async () => {
		const taskId = await finishedTask(api);
		api.injectFault({ on: 'download', kind: 'html' });
		const response = await fetch(`${api.url}/files/${taskId}/1.mp4`);
		expect(response.status).toBe(200);
		expect(response.headers.get('content-type')).toMatch(/^text\/html/);
		const text = await response.text();
		expect(text).toMatch(/<html>/);
		expect(text.length).toBeLessThan(1000);
		expect(api.requests[1]).toMatchObject({ kind: 'download', status: 200, code: undefined, fault: 'html' });
		// consumed: the next download is the video
		expect((await fetch(`${api.url}/files/${taskId}/1.mp4`)).headers.get('content-type')).toBe('video/mp4');
	});

	it("'truncate' writes afterBytes of the video, then destroys the socket", async () => {
		const sized = await start({ videoBytes: 300_000 });
		const taskId = await finishedTask(sized);
		sized.injectFault({ on: 'download', kind: 'truncate', afterBytes: 100_001 });
		const cut = await rawRequest(sized.url, 'GET', `/files/${taskId}/1.mp4`);
		expect(cut.status).toBe(200);
		expect(cut.headers['content-length']).toBe('300000');
		expect(cut.aborted).toBe(true);
		expect(cut.body.equals(videoContent(taskId, 1, 300_000).subarray(0, 100_001))).toBe(true);
		expect(sized.requests[1]).toMatchObject({ kind: 'download', status: 200, fault: 'truncate', bytesSent: 100_001 });
		await expect(fetch(`${sized.url}/files/${taskId}/1.mp4`).then((response) => response.arrayBuffer())).resolves.toHaveProperty(
			'byteLength',
			300_000,
		);
	});

	it("'truncate' with afterBytes 0 sends only the head; through fetch the body fails", async () => {
		const taskId = await finishedTask(api);
		api.injectFault({ on: 'download', kind: 'truncate' });
		const cut = await rawRequest(api.url, 'GET', `/files/${taskId}/1.mp4`);
		expect([cut.status, cut.body.length, cut.aborted]).toEqual([200, 0, true]);
		api.injectFault({ on: 'download', kind: 'truncate', afterBytes: 1000 });
		const response = await fetch(`${api.url}/files/${taskId}/1.mp4`);
		expect(response.status).toBe(200);
		await expect(response.arrayBuffer()).rejects.toThrow();
		expect(api.requests.slice(-2).map((request) => request.bytesSent)).toEqual([0, 1000]);
	});

	it('serves the planned Content-Type, and chunked without Content-Length', async () => {
		const shaped = await start({
			plan: (_body, index) => (index === 0 ? { videoContentType: 'application/octet-stream', videoBytes: 5000 } : { videoChunked: true, videoBytes: 200_003 }),
		});
		const typed = await finishedTask(shaped);
		const chunked = await finishedTask(shaped);

		const first = await rawRequest(shaped.url, 'GET', `/files/${typed}/1.mp4`);
		expect(first.headers['content-type']).toBe('application/octet-stream');
		expect(first.headers['content-length']).toBe('5000');
		expect(first.body.equals(videoContent(typed, 1, 5000))).toBe(true);

		const second = await rawRequest(shaped.url, 'GET', `/files/${chunked}/1.mp4`);
		expect(second.headers['content-type']).toBe('video/mp4');
		expect(second.headers['content-length']).toBeUndefined();
		expect(second.headers['transfer-encoding']).toBe('chunked');
		expect(second.aborted).toBe(false);
		expect(second.body.equals(videoContent(chunked, 1, 200_003))).toBe(true);
		expect(shaped.requests.slice(-2).map((request) => [request.status, request.bytesSent])).toEqual([
			[200, 5000],
			[200, 200_003],
		]);
		expect(shaped.tasks.get(typed)!.plan).toMatchObject({ videoContentType: 'application/octet-stream' });
		expect(shaped.tasks.get(chunked)!.plan).toMatchObject({ videoChunked: true });
	});

	it('a chunked download cut by truncate ends without the final chunk', async () => {
		const shaped = await start({ plan: () => ({ videoChunked: true, videoBytes: 50_000 }) });
		const taskId = await finishedTask(shaped);
		shaped.injectFault({ on: 'download', kind: 'truncate', afterBytes: 20_000 });
		const cut = await rawRequest(shaped.url, 'GET', `/files/${taskId}/1.mp4`);
		expect(cut.headers['transfer-encoding']).toBe('chunked');
		expect(cut.aborted).toBe(true);
		expect(cut.body.equals(videoContent(taskId, 1, 50_000).subarray(0, 20_000))).toBe(true);
	});

	it('streams a large video with backpressure, never holding it whole', async () => {
		const size = 32 * 1024 * 1024;
		const big = await start({ videoBytes: size });
		const taskId = await finishedTask(big);
		const sentWhilePaused = await new Promise<number>((resolve, reject) => {
			const request = http.get(`${big.url}/files/${taskId}/1.mp4`, { agent: false }, (response) => {
				response.pause();
				setTimeout(() => {
					const sent = big.requests.at(-1)!.bytesSent ?? -1;
					let received = 0;
					response.on('data', (chunk: Buffer) => (received += chunk.length));
					response.on('end', () => (received === size ? resolve(sent) : reject(new Error(`received ${received}`))));
					response.on('error', reject);
					response.resume();
				}, 300);
			});
			request.on('error', reject);
		});
		// while the client did not read, the stand-in stopped at what the socket buffers hold
		expect(sentWhilePaused).toBeGreaterThan(0);
		expect(sentWhilePaused).toBeLessThan(size / 2);
		expect(big.requests.at(-1)).toMatchObject({ kind: 'download', status: 200, bytesSent: size });
	}, 60_000);
});
