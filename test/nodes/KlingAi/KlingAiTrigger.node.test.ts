/**
 * The Kling AI Trigger, driven through n8n-core's real WebhookContext behind a real HTTP server
 * (test/helpers/webhook.ts), against the Kling stand-in: real callbacks the stand-in sends on every
 * status change, forged ones posted by the test, the secret, verification, downloads.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';
import { NodeHelpers, type ICredentialDataDecryptedObject, type IDataObject, type INodeParameters } from 'n8n-workflow';

import { simplifyTask } from '../../../nodes/KlingAi/helpers/simplify';
import type { KlingTask } from '../../../nodes/KlingAi/transport';
import { secretMatches, taskFromBody } from '../../../nodes/KlingAi/KlingAiTrigger.node';
import { startTriggerServer, triggerNodeType, type Delivery, type TriggerServer } from '../../helpers/webhook';
import { startKlingStandIn, videoContent, type KlingStandIn, type TaskPlan } from '../../../stand-in';

const API_KEY = 'sk-trigger-test-key-4f1e9a';
const ACCESS_KEY = 'test-access-key';
const SECRET_KEY = 'test-secret-key';
const SECRET = 'cb-secret-7Hq2pXw9';
const VIDEO_BYTES = 256 * 1024 + 13;
const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}/;

const storage = mkdtempSync(path.join(tmpdir(), 'kling-trigger-binary-'));

let standIn: KlingStandIn;
let trigger: TriggerServer;
let plan: Partial<TaskPlan> = {};
/** Every delivery of the whole suite, for the final "no secrets anywhere" check. */
const allDeliveries: Delivery[] = [];

const apiKeyCredentials = (): ICredentialDataDecryptedObject => ({
	authentication: 'apiKey',
	apiKey: API_KEY,
	region: 'custom',
	baseUrl: standIn.url,
});
const jwtCredentials = (): ICredentialDataDecryptedObject => ({
	authentication: 'accessKey',
	accessKey: ACCESS_KEY,
	secretKey: SECRET_KEY,
	region: 'custom',
	baseUrl: standIn.url,
});

/**
 * Sets the trigger up. The URL secret lives in the credential (Callback URL Secret) since version
 * 1.1; with `typeVersion: 1` it stays the node parameter `secret` of the first version.
 */
function configure(parameters: INodeParameters = {}, credentials: ICredentialDataDecryptedObject | null = apiKeyCredentials(), typeVersion = 1.1) {
	const { secret, ...rest } = parameters;
	if (typeVersion === 1 || secret === undefined) {
		trigger.configure({ parameters, credentials: credentials ?? undefined, typeVersion });
		return;
	}
	trigger.configure({ parameters: rest, credentials: { ...(credentials ?? {}), callbackSecret: String(secret) }, typeVersion });
}

const callbackUrl = (secret: string | undefined = SECRET) => {
	const url = new URL(trigger.webhookUrl);
	if (secret !== undefined) url.searchParams.set('secret', secret);
	return url.toString();
};

/** Creates a task at the stand-in over its HTTP API, as the Kling AI node's Create does. */
async function createTask(extra: Record<string, unknown> = {}): Promise<string> {
	const response = await fetch(`${standIn.url}/v1/videos/text2video`, {
		method: 'POST',
		headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
		body: JSON.stringify({ model_name: 'kling-v1', prompt: 'A paper boat on a rainy street', ...extra }),
	});
	const answer = (await response.json()) as { code: number; message: string; data?: { task_id: string } };
	if (answer.code !== 0 || !answer.data) throw new Error(`stand-in refused the task: ${answer.code} ${answer.message}`);
	return answer.data.task_id;
}

/** The task as Kling's API answers it (the `data` of a Get). */
async function apiTask(taskId: string): Promise<KlingTask> {
	const response = await fetch(`${standIn.url}/v1/videos/text2video/${taskId}`, {
		headers: { authorization: `Bearer ${API_KEY}` },
	});
	return ((await response.json()) as { data: KlingTask }).data;
}

const getsOf = (taskId: string) => standIn.requests.filter((r) => r.kind === 'get' && r.taskId === taskId).length;
const callbackStatuses = () =>
	standIn.callbacksSent.map((c) => [(c.body as { task_status: string }).task_status, c.status ?? c.error]);

beforeAll(async () => {
	// n8n's filesystem binary-data mode, as on a server.
	process.env.N8N_DEFAULT_BINARY_DATA_MODE = 'filesystem';
	process.env.N8N_BINARY_DATA_STORAGE_PATH = storage;
	await Container.get(BinaryDataService).init();
	standIn = await startKlingStandIn({ apiKeys: [API_KEY], videoBytes: VIDEO_BYTES, plan: () => plan });
	trigger = await startTriggerServer({ parameters: {} });
});

beforeEach(() => {
	plan = {};
	standIn.reset();
	trigger.reset();
	configure({ secret: SECRET });
});

afterEach(async () => {
	await trigger.idle();
	allDeliveries.push(...trigger.deliveries);
});

afterAll(async () => {
	await trigger.close();
	await standIn.close();
	rmSync(storage, { recursive: true, force: true });
});

describe('the Production URL', () => {
	it('is the URL n8n-core gives the node (webhook base, webhook ID, path kling)', () => {
		expect(trigger.webhookUrl).toBe(`${trigger.url}/webhook/5b0c7f3e-4a1d-4c39-9a51-2f7e8d6c1b90/kling`);
	});
});

describe('real callbacks from Kling', () => {
	it('verifies and emits a task once, for succeed; the processing callback is answered 200 and not emitted', async () => {
		plan = { durationMs: 700, processingAfterMs: 150 };
		const taskId = await createTask({ callback_url: callbackUrl() });
		await trigger.waitFor(() => standIn.callbacksSent.length >= 2);

		expect(callbackStatuses()).toEqual([
			['processing', 200],
			['succeed', 200],
		]);
		const [processing, succeed] = trigger.deliveries;
		expect(processing.emitted).toBeUndefined();
		expect(processing.responseBody).toEqual({
			received: true,
			task_id: taskId,
			task_status: 'processing',
			ignored: 'status not selected',
		});
		expect(succeed.responseBody).toEqual({ received: true, task_id: taskId, task_status: 'succeed' });
		// Only the selected status was checked with the API: one Get.
		expect(getsOf(taskId)).toBe(1);

		const emitted = trigger.emitted();
		expect(emitted).toHaveLength(1);
		expect(emitted[0].binary).toBeUndefined();
		expect(emitted[0].json).toEqual(simplifyTask(await apiTask(taskId)));
		expect(emitted[0].json).toMatchObject({
			task_id: taskId,
			task_status: 'succeed',
			video_url: `${standIn.url}/files/${taskId}/1.mp4`,
		});
	});

	it('emits every selected status in order, each checked against the API', async () => {
		configure({ secret: SECRET, statuses: ['submitted', 'processing', 'succeed', 'failed'] });
		plan = { durationMs: 900, processingAfterMs: 150 };
		const taskId = await createTask({ callback_url: callbackUrl() });
		await trigger.waitFor(() => standIn.callbacksSent.length >= 2);

		expect(callbackStatuses()).toEqual([
			['processing', 200],
			['succeed', 200],
		]);
		expect(trigger.emitted().map((item) => item.json.task_status)).toEqual(['processing', 'succeed']);
		expect(getsOf(taskId)).toBe(2);
	});

	it('emits a failed task with the reason Kling gives', async () => {
		plan = { durationMs: 300, processingAfterMs: 100, fail: 'Prompt blocked by the content policy' };
		const taskId = await createTask({ callback_url: callbackUrl() });
		await trigger.waitFor(() => standIn.callbacksSent.length >= 2);

		const emitted = trigger.emitted();
		expect(emitted).toHaveLength(1);
		expect(emitted[0].json).toMatchObject({
			task_id: taskId,
			task_status: 'failed',
			task_status_msg: 'Prompt blocked by the content policy',
			video_url: null,
		});
	});

	it('with Simplify off, emits the API\'s task as Kling returns it (not the posted body)', async () => {
		configure({ secret: SECRET, simplify: false });
		plan = { durationMs: 300, processingAfterMs: 100 };
		const taskId = await createTask({ callback_url: callbackUrl(), external_task_id: 'order-77' });
		await trigger.waitFor(() => standIn.callbacksSent.length >= 2);

		const emitted = trigger.emitted();
		expect(emitted).toHaveLength(1);
		expect(emitted[0].json).toEqual(await apiTask(taskId));
		expect(emitted[0].json).toMatchObject({ task_info: { external_task_id: 'order-77' }, final_unit_deduction: '1' });
	});
});

describe('forged callbacks', () => {
	it('an unknown task ID is answered 404 and not emitted', async () => {
		const answer = await trigger.post({ task_id: 'tk_does_not_exist', task_status: 'succeed' }, { query: { secret: SECRET } });
		expect(answer.status).toBe(404);
		expect(answer.body).toEqual({ received: false, error: 'Unknown task', task_id: 'tk_does_not_exist' });
		expect(trigger.emitted()).toHaveLength(0);
		expect(getsOf('tk_does_not_exist')).toBe(1);
	});

	it('succeed for a task that is still processing is answered 409 and not emitted (after one re-check)', async () => {
		plan = { durationMs: 60_000, processingAfterMs: 0 };
		const taskId = await createTask();
		const forged = {
			task_id: taskId,
			task_status: 'succeed',
			task_result: { videos: [{ id: 'v1', url: 'http://attacker.invalid/evil.mp4', duration: '5' }] },
		};
		const started = Date.now();
		const answer = await trigger.post(forged, { query: { secret: SECRET } });
		expect(answer.status).toBe(409);
		expect(answer.body).toEqual({
			received: false,
			error: 'The task status does not match Kling',
			task_id: taskId,
			task_status: 'succeed',
			api_task_status: 'processing',
		});
		expect(trigger.emitted()).toHaveLength(0);
		// The API was asked again after a pause, in case it lagged behind its own callback.
		expect(getsOf(taskId)).toBe(2);
		expect(Date.now() - started).toBeGreaterThanOrEqual(900);
	});

	it('a stale status (processing for a task that has succeeded) is answered 409 at once', async () => {
		plan = { durationMs: 0 };
		const taskId = await createTask();
		const answer = await trigger.post(
			{ task_id: taskId, task_status: 'processing' },
			{ query: { secret: SECRET } },
		);
		// processing is not selected by default: select it so the status gets as far as verification.
		expect(answer.status).toBe(200);
		configure({ secret: SECRET, statuses: ['processing'] });
		const selected = await trigger.post({ task_id: taskId, task_status: 'processing' }, { query: { secret: SECRET } });
		expect(selected.status).toBe(409);
		expect(selected.body).toMatchObject({ task_status: 'processing', api_task_status: 'succeed' });
		expect(getsOf(taskId)).toBe(1);
		expect(trigger.emitted()).toHaveLength(0);
	});
});

describe('body shapes', () => {
	it('accepts the flat task and the wrapped { code, message, data } form alike', async () => {
		plan = { durationMs: 0 };
		const taskId = await createTask();
		const task = await apiTask(taskId);

		const flat = await trigger.post(task, { query: { secret: SECRET } });
		const wrapped = await trigger.post({ code: 0, message: 'SUCCEED', request_id: 'r1', data: task }, { query: { secret: SECRET } });
		expect([flat.status, wrapped.status]).toEqual([200, 200]);
		const emitted = trigger.emitted();
		expect(emitted).toHaveLength(2);
		expect(emitted[0].json).toEqual(simplifyTask(task));
		expect(emitted[1].json).toEqual(simplifyTask(task));
	});

	it.each([
		['an empty object', {}],
		['a status without a task_id', { task_status: 'succeed' }],
		['an empty task_id', { task_id: '  ', task_status: 'succeed' }],
		['a wrapper without a task', { code: 0, message: 'SUCCEED', data: {} }],
		['a JSON array', [{ task_id: 'x', task_status: 'succeed' }]],
		['a task_id of 300 characters', { task_id: 'x'.repeat(300), task_status: 'succeed' }],
	])('answers %s with 400 and emits nothing', async (_name, body) => {
		const answer = await trigger.post(body, { query: { secret: SECRET } });
		expect(answer.status).toBe(400);
		expect(answer.body).toEqual({ received: false, error: 'Expected a Kling task with a task_id' });
		expect(trigger.emitted()).toHaveLength(0);
		expect(standIn.requests).toHaveLength(0);
	});

	it('answers a body that is not JSON with 400', async () => {
		const answer = await trigger.post(undefined, { query: { secret: SECRET }, rawBody: 'task_id=1', contentType: 'text/plain' });
		expect(answer.status).toBe(400);
		expect(trigger.emitted()).toHaveLength(0);
	});

	it('answers a task without a task_status with 400', async () => {
		const answer = await trigger.post({ task_id: 'tk_1' }, { query: { secret: SECRET } });
		expect(answer.status).toBe(400);
		expect(answer.body).toEqual({ received: false, error: 'Expected a Kling task with a task_status' });
		expect(standIn.requests).toHaveLength(0);
	});

	it('reads the task out of either shape (unit)', () => {
		expect(taskFromBody({ task_id: 7, task_status: 'succeed' })).toEqual({ task_id: '7', task_status: 'succeed' });
		expect(taskFromBody({ code: 0, data: { task_id: 'a', task_status: 'failed' } })).toEqual({ task_id: 'a', task_status: 'failed' });
		expect(taskFromBody(null)).toBeUndefined();
		expect(taskFromBody('task_id')).toBeUndefined();
	});
});

describe('the secret', () => {
	const body = { task_id: 'tk_any', task_status: 'succeed' };

	it.each([
		['missing', {}],
		['wrong', { secret: 'cb-secret-7Hq2pXw8' }],
		['wrong and of another length', { secret: 'x' }],
		['empty', { secret: '' }],
		['given twice', { secret: [SECRET, SECRET] }],
		['in another case', { secret: SECRET.toUpperCase() }],
	])('%s: answered 401, nothing emitted, Kling not asked', async (_name, query) => {
		const answer = await trigger.post(body, { query });
		expect(answer.status).toBe(401);
		expect(answer.body).toEqual({ received: false, error: 'Missing or wrong secret' });
		expect(trigger.emitted()).toHaveLength(0);
		expect(standIn.requests).toHaveLength(0);
	});

	it('right: accepted', async () => {
		plan = { durationMs: 0 };
		const taskId = await createTask();
		const answer = await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: SECRET } });
		expect(answer.status).toBe(200);
		expect(trigger.emitted()).toHaveLength(1);
	});

	it('not set: no query parameter is needed', async () => {
		configure({});
		plan = { durationMs: 0 };
		const taskId = await createTask();
		const answer = await trigger.post({ task_id: taskId, task_status: 'succeed' });
		expect(answer.status).toBe(200);
		expect(trigger.emitted()).toHaveLength(1);
	});

	it('is compared in constant time over hashes (unit)', () => {
		expect(secretMatches(SECRET, SECRET)).toBe(true);
		expect(secretMatches(`${SECRET} `, SECRET)).toBe(false);
		expect(secretMatches(undefined, SECRET)).toBe(false);
		expect(secretMatches([SECRET], SECRET)).toBe(false);
	});
});

describe('Verify with API off', () => {
	it('emits the posted body, simplified, without asking Kling (no credential needed)', async () => {
		configure({ secret: SECRET, verifyWithApi: false }, null);
		const posted = {
			task_id: 'tk_unverified',
			task_status: 'succeed',
			task_status_msg: '',
			task_info: { external_task_id: 'ext-1' },
			created_at: 1_700_000_000_000,
			updated_at: 1_700_000_060_000,
			task_result: { videos: [{ id: 'v1', url: 'https://cdn.example.com/v1.mp4', duration: '5' }] },
		};
		const answer = await trigger.post({ code: 0, message: 'SUCCEED', data: posted }, { query: { secret: SECRET } });
		expect(answer.status).toBe(200);
		expect(trigger.emitted().map((item) => item.json)).toEqual([simplifyTask(posted as KlingTask)]);
		expect(standIn.requests).toHaveLength(0);
	});

	it('with Simplify off, emits the posted task as posted (unwrapped)', async () => {
		configure({ verifyWithApi: false, simplify: false }, null);
		const posted = { task_id: 'tk_raw', task_status: 'failed', task_status_msg: 'nope', extra: { a: 1 } };
		const answer = await trigger.post({ code: 0, message: 'SUCCEED', data: posted });
		expect(answer.status).toBe(200);
		expect(trigger.emitted().map((item) => item.json)).toEqual([posted]);
	});

	it('still filters by status', async () => {
		configure({ verifyWithApi: false }, null);
		const answer = await trigger.post({ task_id: 'tk_1', task_status: 'processing' });
		expect(answer.status).toBe(200);
		expect(trigger.emitted()).toHaveLength(0);
	});

	it('never downloads from a posted URL, even with Download Video set', async () => {
		configure({ verifyWithApi: false, downloadVideo: true }, null);
		const posted = {
			task_id: 'tk_ssrf',
			task_status: 'succeed',
			task_result: { videos: [{ id: 'v1', url: `${standIn.url}/files/tk_ssrf/1.mp4` }] },
		};
		const answer = await trigger.post(posted);
		expect(answer.status).toBe(200);
		expect(trigger.emitted()).toHaveLength(1);
		expect(trigger.emitted()[0].binary).toBeUndefined();
		expect(standIn.requests).toHaveLength(0);
	});
});

describe('Download Video', () => {
	it('downloads the video of a verified succeed callback into the binary field, byte for byte', async () => {
		configure({ secret: SECRET, downloadVideo: true, binaryPropertyName: 'video' });
		plan = { durationMs: 300, processingAfterMs: 100 };
		const taskId = await createTask({ callback_url: callbackUrl() });
		await trigger.waitFor(() => standIn.callbacksSent.length >= 2);

		expect(callbackStatuses()).toEqual([
			['processing', 200],
			['succeed', 200],
		]);
		const emitted = trigger.emitted();
		expect(emitted).toHaveLength(1);
		const binary = emitted[0].binary!;
		expect(Object.keys(binary)).toEqual(['video']);
		expect(binary.video).toMatchObject({ mimeType: 'video/mp4', fileName: `${taskId}.mp4`, bytes: VIDEO_BYTES });
		const stored = await Container.get(BinaryDataService).getAsBuffer(binary.video);
		expect(stored.equals(videoContent(taskId, 1, VIDEO_BYTES))).toBe(true);
		// The file host got no credential.
		const downloads = standIn.requests.filter((r) => r.kind === 'download');
		expect(downloads).toHaveLength(1);
		expect(downloads[0].headers.authorization).toBeUndefined();
	});

	it('puts further videos of the task into data_1, data_2, …', async () => {
		configure({ secret: SECRET, downloadVideo: true });
		plan = { durationMs: 0, videoCount: 2 };
		const taskId = await createTask();
		const answer = await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: SECRET } });
		expect(answer.status).toBe(200);
		const binary = trigger.emitted()[0].binary!;
		expect(Object.keys(binary)).toEqual(['data', 'data_1']);
		const service = Container.get(BinaryDataService);
		expect((await service.getAsBuffer(binary.data)).equals(videoContent(taskId, 1, VIDEO_BYTES))).toBe(true);
		expect((await service.getAsBuffer(binary.data_1)).equals(videoContent(taskId, 2, VIDEO_BYTES))).toBe(true);
	});

	it('downloads nothing for a failed task', async () => {
		configure({ downloadVideo: true });
		plan = { durationMs: 0, fail: 'no credits' };
		const taskId = await createTask();
		const answer = await trigger.post({ task_id: taskId, task_status: 'failed' });
		expect(answer.status).toBe(200);
		expect(trigger.emitted()[0].binary).toBeUndefined();
		expect(standIn.requests.filter((r) => r.kind === 'download')).toHaveLength(0);
	});

	it('a download that fails is an error of the trigger (n8n answers 500), not a silent item without video', async () => {
		configure({ downloadVideo: true });
		plan = { durationMs: 0 };
		const taskId = await createTask();
		standIn.injectFault({ on: 'download', kind: 'error', status: 404, code: 1203 });
		const answer = await trigger.post({ task_id: taskId, task_status: 'succeed' });
		expect(answer.status).toBe(500);
		expect(trigger.emitted()).toHaveLength(0);
		expect(trigger.deliveries[0].error?.message).toMatch(/Could not download the video of Kling task/);
	});
});

describe('when Kling cannot be asked', () => {
	it('without a credential: n8n answers 500 and the error says what to do', async () => {
		configure({}, null);
		const answer = await trigger.post({ task_id: 'tk_1', task_status: 'succeed' });
		expect(answer.status).toBe(500);
		expect(answer.body).toEqual({ code: 0, message: 'Workflow Webhook Error: Workflow could not be started!' });
		expect(trigger.emitted()).toHaveLength(0);
		const error = trigger.deliveries[0].error as Error & { description?: string };
		expect(error.name).toBe('NodeOperationError');
		expect(error.message).toBe('Verify with API needs a Kling AI API credential');
		expect(error.description).toMatch(/turn Verify with API off, and set a Callback URL Secret in the credential/);
	});

	it('with keys Kling refuses: n8n answers 500, nothing is emitted, the error names the problem', async () => {
		configure({}, { ...apiKeyCredentials(), apiKey: 'sk-wrong-key-0000' });
		const answer = await trigger.post({ task_id: 'tk_1', task_status: 'succeed' });
		expect(answer.status).toBe(500);
		expect(trigger.emitted()).toHaveLength(0);
		const error = trigger.deliveries[0].error!;
		expect(error.name).toBe('NodeApiError');
		expect(error.message).toMatch(/Kling could not authenticate the request/);
		expect(JSON.stringify({ message: error.message, description: (error as { description?: string }).description })).not.toMatch(
			/sk-wrong-key-0000/,
		);
	});

	it('a passing server error is tried again, and the callback is accepted', async () => {
		plan = { durationMs: 0 };
		const taskId = await createTask();
		standIn.injectFault({ on: 'get', kind: 'error', status: 500, code: 5000 });
		const answer = await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: SECRET } });
		expect(answer.status).toBe(200);
		expect(standIn.requests.filter((r) => r.kind === 'get').map((r) => r.status)).toEqual([500, 200]);
		expect(trigger.emitted()).toHaveLength(1);
	});

	it('verifies with Access Key + Secret Key credentials as well', async () => {
		configure({ secret: SECRET }, jwtCredentials());
		plan = { durationMs: 0 };
		const taskId = await createTask();
		const answer = await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: SECRET } });
		expect(answer.status).toBe(200);
		expect(standIn.requests.find((r) => r.kind === 'get')?.auth.kind).toBe('jwt');
		expect(trigger.emitted()).toHaveLength(1);
	});
});

describe('duplicate deliveries', () => {
	it('are emitted each time: the node keeps no state (the notice suggests Remove Duplicates)', async () => {
		plan = { durationMs: 0 };
		const taskId = await createTask();
		for (let i = 0; i < 2; i++) {
			expect((await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: SECRET } })).status).toBe(200);
		}
		expect(trigger.emitted()).toHaveLength(2);
	});
});

describe('the node description', () => {
	const description = triggerNodeType.description;

	it('is a webhook trigger that answers itself, with no inputs and no tool use', () => {
		expect(description).toMatchObject({
			name: 'klingAiTrigger',
			displayName: 'Kling AI Trigger',
			group: ['trigger'],
			inputs: [],
			webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'kling' }],
		});
		expect(description.usableAsTool).toBeUndefined();
	});

	it('tells the user where the Production URL goes, how to add the secret, and about duplicates', () => {
		expect(description.description).toMatch(/Production URL into the Kling AI node: Create → Options → Callback URL/);
		const notice = description.properties.find((p) => p.type === 'notice')!.displayName;
		expect(notice).toMatch(/Production URL/);
		expect(notice).toMatch(/\?secret=/);
		expect(notice).toMatch(/Remove Duplicates node on task_id and task_status/);
	});

	it('offers the credential whatever the verification (it holds the Callback URL Secret too)', () => {
		const credential = description.credentials![0];
		const node = { parameters: {} } as never;
		const shown = (verifyWithApi: boolean) =>
			NodeHelpers.displayParameter({ verifyWithApi } as INodeParameters, credential, node, description);
		expect(credential).toMatchObject({ name: 'klingAiApi', required: false });
		expect(shown(true)).toBe(true);
		expect(shown(false)).toBe(true);
	});

	it('has the documented parameters and defaults', () => {
		const byName = Object.fromEntries(description.properties.map((p) => [p.name, p]));
		expect(byName.statuses).toMatchObject({ type: 'multiOptions', default: ['succeed', 'failed'] });
		expect((byName.statuses.options as unknown as IDataObject[]).map((o) => o.value)).toEqual(['submitted', 'processing', 'succeed', 'failed']);
		expect(byName.verifyWithApi).toMatchObject({ type: 'boolean', default: true });
		expect(byName.secret).toMatchObject({ type: 'string', default: '', typeOptions: { password: true } });
		expect(byName.simplify).toMatchObject({ type: 'boolean', default: true });
		expect(byName.downloadVideo).toMatchObject({ type: 'boolean', default: false, displayOptions: { show: { verifyWithApi: [true] } } });
		expect(byName.binaryPropertyName).toMatchObject({ default: 'data', displayOptions: { show: { verifyWithApi: [true], downloadVideo: [true] } } });
	});

	it('has nothing to register at Kling on activation (the URL goes with each task)', async () => {
		const methods = triggerNodeType.webhookMethods.default;
		const hook = {} as never;
		expect(await methods.checkExists.call(hook)).toBe(true);
		expect(await methods.create.call(hook)).toBe(true);
		expect(await methods.delete.call(hook)).toBe(true);
	});
});

describe('no secret anywhere', () => {
	it('no answer and no emitted item of this suite holds the secret, a key or a token', () => {
		expect(allDeliveries.length).toBeGreaterThan(40);
		const forbidden = [SECRET, API_KEY, SECRET_KEY, 'sk-wrong-key-0000'];
		for (const delivery of allDeliveries) {
			const texts = [delivery.responseText, JSON.stringify(delivery.emitted ?? [])];
			if (delivery.error) texts.push(delivery.error.message, String((delivery.error as { description?: string }).description ?? ''));
			for (const text of texts) {
				for (const secret of forbidden) expect(text).not.toContain(secret);
				expect(text).not.toMatch(JWT_PATTERN);
				expect(text).not.toMatch(/Bearer/i);
			}
		}
	});
});

describe('task type: callbacks of image-to-video tasks', () => {
	/** An image-to-video task made at the stand-in, as the node's Image to Video Create does. */
	async function createImageTask(): Promise<string> {
		const response = await fetch(`${standIn.url}/v1/videos/image2video`, {
			method: 'POST',
			headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
			body: JSON.stringify({ model_name: 'kling-v2-6', image: 'https://example.com/photo.jpg', prompt: 'It starts to rain' }),
		});
		const answer = (await response.json()) as { code: number; message: string; data?: { task_id: string } };
		if (answer.code !== 0 || !answer.data) throw new Error(`stand-in refused the task: ${answer.code} ${answer.message}`);
		return answer.data.task_id;
	}
	const lookups = (taskId: string) => standIn.requests.filter((r) => r.kind === 'get' && r.path.endsWith(`/${taskId}`)).map((r) => r.path.replace(`/${taskId}`, ''));

	it('Image to Video looks the task up at the image-to-video endpoint and emits it', async () => {
		configure({ secret: SECRET, taskType: 'imageToVideo' });
		const taskId = await createImageTask();
		const answer = await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: SECRET } });

		expect(answer.status).toBe(200);
		expect(trigger.emitted()).toHaveLength(1);
		expect(lookups(taskId)).toEqual(['/v1/videos/image2video']);
	});

	it('Any tries text to video first, then image to video', async () => {
		configure({ secret: SECRET, taskType: 'any' });
		const taskId = await createImageTask();
		const answer = await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: SECRET } });

		expect(answer.status).toBe(200);
		expect(lookups(taskId)).toEqual(['/v1/videos/text2video', '/v1/videos/image2video']);
	});

	it('Text to Video (the default) does not know an image-to-video task: 404, nothing starts', async () => {
		configure({ secret: SECRET });
		const taskId = await createImageTask();
		const answer = await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: SECRET } });

		expect(answer.status).toBe(404);
		expect(trigger.emitted()).toHaveLength(0);
	});
});

describe('hardening', () => {
	const description = triggerNodeType.description;
	it.each(['.', '..'])('answers a task ID "%s" with 400 and asks Kling nothing', async (id) => {
		configure({ secret: SECRET });
		const answer = await trigger.post({ task_id: id, task_status: 'succeed' }, { query: { secret: SECRET } });

		expect(answer.status).toBe(400);
		expect(standIn.requests).toHaveLength(0);
		expect(trigger.emitted()).toHaveLength(0);
	});

	it('version 1.1 keeps the URL secret in the credential: it is no node parameter, so the workflow does not show it', async () => {
		configure({ secret: SECRET });
		const taskId = await createTask();
		const wrong = await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: 'nope-nope' } });
		const right = await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: SECRET } });

		expect([wrong.status, right.status]).toEqual([401, 200]);
		const shown = NodeHelpers.getNodeParameters(description.properties, {}, true, false, { typeVersion: 1.1 } as never, description);
		expect(Object.keys(shown ?? {})).not.toContain('secret');
		expect(JSON.stringify(trigger.emitted())).not.toContain(SECRET);
		// even a 1.1 node whose JSON still carries a secret (pasted from a version 1 workflow): n8n drops it
		const pasted = NodeHelpers.getNodeParameters(description.properties, { secret: SECRET }, true, false, { typeVersion: 1.1 } as never, description);
		expect(JSON.stringify(pasted)).not.toContain(SECRET);
		// and the node does not read it: without the credential's secret, the URL is not guarded by it
		trigger.configure({ parameters: { secret: SECRET }, credentials: { ...apiKeyCredentials(), callbackSecret: 'cred-secret-Q9x2' }, typeVersion: 1.1 });
		const withParameter = await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: SECRET } });
		const withCredential = await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: 'cred-secret-Q9x2' } });
		expect([withParameter.status, withCredential.status]).toEqual([401, 200]);
	});

	it('version 1 workflows keep their Secret parameter, and it still guards the URL', async () => {
		configure({ secret: SECRET }, apiKeyCredentials(), 1);
		const taskId = await createTask();
		const wrong = await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: 'nope-nope' } });
		const right = await trigger.post({ task_id: taskId, task_status: 'succeed' }, { query: { secret: SECRET } });

		expect([wrong.status, right.status]).toEqual([401, 200]);
		const shown = NodeHelpers.getNodeParameters(description.properties, {}, true, false, { typeVersion: 1 } as never, description);
		expect(Object.keys(shown ?? {})).toContain('secret');
	});
});
