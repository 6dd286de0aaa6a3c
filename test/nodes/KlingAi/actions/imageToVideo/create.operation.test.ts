/**
 * Image to Video → Create through n8n's engine against the strict stand-in: the image from a URL, from
 * base64 and from binary data (n8n's filesystem binary mode, and memory mode), checked byte for byte on
 * the stand-in's side; the tail frame, camera control and motion brush as Kling documents them; models by
 * expression; waiting and downloading; Get and Get Many on the image-to-video endpoint.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Container } from '@n8n/di';
import { BinaryDataService, FileLocation } from 'n8n-core';
import type { IBinaryData, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { runKlingNode } from '../../../../helpers/engine';
import { i2vParams, memoryBinary, pngBase64, testJpeg, testPng } from '../../../../helpers/image-kit';
import { apiKeyCredentials, createBodies, jwtCredentials } from '../../../../helpers/kling-test-kit';
import { type KlingStandIn, startKlingStandIn, videoContent } from '../../../../../stand-in';

const storage = mkdtempSync(path.join(tmpdir(), 'kling-i2v-binary-'));
let standIn: KlingStandIn;

beforeAll(async () => {
	// n8n's filesystem binary-data mode, as on a server: binary data lives on disk, the item holds an id.
	process.env.N8N_DEFAULT_BINARY_DATA_MODE = 'filesystem';
	process.env.N8N_BINARY_DATA_STORAGE_PATH = storage;
	await Container.get(BinaryDataService).init();
	standIn = await startKlingStandIn({ callbacks: false, videoBytes: 100_000, plan: () => ({ completeAfterPolls: 2 }) });
});
afterAll(async () => {
	await standIn.close();
	rmSync(storage, { recursive: true, force: true });
});
beforeEach(() => standIn.reset());

const run = (parameters: INodeParameters, items?: INodeExecutionData[]) =>
	runKlingNode({ parameters: i2vParams(parameters), credentials: jwtCredentials(standIn), items });

async function sentBody(parameters: INodeParameters, items?: INodeExecutionData[]) {
	const result = await run(parameters, items);
	expect(result.error).toBeUndefined();
	expect(standIn.requests.map((r) => [r.kind, r.status, r.path])).toEqual([['create', 200, '/v1/videos/image2video']]);
	return createBodies(standIn)[0];
}

async function storeOnDisk(bytes: Buffer, fileName: string, mimeType: string): Promise<IBinaryData> {
	const service = Container.get(BinaryDataService);
	return await service.store(FileLocation.ofExecution('wf-kling-test', 'seed'), bytes, { data: '', mimeType, fileName } as IBinaryData);
}

const sha = (text: string) => createHash('sha256').update(Buffer.from(text, 'base64')).digest('hex');

describe('the image', () => {
	it('from a URL: sent as typed (trimmed), with the model and an external task ID', async () => {
		const url = `${'http://127.0.0.1:1'}/files/images/fox-640x480.png`;
		const body = await sentBody({ model: 'kling-v2-5-turbo', mode: 'std', imageUrl: ` ${url} `, prompt: 'The fox runs' });
		expect(body).toEqual({
			model_name: 'kling-v2-5-turbo',
			image: url,
			prompt: 'The fox runs',
			mode: 'std',
			duration: '5',
			external_task_id: expect.stringMatching(/^n8n-/),
		});
	});

	it('from base64: a data: prefix and line breaks are dropped, the bytes arrive unchanged', async () => {
		const bytes = testPng(400, 300, 'b64');
		const wrapped = `data:image/png;base64,${bytes.toString('base64').replace(/(.{76})/g, '$1\n')}`;
		const body = await sentBody({ imageInputType: 'base64', imageBase64: '={{ $json.photo }}' }, [{ json: { photo: wrapped } }]);
		expect(body.image).toBe(bytes.toString('base64'));
		expect(Buffer.from(body.image as string, 'base64').equals(bytes)).toBe(true);
	});

	it('from binary data in filesystem mode: read from n8n\'s store and sent byte for byte as base64', async () => {
		const bytes = testPng(512, 384, 'disk');
		const stored = await storeOnDisk(bytes, 'photo.png', 'image/png');
		expect(stored.id).toMatch(/^filesystem/);
		expect(stored.data).not.toBe(bytes.toString('base64')); // not inline: the node must read the store
		const body = await sentBody({ imageInputType: 'binary', imageBinaryProperty: 'photo' }, [{ json: {}, binary: { photo: stored } }]);
		expect(body.image).toBe(bytes.toString('base64'));
		expect(sha(body.image as string)).toBe(createHash('sha256').update(bytes).digest('hex'));
	});

	it('from binary data in memory mode (inline base64, as n8n 1.x keeps it), JPEG too', async () => {
		const jpeg = testJpeg(1280, 720, 'mem');
		const body = await sentBody({ imageInputType: 'binary', imageBinaryProperty: 'data' }, [{ json: {}, binary: { data: memoryBinary(jpeg, 'a.jpg', 'image/jpeg') } }]);
		expect(Buffer.from(body.image as string, 'base64').equals(jpeg)).toBe(true);
	});

	it('each item its own image, in item order', async () => {
		const images = [testPng(300, 300, 'a'), testPng(300, 300, 'b'), testPng(300, 300, 'c')];
		const items = images.map((bytes) => ({ json: {}, binary: { data: memoryBinary(bytes) } }));
		const result = await run({ imageInputType: 'binary', imageBinaryProperty: 'data' }, items);
		expect(result.error).toBeUndefined();
		expect(result.items.map((i) => i.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		const byExternal = new Map([...standIn.tasks.values()].map((t) => [t.body.external_task_id, t.body.image]));
		result.items.forEach((item, index) => {
			expect(byExternal.get(item.json.external_task_id)).toBe(images[index].toString('base64'));
		});
	});
});

describe('tail frame, camera control and motion brush', () => {
	it('a tail frame on kling-v2-6 in Professional mode without sound, from binary', async () => {
		const tail = testPng(320, 320, 'tail');
		const body = await sentBody(
			{ model: 'kling-v2-6', mode: 'pro', duration: '10', imageSound: false, tailFrame: 'binary', tailImageBinaryProperty: 'last' },
			[{ json: {}, binary: { last: memoryBinary(tail) } }],
		);
		expect(body).toMatchObject({ model_name: 'kling-v2-6', mode: 'pro', duration: '10', sound: 'off', image_tail: tail.toString('base64') });
	});

	it('a simple camera move on kling-v1-5 in Professional mode at 5 s', async () => {
		const body = await sentBody({ model: 'kling-v1-5', mode: 'pro', imageCameraControl: 'simple', imageCameraMovement: { roll: -3 } });
		expect(body.camera_control).toEqual({ type: 'simple', config: { horizontal: 0, vertical: 0, pan: 0, tilt: 0, roll: -3, zoom: 0 } });
		expect(body.cfg_scale).toBe(0.5);
	});

	it('a camera preset on kling-v1 in Standard mode at 5 s', async () => {
		const body = await sentBody({ model: 'kling-v1', mode: 'std', imageCameraControl: 'left_turn_forward', imageCfgScale: 0.2 });
		expect(body).toMatchObject({ camera_control: { type: 'left_turn_forward' }, cfg_scale: 0.2 });
	});

	it('the motion brush on kling-v1: a static mask and dynamic masks with their trajectories', async () => {
		const image = testPng(400, 300, 'scene');
		const mask = testPng(800, 600, 'mask');
		const body = await sentBody(
			{
				model: 'kling-v1',
				mode: 'pro',
				imageInputType: 'base64',
				imageBase64: image.toString('base64'),
				motionBrush: true,
				staticMaskInputType: 'url',
				staticMaskUrl: 'https://example.com/static.png',
				dynamicMasks: {
					masks: [
						{ maskInputType: 'binary', mask: 'mask1', trajectory: '10,20 30,40 50,60' },
						{ maskInputType: 'url', mask: 'https://example.com/m2.png', trajectory: '={{ $json.path }}' },
					],
				},
			},
			[{ json: { path: [{ x: 0, y: 0 }, [400, 300]] }, binary: { mask1: memoryBinary(mask) } }],
		);
		expect(body.static_mask).toBe('https://example.com/static.png');
		expect(body.dynamic_masks).toEqual([
			{ mask: mask.toString('base64'), trajectories: [{ x: 10, y: 20 }, { x: 30, y: 40 }, { x: 50, y: 60 }] },
			{ mask: 'https://example.com/m2.png', trajectories: [{ x: 0, y: 0 }, { x: 400, y: 300 }] },
		]);
		expect(body).not.toHaveProperty('camera_control');
		expect(body).not.toHaveProperty('image_tail');
	});
});

describe('models by expression and custom models', () => {
	it('uses each item\'s own model and drops what that model does not take', async () => {
		const items = ['kling-v1', 'kling-v2-master', 'kling-v2-6'].map((model) => ({ json: { model } }));
		const result = await run({ model: '={{ $json.model }}', mode: 'std', imageCfgScale: 0.5, imageSound: false }, items);
		expect(result.error).toBeUndefined();
		const bodies = createBodies(standIn).sort((a, b) => String(a.model_name).localeCompare(String(b.model_name)));
		expect(bodies.map((b) => [b.model_name, 'cfg_scale' in b, 'mode' in b, 'sound' in b])).toEqual([
			['kling-v1', true, true, false],
			['kling-v2-6', false, true, false],
			['kling-v2-master', false, false, false],
		]);
	});

	it('passes a custom model ID through', async () => {
		const custom = await startKlingStandIn({ callbacks: false, knownModels: ['kling-v3'] });
		try {
			const result = await runKlingNode({
				parameters: i2vParams({ model: 'custom', customModel: 'kling-v3', mode: 'pro', tailFrame: 'url', tailImageUrl: 'https://example.com/end.jpg' }),
				credentials: jwtCredentials(custom),
			});
			expect(result.error).toBeUndefined();
			expect(createBodies(custom)[0]).toMatchObject({ model_name: 'kling-v3', image_tail: 'https://example.com/end.jpg' });
		} finally {
			await custom.close();
		}
	});
});

describe('CFG Scale range, declared by the credential (as on text to video)', () => {
	it('the official API takes 0–1: 5 is refused for the item, nothing sent', async () => {
		const { error } = await run({ model: 'kling-v1-6', imageCfgScale: 5 });
		const e = error as { message: string; description: string };
		expect(e.message).toMatch(/CFG Scale is 5; it must be a number from 0 to 1/);
		expect(e.description).toMatch(/Set CFG Scale to a number from 0 to 1/);
		expect(standIn.requests).toHaveLength(0);
	});

	it('a proxy credential declaring 0–100 sends 50, and the proxy takes it', async () => {
		const proxy = await startKlingStandIn({ callbacks: false, apiKeys: ['sk-test-proxy-key-123'], dialect: 'proxy' });
		try {
			const { error } = await runKlingNode({
				parameters: i2vParams({ model: 'kling-v1-6', imageCfgScale: 50 }),
				credentials: apiKeyCredentials(proxy, { cfgScaleRange: '0-100' }),
			});
			expect(error).toBeUndefined();
			expect(createBodies(proxy)[0].cfg_scale).toBe(50);
			expect(proxy.requests.map((r) => [r.kind, r.status, r.path])).toEqual([['create', 200, '/v1/videos/image2video']]);
		} finally {
			await proxy.close();
		}
	});
});

describe('retired models', () => {
	it('a model Kling says is discontinued: the error names it and the current image-to-video models, without a retry', async () => {
		const retired = await startKlingStandIn({ callbacks: false, retiredModels: ['kling-v1-5'] });
		try {
			const { error } = await runKlingNode({ parameters: i2vParams({ model: 'kling-v1-5', mode: 'pro' }), credentials: jwtCredentials(retired) });
			const e = error as { message: string; description: string };
			expect(e.message).toBe('Kling no longer runs the model kling-v1-5 (code 1201) [item 0]');
			// Image to video's own current models, not text to video's (Kling 3.0 is not in this resource's list).
			expect(e.description).toMatch(/^Choose a current model: Kling V2\.6 \(kling-v2-6\), Kling V2\.5 Turbo \(kling-v2-5-turbo\)\./);
			expect(retired.requests.map((r) => [r.kind, r.status])).toEqual([['create', 400]]);
		} finally {
			await retired.close();
		}
	});
});

describe('waiting, download, Get and Get Many', () => {
	it('waits for the video and downloads it into the item, byte for byte, as on text to video', async () => {
		const result = await run({ waitForCompletion: true, pollInterval: 1, downloadVideo: true, binaryPropertyName: 'video' });
		expect(result.error).toBeUndefined();
		const item = result.items[0];
		expect(item.json.task_status).toBe('succeed');
		const taskId = item.json.task_id as string;
		expect(item.binary?.video.mimeType).toBe('video/mp4');
		const service = Container.get(BinaryDataService);
		const stored = await service.getAsBuffer(item.binary!.video);
		expect(stored.equals(videoContent(taskId, 1, 100_000))).toBe(true);
		const polls = standIn.requests.filter((r) => r.kind === 'get');
		expect(polls.every((r) => r.path === `/v1/videos/image2video/${taskId}`)).toBe(true);
	});

	it('Get by external task ID and Get Many list the image-to-video tasks only', async () => {
		const made = await run({ options: { externalTaskId: 'i2v-order-7' } });
		expect(made.error).toBeUndefined();
		await runKlingNode({
			parameters: { resource: 'textToVideo', operation: 'create', prompt: 'text task', waitForCompletion: false },
			credentials: jwtCredentials(standIn),
		});
		const got = await runKlingNode({
			parameters: { resource: 'imageToVideo', operation: 'get', lookupBy: 'externalTaskId', externalTaskId: 'i2v-order-7' },
			credentials: jwtCredentials(standIn),
		});
		expect(got.error).toBeUndefined();
		expect(got.items[0].json).toMatchObject({ task_id: made.items[0].json.task_id, external_task_id: 'i2v-order-7' });
		const many = await runKlingNode({ parameters: { resource: 'imageToVideo', operation: 'getAll', returnAll: true }, credentials: jwtCredentials(standIn) });
		expect(many.items.map((i) => i.json.task_id)).toEqual([made.items[0].json.task_id]);
		expect(standIn.requests.filter((r) => r.kind === 'list').map((r) => r.path)).toEqual(['/v1/videos/image2video']);
	});

	it('idempotent: n8n running the same item again (Retry On Fail) finds the task instead of paying twice', async () => {
		const params: INodeParameters = { imageInputType: 'base64', imageBase64: pngBase64() };
		const first = await runKlingNode({ parameters: i2vParams(params), credentials: jwtCredentials(standIn), executionId: 'exec-i2v-retry' });
		const again = await runKlingNode({ parameters: i2vParams(params), credentials: jwtCredentials(standIn), executionId: 'exec-i2v-retry' });
		expect(first.error).toBeUndefined();
		expect(again.error).toBeUndefined();
		expect(again.items[0].json.task_id).toBe(first.items[0].json.task_id);
		expect(standIn.tasks.size).toBe(1);
	});
});
