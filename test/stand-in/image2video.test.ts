/**
 * The image-to-video resource: every Create rule of Kling's image-to-video reference (the image, its
 * encoding and limits, the tail frame, masks and camera control per model, their exclusions), its own
 * tasks, list and callbacks, and the test images it serves.
 */
import { I2V_DEFAULT_MODELS, readImageFacts, testJpeg, testPng } from '../../stand-in';
import { type CallOptions, call, useStandIn } from './helpers';

const I2V = '/v1/videos/image2video';
const suite = useStandIn();
const create = (body: unknown, opts: CallOptions = {}) => call(suite.api.url, 'POST', I2V, { body, ...opts });

const png = (w = 320, h = 320, seed = 'i') => testPng(w, h, seed).toString('base64');
const IMG = png();
const URL_IMG = 'https://example.com/photo.jpg';
const mask = (points = [{ x: 10, y: 10 }, { x: 100, y: 120 }]) => ({ mask: png(320, 320, 'm'), trajectories: points });

describe('test images', () => {
	it('makes decodable PNGs and JPEG headers of the asked size, read back by its own reader', () => {
		expect(readImageFacts(testPng(640, 480))).toEqual({ format: 'png', width: 640, height: 480 });
		expect(readImageFacts(testJpeg(1024, 300))).toEqual({ format: 'jpeg', width: 1024, height: 300 });
		expect(testPng(300, 300, 'a').equals(testPng(300, 300, 'b'))).toBe(false);
		expect(testPng(300, 300, 'p', 2_000_000).length).toBeGreaterThanOrEqual(2_000_000);
		expect(readImageFacts(Buffer.from('GIF89a'))).toBeUndefined();
	});

	it('serves them without auth at /files/images/<name>-<w>x<h>.<png|jpg>, outside any prefix', async () => {
		const answer = await fetch(`${suite.api.url}/files/images/fox-640x480.png`);
		expect(answer.status).toBe(200);
		expect(answer.headers.get('content-type')).toBe('image/png');
		const bytes = Buffer.from(await answer.arrayBuffer());
		expect(bytes.equals(testPng(640, 480, 'fox'))).toBe(true);
		const jpeg = await fetch(`${suite.api.url}/files/images/fox-500x400.jpg`);
		expect(jpeg.headers.get('content-type')).toBe('image/jpeg');
		expect((await fetch(`${suite.api.url}/files/images/nothing.png`)).status).toBe(404);
		expect(suite.api.requests.map((r) => r.kind)).toEqual(['download', 'download', 'other']);
	});
});

describe('create validation', () => {
	const accepted: Array<[string, Record<string, unknown>]> = [
		['an image URL alone', { image: URL_IMG }],
		['base64 without prefix, all plain fields', {
			model_name: 'kling-v1-6', image: IMG, prompt: 'p', negative_prompt: 'n', cfg_scale: 0.3, mode: 'pro', duration: '10', external_task_id: 'e1',
		}],
		['a tail frame on kling-v1 std 5 s', { model_name: 'kling-v1', image: IMG, image_tail: png(320, 320, 't'), mode: 'std', duration: '5' }],
		['a tail frame on kling-v2-5-turbo pro 10 s', { model_name: 'kling-v2-5-turbo', image: URL_IMG, image_tail: URL_IMG, mode: 'pro', duration: '10' }],
		['a tail frame on kling-v2-6 pro, silent', { model_name: 'kling-v2-6', image: IMG, image_tail: IMG, mode: 'pro', sound: 'off' }],
		['sound on kling-v2-6 pro', { model_name: 'kling-v2-6', image: IMG, mode: 'pro', sound: 'on' }],
		['masks on kling-v1 pro 5 s', { model_name: 'kling-v1', image: IMG, mode: 'pro', static_mask: png(640, 640, 's'), dynamic_masks: [mask()] }],
		['six dynamic masks of 77 points on kling-v1-5 pro', {
			model_name: 'kling-v1-5', image: IMG, mode: 'pro', dynamic_masks: Array.from({ length: 6 }, () => mask(Array.from({ length: 77 }, (_, i) => ({ x: i, y: i })))),
		}],
		['a camera preset on kling-v1 std 5 s', { model_name: 'kling-v1', image: IMG, camera_control: { type: 'down_back' } }],
		['a simple camera move on kling-v1-5 pro 5 s', { model_name: 'kling-v1-5', image: IMG, mode: 'pro', camera_control: { type: 'simple', config: { zoom: 4 } } }],
		['a JPEG at the aspect limit 2.5:1', { image: testJpeg(750, 300).toString('base64') }],
		['no mode on kling-v2-master', { model_name: 'kling-v2-master', image: IMG, duration: '10' }],
	];
	it.each(accepted)('accepts %s', async (_name, body) => {
		const answer = await create(body);
		expect(answer.json).toMatchObject({ code: 0, data: { task_status: 'submitted' } });
		expect(suite.api.tasks.size).toBe(1);
		expect(suite.api.requests[0].resource).toBe('image2video');
	});

	const rejected: Array<[string, Record<string, unknown>, number, RegExp]> = [
		['a missing image', { prompt: 'p' }, 1201, /"image" is required/],
		['a data: prefix', { image: `data:image/png;base64,${IMG}` }, 1201, /prefix/],
		['text that is not base64', { image: 'not an image!' }, 1201, /neither an http\(s\) URL nor valid base64/],
		['a GIF', { image: Buffer.from('GIF89a0000000000').toString('base64') }, 1201, /format/],
		['an image under 300 px', { image: png(299, 400) }, 1201, /at least 300px/],
		['an aspect ratio over 2.5:1', { image: testJpeg(751, 300).toString('base64') }, 1201, /aspect ratio/],
		['an image over 10 MB', { image: testPng(300, 300, 'big', 10 * 1024 * 1024 + 1).toString('base64') }, 1201, /10MB/],
		['an unknown field', { image: IMG, aspect_ratio: '16:9' }, 1200, /aspect_ratio/],
		['an unknown model', { image: IMG, model_name: 'kling-v9' }, 1201, /not supported/],
		['a text-to-video only option, sound on kling-v1', { image: IMG, sound: 'off' }, 1201, /sound/],
		['cfg_scale on kling-v2-1', { model_name: 'kling-v2-1', image: IMG, cfg_scale: 0.5 }, 1201, /cfg_scale/],
		['a tail frame on kling-v1 pro', { model_name: 'kling-v1', image: IMG, image_tail: IMG, mode: 'pro' }, 1201, /image_tail/],
		['a tail frame on kling-v1-6 std', { model_name: 'kling-v1-6', image: IMG, image_tail: IMG }, 1201, /image_tail/],
		['a tail frame on kling-v2-master', { model_name: 'kling-v2-master', image: IMG, image_tail: IMG }, 1201, /image_tail/],
		['a tail frame with sound on kling-v2-6', { model_name: 'kling-v2-6', image: IMG, image_tail: IMG, mode: 'pro', sound: 'on' }, 1201, /silent/],
		['masks on kling-v1 at 10 s', { model_name: 'kling-v1', image: IMG, duration: '10', dynamic_masks: [mask()] }, 1201, /dynamic_masks/],
		['masks on kling-v1-5 std', { model_name: 'kling-v1-5', image: IMG, static_mask: IMG }, 1201, /static_mask/],
		['masks on kling-v2-6', { model_name: 'kling-v2-6', image: IMG, static_mask: IMG }, 1201, /static_mask/],
		['seven dynamic masks', { model_name: 'kling-v1', image: IMG, dynamic_masks: Array.from({ length: 7 }, () => mask()) }, 1201, /at most 6/],
		['a trajectory of one point', { model_name: 'kling-v1', image: IMG, dynamic_masks: [mask([{ x: 1, y: 1 }])] }, 1201, /2 to 77/],
		['a trajectory of 78 points', { model_name: 'kling-v1', image: IMG, dynamic_masks: [mask(Array.from({ length: 78 }, () => ({ x: 1, y: 1 })))] }, 1201, /2 to 77/],
		['a fractional point', { model_name: 'kling-v1', image: IMG, dynamic_masks: [mask([{ x: 1.5, y: 1 }, { x: 2, y: 2 }])] }, 1201, /integers/],
		['a mask of another aspect ratio', { model_name: 'kling-v1', image: IMG, static_mask: png(640, 320) }, 1201, /aspect ratio must match/],
		['camera control on kling-v1 pro', { model_name: 'kling-v1', image: IMG, mode: 'pro', camera_control: { type: 'down_back' } }, 1201, /camera_control/],
		['a camera preset on kling-v1-5', { model_name: 'kling-v1-5', image: IMG, mode: 'pro', camera_control: { type: 'down_back' } }, 1201, /type "down_back"/],
		['two camera axes', { model_name: 'kling-v1', image: IMG, camera_control: { type: 'simple', config: { zoom: 1, pan: 1 } } }, 1201, /exactly one/],
		['a tail frame with camera control', { model_name: 'kling-v1', image: IMG, image_tail: IMG, camera_control: { type: 'down_back' } }, 1201, /cannot be used at the same time/],
		['a tail frame with masks', { model_name: 'kling-v1', image: IMG, image_tail: IMG, static_mask: IMG }, 1201, /cannot be used at the same time/],
		['masks with camera control', { model_name: 'kling-v1', image: IMG, static_mask: IMG, camera_control: { type: 'down_back' } }, 1201, /cannot be used at the same time/],
		['a prompt over 2500 characters', { image: IMG, prompt: 'x'.repeat(2501) }, 1201, /2500/],
	];
	it.each(rejected)('refuses %s', async (_name, body, code, message) => {
		const answer = await create(body);
		expect(answer.status).toBe(code === 1200 ? 400 : 400);
		expect(answer.json.code).toBe(code);
		expect(answer.json.message).toMatch(message);
		expect(suite.api.tasks.size).toBe(0);
	});

	it('takes bodies far larger than text to video does (two 10 MB images in base64)', async () => {
		const big = testPng(300, 300, 'b', 10 * 1024 * 1024 - 100).toString('base64');
		const answer = await create({ model_name: 'kling-v2-5-turbo', mode: 'pro', image: big, image_tail: big });
		expect(answer.json.code).toBe(0);
	});

	it('accepts the image-to-video models by default, and knownModels when given', async () => {
		expect([...I2V_DEFAULT_MODELS].sort()).toEqual(
			['kling-v1', 'kling-v1-5', 'kling-v1-6', 'kling-v2-master', 'kling-v2-1', 'kling-v2-1-master', 'kling-v2-5-turbo', 'kling-v2-6'].sort(),
		);
		const newer = await suite.start({ knownModels: ['kling-v3'] });
		const answer = await call(newer.url, 'POST', I2V, { body: { model_name: 'kling-v3', image: IMG, image_tail: IMG, mode: 'pro', duration: '15', sound: 'on' } });
		expect(answer.json.code).toBe(0);
		// text to video keeps its own default models: kling-v1-5 made no text-to-video videos
		const text = await create({ model_name: 'kling-v1-5', image: IMG });
		expect(text.json.code).toBe(0);
		const t2v = await call(suite.api.url, 'POST', '/v1/videos/text2video', { body: { model_name: 'kling-v1-5', prompt: 'p' } });
		expect(t2v.json.code).toBe(1201);
	});
});

describe('tasks of their own', () => {
	it('are got and listed under image2video only, by task ID or external task ID', async () => {
		const made = await create({ image: URL_IMG, external_task_id: 'i2v-ext' });
		const id = made.json.data.task_id as string;
		await call(suite.api.url, 'POST', '/v1/videos/text2video', { body: { prompt: 'p' } });
		expect((await call(suite.api.url, 'GET', `${I2V}/${id}`)).json.data.task_id).toBe(id);
		expect((await call(suite.api.url, 'GET', `${I2V}/i2v-ext`)).json.data.task_id).toBe(id);
		expect((await call(suite.api.url, 'GET', `/v1/videos/text2video/${id}`)).json.code).toBe(1203);
		const list = await call(suite.api.url, 'GET', `${I2V}?pageNum=1&pageSize=10`);
		expect(list.json.data.map((t: { task_id: string }) => t.task_id)).toEqual([id]);
	});

	it('refuse a duplicate external task ID across resources, as Kling does per account', async () => {
		await call(suite.api.url, 'POST', '/v1/videos/text2video', { body: { prompt: 'p', external_task_id: 'shared' } });
		const answer = await create({ image: URL_IMG, external_task_id: 'shared' });
		expect(answer.json.code).toBe(1201);
		expect(answer.json.message).toMatch(/duplicate external_task_id/);
	});

	it('send callbacks on every status change after the Create', async () => {
		const received: unknown[] = [];
		const http = await import('node:http');
		const server = http.createServer((req, res) => {
			let text = '';
			req.on('data', (c) => (text += c));
			req.on('end', () => {
				received.push(JSON.parse(text));
				res.end('ok');
			});
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		const port = (server.address() as { port: number }).port;
		const standIn = await suite.start({ taskDurationMs: 300 });
		try {
			const answer = await call(standIn.url, 'POST', I2V, { body: { image: URL_IMG, callback_url: `http://127.0.0.1:${port}/cb` } });
			expect(answer.json.code).toBe(0);
			await new Promise((resolve) => setTimeout(resolve, 800));
			expect(received.map((b) => (b as { task_status: string }).task_status)).toEqual(['processing', 'succeed']);
			expect(received[1]).toMatchObject({ task_id: answer.json.data.task_id, task_result: { videos: [expect.objectContaining({ url: expect.stringContaining('/files/') })] } });
		} finally {
			server.close();
		}
	});
});
