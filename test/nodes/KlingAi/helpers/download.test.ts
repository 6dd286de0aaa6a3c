import { createHash } from 'node:crypto';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';
import type { IBinaryData } from 'n8n-workflow';

import { runKlingNode } from '../../../helpers/engine';
import { startKlingStandIn, videoContent, type KlingStandIn } from '../../../../stand-in';

const API_KEY = 'download-api-key';
const VIDEO_BYTES = 3 * 1024 * 1024 + 17;
const storage = mkdtempSync(path.join(tmpdir(), 'kling-binary-'));

let standIn: KlingStandIn;
let videoCount = 1;

const credentials = () => ({ authentication: 'apiKey', apiKey: API_KEY, region: 'custom', baseUrl: standIn.url });

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const fileSha256 = async (file: string) => {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
	return hash.digest('hex');
};

beforeAll(async () => {
	// n8n's filesystem binary-data mode, as on a server: videos are streamed to disk, not kept in memory.
	process.env.N8N_DEFAULT_BINARY_DATA_MODE = 'filesystem';
	process.env.N8N_BINARY_DATA_STORAGE_PATH = storage;
	await Container.get(BinaryDataService).init();
	standIn = await startKlingStandIn({
		apiKeys: [API_KEY],
		videoBytes: VIDEO_BYTES,
		plan: () => ({ completeAfterPolls: 1, videoCount }),
	});
});

beforeEach(() => {
	standIn.reset();
	videoCount = 1;
});

afterAll(async () => {
	await standIn.close();
	rmSync(storage, { recursive: true, force: true });
});

async function expectStoredVideo(binary: IBinaryData, taskId: string, n: number, fileName: string) {
	expect(binary.mimeType).toBe('video/mp4');
	expect(binary.fileName).toBe(fileName);
	expect(binary.bytes).toBe(VIDEO_BYTES);
	expect(binary.id).toMatch(/^filesystem/);
	const service = Container.get(BinaryDataService);
	const stored = await fileSha256(service.getPath(binary.id!));
	expect(stored).toBe(sha256(videoContent(taskId, n, VIDEO_BYTES)));
}

describe('Download Video', () => {
	it('streams the finished video of Create into the binary property, byte for byte', async () => {
		const { items, error } = await runKlingNode({
			parameters: {
				resource: 'textToVideo',
				operation: 'create',
				model: 'kling-v2-5-turbo',
				prompt: 'Lanterns rising over a lake',
				waitForCompletion: true,
				pollInterval: 1,
				downloadVideo: true,
				binaryPropertyName: 'video',
			},
			credentials: credentials(),
		});
		expect(error).toBeUndefined();
		const taskId = items[0].json.task_id as string;
		expect(Object.keys(items[0].binary ?? {})).toEqual(['video']);
		await expectStoredVideo(items[0].binary!.video, taskId, 1, `${taskId}.mp4`);
		// The video is fetched without credentials: no token goes to the file host.
		const download = standIn.requests.find((r) => r.kind === 'download')!;
		expect(download.headers.authorization).toBeUndefined();
	});

	it('puts each video of a task into its own binary property', async () => {
		videoCount = 3;
		const { items, error } = await runKlingNode({
			parameters: {
				resource: 'textToVideo',
				operation: 'create',
				model: 'kling-v2-6',
				prompt: 'Three takes of a cat yawning',
				pollInterval: 1,
				downloadVideo: true,
			},
			credentials: credentials(),
		});
		expect(error).toBeUndefined();
		const taskId = items[0].json.task_id as string;
		expect(Object.keys(items[0].binary ?? {}).sort()).toEqual(['data', 'data_1', 'data_2']);
		await expectStoredVideo(items[0].binary!.data, taskId, 1, `${taskId}.mp4`);
		await expectStoredVideo(items[0].binary!.data_1, taskId, 2, `${taskId}_1.mp4`);
		await expectStoredVideo(items[0].binary!.data_2, taskId, 3, `${taskId}_2.mp4`);
	});

	it('downloads with Get, and leaves an unfinished task without binary data', async () => {
		const created = await runKlingNode({
			parameters: { resource: 'textToVideo', operation: 'create', prompt: 'A kite in the wind', waitForCompletion: false },
			credentials: credentials(),
		});
		const taskId = created.items[0].json.task_id as string;
		const get = (downloadVideo: boolean) =>
			runKlingNode({
				parameters: { resource: 'textToVideo', operation: 'get', taskId, downloadVideo },
				credentials: credentials(),
			});

		// completeAfterPolls: 1 — the first Get already sees the task finished.
		const first = await get(true);
		expect(first.error).toBeUndefined();
		expect(first.items[0].json.task_status).toBe('succeed');
		await expectStoredVideo(first.items[0].binary!.data, taskId, 1, `${taskId}.mp4`);

		const slow = await startKlingStandIn({ apiKeys: [API_KEY], taskDurationMs: 60_000 });
		try {
			const pending = await runKlingNode({
				parameters: { resource: 'textToVideo', operation: 'create', prompt: 'A slow one', waitForCompletion: false },
				credentials: { ...credentials(), baseUrl: slow.url },
			});
			const pendingGet = await runKlingNode({
				parameters: {
					resource: 'textToVideo',
					operation: 'get',
					taskId: pending.items[0].json.task_id as string,
					downloadVideo: true,
				},
				credentials: { ...credentials(), baseUrl: slow.url },
			});
			expect(pendingGet.error).toBeUndefined();
			expect(pendingGet.items[0].json.task_status).toMatch(/submitted|processing/);
			expect(pendingGet.items[0].binary).toBeUndefined();
			expect(slow.requests.filter((r) => r.kind === 'download')).toHaveLength(0);
		} finally {
			await slow.close();
		}
	});

	it('fails clearly when the video is gone (HTTP 404), naming the task', async () => {
		standIn.injectFault({ on: 'download', kind: 'error', status: 404, code: 1203 });
		const { error } = await runKlingNode({
			parameters: { resource: 'textToVideo', operation: 'create', prompt: 'Gone', pollInterval: 1, downloadVideo: true },
			credentials: credentials(),
		});
		const taskId = [...standIn.tasks.keys()][0];
		expect(error?.message).toContain(taskId);
		expect(error?.message).toContain('HTTP 404');
		expect(error?.description).toMatch(/30 days/);
	});
});
