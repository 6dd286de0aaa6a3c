/**
 * The example workflows, run by the real n8n CLI with this package installed from its `npm pack`
 * tarball, against the local Kling stand-in (the credentials point at it through their custom URL).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { startKlingStandIn, videoContent, type KlingStandIn } from '../stand-in';
import {
	ensureN8n,
	executeWorkflow,
	importCredentials,
	importWorkflow,
	newN8nUser,
	nodeItems,
	packPackage,
	REPO,
	removeN8nUsers,
	tarballFiles,
	VERSION,
	type N8nUser,
	type RunItem,
} from './helpers/n8n';

const ACCESS_KEY = 'e2e-access-key';
const SECRET_KEY = 'e2e-secret-key-9f8e7d';
const API_KEY = 'e2e-api-key-5c4b3a';
const PROXY_KEY = 'sk-e2e-proxy-key-1a2b';
const VIDEO_BYTES = 200 * 1024;

let official: KlingStandIn;
let proxy: KlingStandIn;
let tarball: string;
const timings: Record<string, number> = {};

type Workflow = { id: string; nodes: Array<{ name: string; type: string; parameters: Record<string, unknown> }> };

function example(file: string): Workflow {
	return JSON.parse(readFileSync(path.join(REPO, 'examples', file), 'utf8')) as Workflow;
}

/** A picture the stand-in serves (a real PNG), in place of the examples' internet images. */
const testImageUrl = () => `${official.url}/files/images/example-640x480.png`;

/** Shortens the examples' waits for the test: polls every second, the Wait node waits 4 s (tasks take 2.5 s), files go to the run's folder, images come from the stand-in. */
function forTest(workflow: Workflow, user: N8nUser): Workflow {
	for (const node of workflow.nodes) {
		const p = node.parameters;
		if (node.type === 'n8n-nodes-base.httpRequest' && typeof p.url === 'string' && /\.(png|jpe?g)$/i.test(p.url)) p.url = testImageUrl();
		if (node.type === 'n8n-nodes-kling.klingAi' && typeof p.tailImageUrl === 'string') p.tailImageUrl = testImageUrl();
		if (node.type === 'n8n-nodes-kling.klingAi' && p.waitForCompletion) p.pollInterval = 1;
		if (node.type === 'n8n-nodes-base.wait') Object.assign(p, { amount: 4, unit: 'seconds' });
		if (node.type === 'n8n-nodes-base.readWriteFile') p.fileName = `=${user.outDir}/{{ $json.task_id }}.mp4`;
	}
	return workflow;
}

const officialCredential = (auth: 'accessKey' | 'apiKey') => ({
	id: 'klingOfficialCred',
	name: 'Kling AI (official)',
	type: 'klingAiApi',
	data:
		auth === 'accessKey'
			? { authentication: 'accessKey', accessKey: ACCESS_KEY, secretKey: SECRET_KEY, region: 'custom', baseUrl: `${official.url}/`, pathPrefix: '', modelField: 'model_name' }
			: { authentication: 'apiKey', apiKey: API_KEY, region: 'custom', baseUrl: official.url, pathPrefix: '', modelField: 'model_name' },
});

const proxyCredential = () => ({
	id: 'klingProxyCred',
	name: 'Kling AI (proxy)',
	type: 'klingAiApi',
	data: { authentication: 'apiKey', apiKey: PROXY_KEY, region: 'custom', baseUrl: proxy.url, pathPrefix: '/kling', modelField: 'model' },
});

async function run(file: string, credentials: object[]) {
	const started = Date.now();
	const user = await newN8nUser(tarball);
	await importCredentials(user, credentials as Parameters<typeof importCredentials>[1]);
	const workflow = forTest(example(file), user);
	await importWorkflow(user, workflow);
	const execution = await executeWorkflow(user, workflow.id);
	timings[file + (credentials.length ? ` (${(credentials[0] as { data: { authentication: string } }).data.authentication})` : '')] = Date.now() - started;
	return { user, execution };
}

/**
 * The video in n8n's binary-data mode of the version: 2.x stores it (filesystem mode: an `id`
 * `filesystem…:…` and its size in `bytes`); 1.x keeps it in the item as base64 (no `bytes`).
 */
function expectStoredVideo(item: RunItem, taskId: string) {
	const binary = item.binary?.data;
	if (VERSION.binaryData === 'filesystem') {
		expect(binary?.id).toMatch(/^filesystem/);
		expect(binary?.bytes).toBe(VIDEO_BYTES);
	} else {
		expect(binary?.id).toBeUndefined();
		expect(Buffer.from(binary?.data ?? '', 'base64').equals(videoContent(taskId, 1, VIDEO_BYTES))).toBe(true);
	}
}

const SECRETS = [SECRET_KEY, API_KEY, PROXY_KEY];
function expectNoSecrets(text: string) {
	for (const secret of SECRETS) expect(text).not.toContain(secret);
	expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\./);
}

beforeAll(async () => {
	const install = ensureN8n();
	timings['n8n install'] = install.seconds * 1000;
	const packStarted = Date.now();
	tarball = packPackage();
	timings['build + pack'] = Date.now() - packStarted;
	official = await startKlingStandIn({ accessKey: ACCESS_KEY, secretKey: SECRET_KEY, apiKeys: [API_KEY], taskDurationMs: 2500, videoBytes: VIDEO_BYTES });
	proxy = await startKlingStandIn({ apiKeys: [PROXY_KEY], prefix: '/kling', modelField: 'model', taskDurationMs: 1500, videoBytes: VIDEO_BYTES });
}, 900_000);

beforeEach(() => {
	official.reset();
	proxy.reset();
});

afterAll(async () => {
	removeN8nUsers();
	await official?.close();
	await proxy?.close();
	process.stdout.write(`\n[e2e] timings: ${Object.entries(timings).map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`).join('; ')}\n`);
});

describe('the packed package', () => {
	it('holds only dist, README, LICENSE and package.json', () => {
		const files = tarballFiles(tarball);
		expect(files.filter((file) => !/^(dist\/|README\.md$|LICENSE$|package\.json$)/.test(file))).toEqual([]);
		expect(files).toEqual(
			expect.arrayContaining([
				'dist/nodes/KlingAi/KlingAi.node.js',
				'dist/nodes/KlingAi/KlingAi.node.json',
				'dist/credentials/KlingAiApi.credentials.js',
				'dist/icons/kling.svg',
				'dist/icons/kling.dark.svg',
			]),
		);
	});
});

describe('example workflows, run by the n8n CLI', () => {
	it('1. text to finished video (Access Key + Secret Key): waits, downloads, writes the MP4', async () => {
		const { user, execution } = await run('01-text-to-finished-video.json', [officialCredential('accessKey')]);
		const [item] = nodeItems(execution, 'Create Video');
		expect(item.json).toMatchObject({ task_status: 'succeed', video_url: expect.stringContaining('/files/') });
		const taskId = item.json.task_id as string;
		expect(item.binary?.data).toMatchObject({ fileName: `${taskId}.mp4`, mimeType: 'video/mp4' });
		expectStoredVideo(item, taskId);
		nodeItems(execution, 'Save Video');
		expect(readFileSync(path.join(user.outDir, `${taskId}.mp4`)).equals(videoContent(taskId, 1, VIDEO_BYTES))).toBe(true);

		const api = official.requests.filter((r) => r.kind !== 'download');
		expect(api.length).toBeGreaterThanOrEqual(2);
		for (const request of api) {
			expect(request.status).toBe(200);
			expect(request.auth.kind).toBe('jwt');
			expect(request.auth.claims?.iss).toBe(ACCESS_KEY);
		}
		const create = api.find((r) => r.kind === 'create')!;
		// kling-v2-6 in pro: sound on; CFG Scale and camera control are hidden for it and never sent.
		expect(create.body).toMatchObject({ model_name: 'kling-v2-6', mode: 'pro', sound: 'on', duration: '5', aspect_ratio: '16:9' });
		expect(create.body).not.toHaveProperty('cfg_scale');
		expect(create.body).not.toHaveProperty('camera_control');
		expect(create.body).not.toHaveProperty('model');
		expectNoSecrets(execution.output);
	});

	it('1. the same workflow with an API key credential', async () => {
		const { execution } = await run('01-text-to-finished-video.json', [officialCredential('apiKey')]);
		expect(nodeItems(execution, 'Create Video')[0].json.task_status).toBe('succeed');
		const api = official.requests.filter((r) => r.kind !== 'download');
		expect(api.every((r) => r.auth.kind === 'apiKey' && r.headers.authorization === `Bearer ${API_KEY}`)).toBe(true);
		expectNoSecrets(execution.output);
	});

	it('2. submit now, fetch later: Create without waiting, Wait, then Get with the video', async () => {
		const { execution } = await run('02-submit-now-fetch-later.json', [officialCredential('accessKey')]);
		const [submitted] = nodeItems(execution, 'Submit Video');
		expect(submitted.json.task_status).toBe('submitted');
		const [fetched] = nodeItems(execution, 'Fetch Video');
		expect(fetched.json).toMatchObject({ task_id: submitted.json.task_id, task_status: 'succeed' });
		expect(fetched.binary?.data).toMatchObject({ fileName: `${submitted.json.task_id}.mp4`, mimeType: 'video/mp4' });
		expectStoredVideo(fetched, submitted.json.task_id as string);
		const create = official.requests.find((r) => r.kind === 'create')!;
		// kling-v2-5-turbo has no sound: the field is hidden, so not sent.
		expect(create.body).toMatchObject({ model_name: 'kling-v2-5-turbo', mode: 'std', aspect_ratio: '9:16' });
		expect(create.body).not.toHaveProperty('sound');
		expect(create.body).not.toHaveProperty('cfg_scale');
	});

	it('3. batch: one item per prompt, created and awaited side by side, then Get Many once', async () => {
		const { execution } = await run('03-batch-side-by-side.json', [officialCredential('accessKey')]);
		const videos = nodeItems(execution, 'Create Videos');
		expect(videos).toHaveLength(4);
		expect(videos.every((item) => item.json.task_status === 'succeed')).toBe(true);
		const creates = official.requests.filter((r) => r.kind === 'create');
		expect(new Set(creates.map((r) => (r.body as { prompt: string }).prompt)).size).toBe(4);
		// Side by side: every Create was sent before the first task finished.
		const firstFinish = Math.min(...[...official.tasks.values()].map((t) => t.finishedAt));
		expect(Math.max(...creates.map((r) => r.receivedAt))).toBeLessThan(firstFinish);
		const recent = nodeItems(execution, 'Recent Tasks');
		expect(recent).toHaveLength(4);
		expect(official.requests.filter((r) => r.kind === 'list')).toHaveLength(1);
	});

	it('4. proxy credential: /kling prefix, Bearer key, model field "model"', async () => {
		const { execution } = await run('04-proxy-credential.json', [proxyCredential()]);
		const [item] = nodeItems(execution, 'Create Video (Proxy)');
		expect(item.json.task_status).toBe('succeed');
		expect(item.binary?.data?.mimeType).toBe('video/mp4');
		const api = proxy.requests.filter((r) => r.kind !== 'download');
		expect(api.every((r) => r.path.startsWith('/kling/v1/videos/text2video') && r.auth.kind === 'apiKey')).toBe(true);
		const create = api.find((r) => r.kind === 'create')!;
		expect(create.body).toMatchObject({
			model: 'kling-v1',
			cfg_scale: 0.7,
			camera_control: { type: 'simple', config: { horizontal: 0, vertical: 0, pan: 0, tilt: 0, roll: 0, zoom: 5 } },
		});
		expect(create.body).not.toHaveProperty('model_name');
		expect(create.body).not.toHaveProperty('sound');
		expectNoSecrets(execution.output);
	});

	it('6. image to video: HTTP Request fetches an image, the node sends it as base64 with a tail frame URL, waits, downloads', async () => {
		const { user, execution } = await run('06-image-to-video.json', [officialCredential('accessKey')]);
		const [item] = nodeItems(execution, 'Animate Image');
		expect(item.json.task_status).toBe('succeed');
		const taskId = item.json.task_id as string;
		expect(item.binary?.video).toMatchObject({ fileName: `${taskId}.mp4`, mimeType: 'video/mp4' });
		nodeItems(execution, 'Save Video');
		expect(readFileSync(path.join(user.outDir, `${taskId}.mp4`)).equals(videoContent(taskId, 1, VIDEO_BYTES))).toBe(true);

		const image = Buffer.from(await (await fetch(testImageUrl())).arrayBuffer());
		const create = official.requests.find((r) => r.kind === 'create')!;
		expect(create.path).toBe('/v1/videos/image2video');
		const body = create.body as Record<string, unknown>;
		// the downloaded file, byte for byte, base64 without a data: prefix; the tail frame by URL
		expect(Buffer.from(String(body.image), 'base64').equals(image)).toBe(true);
		expect(body.image_tail).toBe(testImageUrl());
		expectNoSecrets(execution.output);
	});

	it('7. a three-shot Kling 3.0 video: multi-shot sent as Kling names it, waited for, downloaded', async () => {
		const { execution } = await run('07-kling-3-multi-shot.json', [officialCredential('accessKey')]);
		const [item] = nodeItems(execution, 'Create Three-Shot Video');
		expect(item.json.task_status).toBe('succeed');
		expect(item.binary?.data?.mimeType).toBe('video/mp4');
		const create = official.requests.find((r) => r.kind === 'create')!;
		expect(create.body).toMatchObject({
			model_name: 'kling-v3',
			mode: 'pro',
			duration: '12',
			sound: 'on',
			multi_shot: true,
			shot_type: 'customize',
			multi_prompt: [
				{ index: 1, duration: '4', prompt: expect.stringMatching(/^Wide shot/) },
				{ index: 2, duration: '4', prompt: expect.stringMatching(/^Close-up/) },
				{ index: 3, duration: '4', prompt: expect.stringMatching(/^Aerial/) },
			],
		});
	});

	it('a failing workflow fails the run (exit 1 and an error), so the suite cannot pass on one', async () => {
		const user = await newN8nUser(tarball);
		await importCredentials(user, [{ ...officialCredential('accessKey'), data: { ...officialCredential('accessKey').data, secretKey: 'wrong-secret' } }]);
		const workflow = forTest(example('01-text-to-finished-video.json'), user);
		await importWorkflow(user, workflow);
		const execution = await executeWorkflow(user, workflow.id);
		expect(() => nodeItems(execution, 'Create Video')).toThrow(/failed/);
		expect(execution.status).not.toBe(0);
		expect(execution.output).toMatch(/code 1002/);
		expect(execution.output).not.toContain('wrong-secret');
	});
});
