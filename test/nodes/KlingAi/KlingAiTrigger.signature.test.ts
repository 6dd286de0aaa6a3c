/**
 * The Kling AI Trigger's version 1.2: Kling's webhook signature (Standard Webhooks), the Verification
 * choices, new-style callback bodies, Kling console's Send Test Callback and duplicate deliveries. Driven
 * through n8n-core's real WebhookContext behind a real HTTP server (test/helpers/webhook.ts); the
 * callbacks come from the Kling stand-in, signed with its Webhook Secret (or wrongly, on purpose).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';
import { NodeHelpers, type ICredentialDataDecryptedObject, type INode, type INodeParameters } from 'n8n-workflow';

import { KlingAiApi } from '../../../credentials/KlingAiApi.credentials';
import { klingSecrets } from '../../../credentials/common/kling';
import { callbackFromBody } from '../../../nodes/KlingAi/helpers/callbackBody';
import { signatureHeaders, signWebhook, verifyWebhookSignature, webhookSecretKey } from '../../../nodes/KlingAi/helpers/signature';
import { simplifyTask } from '../../../nodes/KlingAi/helpers/simplify';
import { resolveVerification } from '../../../nodes/KlingAi/KlingAiTrigger.node';
import type { KlingTask } from '../../../nodes/KlingAi/transport';
import { startTriggerServer, triggerNodeType, WEBHOOK_ID, type Delivery, type TriggerServer } from '../../helpers/webhook';
import {
	signCallback,
	startKlingStandIn,
	videoContent,
	type CallbackSignOptions,
	type KlingStandIn,
	type SentCallback,
	type TaskPlan,
} from '../../../stand-in';

const API_KEY = 'sk-signature-test-key-51c0';
// 32 bytes, base64 after the prefix, like the console's secrets.
const WEBHOOK_SECRET = `whsec_${Buffer.from('kling-signature-test-secret-0001').toString('base64')}`;
const OTHER_SECRET = `whsec_${Buffer.from('an-old-or-foreign-secret-0000002').toString('base64')}`;
const URL_SECRET = 'cb-url-secret-93kd';
const VIDEO_BYTES = 128 * 1024 + 7;

const storage = mkdtempSync(path.join(tmpdir(), 'kling-signature-binary-'));

let standIn: KlingStandIn;
/** Sends new-style bodies for its tasks (the new API's callbacks). */
let newStandIn: KlingStandIn;
let trigger: TriggerServer;
let plan: Partial<TaskPlan> = {};
const allDeliveries: Delivery[] = [];
const allSent: SentCallback[] = [];

const credentials = (extra: ICredentialDataDecryptedObject = {}): ICredentialDataDecryptedObject => ({
	authentication: 'apiKey',
	apiKey: API_KEY,
	region: 'custom',
	baseUrl: standIn.url,
	webhookSecret: WEBHOOK_SECRET,
	...extra,
});

function configure(
	parameters: INodeParameters = {},
	credential: ICredentialDataDecryptedObject | null = credentials(),
	typeVersion = 1.2,
	rawBody?: 'kept' | 'on-demand' | 'none',
) {
	trigger.configure({ parameters, credentials: credential ?? undefined, typeVersion, rawBody });
}

async function createTask(at: KlingStandIn, extra: Record<string, unknown> = {}): Promise<string> {
	const response = await fetch(`${at.url}/v1/videos/text2video`, {
		method: 'POST',
		headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
		body: JSON.stringify({ model_name: 'kling-v2-6', prompt: 'A lantern drifting over a lake', ...extra }),
	});
	const answer = (await response.json()) as { code: number; message: string; data?: { task_id: string } };
	if (answer.code !== 0 || !answer.data) throw new Error(`stand-in refused the task: ${answer.code} ${answer.message}`);
	return answer.data.task_id;
}

async function apiTask(at: KlingStandIn, taskId: string): Promise<KlingTask> {
	const response = await fetch(`${at.url}/v1/videos/text2video/${taskId}`, { headers: { authorization: `Bearer ${API_KEY}` } });
	return ((await response.json()) as { data: KlingTask }).data;
}

/** A finished task's legacy callback body, as Kling posts it (the query's data). */
async function finishedTask(): Promise<KlingTask> {
	plan = { durationMs: 0 };
	return await apiTask(standIn, await createTask(standIn));
}

const apiRequests = (at: KlingStandIn = standIn) => at.requests.filter((r) => r.kind === 'get' || r.kind === 'list').length;

/** Sends a callback from the stand-in to the trigger now and waits until the trigger is done with it. */
async function send(body: unknown, options?: CallbackSignOptions, query = ''): Promise<SentCallback> {
	const sent = await standIn.sendCallback(`${trigger.webhookUrl}${query}`, body, options);
	await trigger.idle();
	return sent;
}

const answerOf = (sent: SentCallback) => JSON.parse(sent.responseText ?? 'null') as Record<string, unknown>;

beforeAll(async () => {
	process.env.N8N_DEFAULT_BINARY_DATA_MODE = 'filesystem';
	process.env.N8N_BINARY_DATA_STORAGE_PATH = storage;
	await Container.get(BinaryDataService).init();
	standIn = await startKlingStandIn({ apiKeys: [API_KEY], videoBytes: VIDEO_BYTES, webhookSecret: WEBHOOK_SECRET, plan: () => plan });
	newStandIn = await startKlingStandIn({
		apiKeys: [API_KEY],
		videoBytes: VIDEO_BYTES,
		webhookSecret: WEBHOOK_SECRET,
		callbackStyle: 'new',
		plan: () => plan,
	});
	trigger = await startTriggerServer({ parameters: {}, typeVersion: 1.2 });
});

beforeEach(() => {
	plan = {};
	standIn.reset();
	newStandIn.reset();
	trigger.reset();
	configure();
});

afterEach(async () => {
	await trigger.idle();
	allDeliveries.push(...trigger.deliveries);
	allSent.push(...standIn.callbacksSent, ...newStandIn.callbacksSent);
});

afterAll(async () => {
	await trigger.close();
	await standIn.close();
	await newStandIn.close();
	rmSync(storage, { recursive: true, force: true });
});

describe('the signature scheme (Kling\'s callback page)', () => {
	// "Verification Example" of Kling's callback page (docs/api/kling-get-started-callbacks.md in aself101/kling-api).
	const example = {
		secret: 'whsec_dGVzdHNlY3JldHRlc3RzZWNyZXR0ZXN0c2VjcmV0MTI=',
		id: '9876543210',
		timestamp: '1781080794',
		body: '{"id":"1234567890","status":"succeeded","message":"","create_time":1781080778802,"update_time":1781080794151}',
		signature: 'v1,UsKlJP00XoQyOn410NM9xv34sP+Gl0jnOO9Lcpr7NJ4=',
	};

	it('gives the documented signature for the documented example, in the node and in the stand-in', () => {
		const key = webhookSecretKey(example.secret)!;
		expect(signWebhook(key, example.id, example.timestamp, Buffer.from(example.body))).toBe(example.signature);
		expect(signCallback(example.secret, example.id, example.timestamp, example.body)).toBe(example.signature);
		const headers = { id: example.id, timestamp: example.timestamp, signature: example.signature };
		expect(verifyWebhookSignature(key, headers, Buffer.from(example.body), 1781080794_000)).toEqual({
			ok: true,
			id: example.id,
			timestampSec: 1781080794,
		});
	});

	it('accepts the timestamp up to 5 minutes off either way, not beyond', () => {
		const key = webhookSecretKey(example.secret)!;
		const headers = { id: example.id, timestamp: example.timestamp, signature: example.signature };
		const at = (offsetSec: number) => verifyWebhookSignature(key, headers, Buffer.from(example.body), (1781080794 + offsetSec) * 1000);
		expect(at(300).ok).toBe(true);
		expect(at(-300).ok).toBe(true);
		expect(at(301)).toEqual({ ok: false, reason: 'timestamp' });
		expect(at(-301)).toEqual({ ok: false, reason: 'timestamp' });
	});

	it('is checked on the bytes: one more space, another key order or a BOM fails', () => {
		const key = webhookSecretKey(example.secret)!;
		const headers = { id: example.id, timestamp: example.timestamp, signature: example.signature };
		const now = 1781080794_000;
		for (const body of [`${example.body} `, JSON.stringify(JSON.parse(example.body), null, 1), `\uFEFF${example.body}`]) {
			expect(verifyWebhookSignature(key, headers, Buffer.from(body), now)).toEqual({ ok: false, reason: 'mismatch' });
		}
	});

	it('takes any one v1 entry of several; ignores other versions and junk', () => {
		const key = webhookSecretKey(example.secret)!;
		const check = (signature: string) =>
			verifyWebhookSignature(key, { id: example.id, timestamp: example.timestamp, signature }, Buffer.from(example.body), 1781080794_000).ok;
		expect(check(`v1,K5oZfzeVuQvI4x1jrjAgMlkpJDoe1JhVmAbjR6eKeTM= ${example.signature}`)).toBe(true);
		expect(check(`${example.signature}  v1,7qGhfzeVuQvI4x1jrjAgMlkpJDoe1JhVmAbjR6eKeTM=`)).toBe(true);
		expect(check(example.signature.replace('v1,', 'v2,'))).toBe(false);
		expect(check(example.signature.slice(3))).toBe(false);
		expect(check('v1,')).toBe(false);
	});

	it('reads the headers whatever their case, and joins a repeated one', () => {
		expect(signatureHeaders({ 'Webhook-Id': 'a', 'WEBHOOK-TIMESTAMP': '1', 'webhook-signature': ['v1,x', 'v1,y'] })).toEqual({
			id: 'a',
			timestamp: '1',
			signature: 'v1,x v1,y',
		});
	});

	it('knows a Webhook Secret from other text', () => {
		expect(webhookSecretKey(example.secret)?.toString()).toBe('testsecrettestsecrettestsecret12');
		expect(webhookSecretKey('dGVzdA==')?.toString()).toBe('test');
		expect(webhookSecretKey('whsec_')).toBeUndefined();
		expect(webhookSecretKey('whsec_not base64!')).toBeUndefined();
	});

	it('Automatic means Signature with a Webhook Secret, otherwise API Look-Up; versions 1 and 1.1 keep Verify with API', () => {
		expect(resolveVerification(1.2, 'auto', undefined, WEBHOOK_SECRET)).toBe('signature');
		expect(resolveVerification(1.2, 'auto', undefined, '')).toBe('api');
		expect(resolveVerification(1.2, undefined, undefined, '')).toBe('api');
		expect(resolveVerification(1.2, 'none', undefined, WEBHOOK_SECRET)).toBe('none');
		expect(resolveVerification(1.2, 'signatureAndApi', undefined, '')).toBe('signatureAndApi');
		expect(resolveVerification(1.1, 'signature', true, WEBHOOK_SECRET)).toBe('api');
		expect(resolveVerification(1.1, undefined, false, WEBHOOK_SECRET)).toBe('none');
		expect(resolveVerification(1, undefined, undefined, WEBHOOK_SECRET)).toBe('api');
	});
});

describe('Signature (Automatic with a Webhook Secret)', () => {
	it('real signed callbacks: succeed is emitted as posted, processing answered 200, and Kling is never asked', async () => {
		plan = { durationMs: 250, processingAfterMs: 60 };
		const taskId = await createTask(standIn, { callback_url: trigger.webhookUrl, external_task_id: 'sig-1' });
		await trigger.waitFor(() => standIn.callbacksSent.length >= 2);

		expect(standIn.callbacksSent.map((c) => [(c.body as KlingTask).task_status, c.status])).toEqual([
			['processing', 200],
			['succeed', 200],
		]);
		expect(standIn.callbacksSent[1].headers).toMatchObject({
			'webhook-id': expect.stringMatching(/^\d+$/),
			'webhook-timestamp': expect.stringMatching(/^\d+$/),
			'webhook-signature': expect.stringMatching(/^v1,[A-Za-z0-9+/]{43}=$/),
		});
		expect(answerOf(standIn.callbacksSent[0])).toEqual({
			received: true,
			task_id: taskId,
			task_status: 'processing',
			ignored: 'status not selected',
			signature: 'valid',
		});
		expect(answerOf(standIn.callbacksSent[1])).toEqual({ received: true, task_id: taskId, task_status: 'succeed', signature: 'valid' });
		// The stand-in's log: the Create and nothing else.
		expect(standIn.requests.map((r) => r.kind)).toEqual(['create']);

		const emitted = trigger.emitted();
		expect(emitted).toHaveLength(1);
		expect(emitted[0].json).toEqual(simplifyTask(standIn.callbacksSent[1].body as KlingTask));
		expect(emitted[0].json).toMatchObject({ task_id: taskId, task_status: 'succeed', external_task_id: 'sig-1', video_url: `${standIn.url}/files/${taskId}/1.mp4` });
	});

	it('with Simplify off, emits the signed body as it came', async () => {
		configure({ simplify: false });
		const task = await finishedTask();
		const sent = await send(task);
		expect(sent.status).toBe(200);
		expect(trigger.emitted().map((item) => item.json)).toEqual([task]);
		expect(apiRequests()).toBe(1); // the test's own look-up in finishedTask, none by the trigger
	});

	it('Download Video takes the video URL from the signed body, byte for byte, without asking Kling', async () => {
		configure({ downloadVideo: true });
		const task = await finishedTask();
		const before = apiRequests();
		const sent = await send(task);
		expect(sent.status).toBe(200);
		const binary = trigger.emitted()[0].binary!;
		expect(binary.data).toMatchObject({ mimeType: 'video/mp4', bytes: VIDEO_BYTES });
		expect((await Container.get(BinaryDataService).getAsBuffer(binary.data)).equals(videoContent(task.task_id, 1, VIDEO_BYTES))).toBe(true);
		expect(apiRequests()).toBe(before);
		expect(standIn.requests.filter((r) => r.kind === 'download')).toHaveLength(1);
	});

	it('also works when n8n has not read the raw body yet (readRawBody)', async () => {
		configure({}, credentials(), 1.2, 'on-demand');
		const sent = await send(await finishedTask());
		expect(sent.status).toBe(200);
		expect(trigger.emitted()).toHaveLength(1);
	});

	it('refuses to check against re-serialised JSON when n8n kept no raw body: an error of the trigger, nothing emitted', async () => {
		configure({}, credentials(), 1.2, 'none');
		const sent = await send(await finishedTask());
		expect(sent.status).toBe(500);
		expect(trigger.emitted()).toHaveLength(0);
		expect(trigger.deliveries[0].error?.message).toBe(
			'n8n did not pass the raw request body to the Kling AI Trigger, so the signature cannot be checked',
		);
	});

	it('without a raw body, a body that is not JSON is answered 400 and starts nothing', async () => {
		configure({}, credentials(), 1.2, 'none');
		const answer = await trigger.post(undefined, { rawBody: 'task_id=1', contentType: 'text/plain' });
		expect(answer.status).toBe(400);
		expect(answer.body).toEqual({ received: false, error: 'Expected a JSON body', signature: 'not checked' });
		expect(trigger.emitted()).toHaveLength(0);
	});

	it('works together with the Callback URL Secret (both must pass)', async () => {
		configure({}, credentials({ callbackSecret: URL_SECRET }));
		const task = await finishedTask();
		expect((await send(task, {}, `?secret=${URL_SECRET}`)).status).toBe(200);
		const wrongUrlSecret = await send(task, {}, '?secret=wrong');
		expect(wrongUrlSecret.status).toBe(401);
		expect(answerOf(wrongUrlSecret)).toEqual({ received: false, error: 'Missing or wrong secret', signature: 'not checked' });
		expect((await send(task, { secrets: [OTHER_SECRET] }, `?secret=${URL_SECRET}`)).status).toBe(401);
		expect(trigger.emitted()).toHaveLength(1);
	});
});

describe('forged and replayed callbacks never start the workflow', () => {
	const refusedCases: Array<[string, CallbackSignOptions, string]> = [
		['signed with another secret', { secrets: [OTHER_SECRET] }, 'Invalid webhook signature'],
		['not signed', { secrets: [] }, 'Missing webhook signature (webhook-id, webhook-timestamp, webhook-signature)'],
		['10 minutes old', { timestampSec: Math.floor(Date.now() / 1000) - 600 }, 'The webhook timestamp is more than 5 minutes off (replayed or delayed callback)'],
		['10 minutes ahead', { timestampSec: Math.floor(Date.now() / 1000) + 600 }, 'The webhook timestamp is more than 5 minutes off (replayed or delayed callback)'],
		['two foreign signatures', { secrets: [OTHER_SECRET, `whsec_${Buffer.from('third').toString('base64')}`] }, 'Invalid webhook signature'],
	];

	it.each(refusedCases)('%s: 401, nothing emitted, Kling not asked', async (_name, options, error) => {
		const task = await finishedTask();
		const before = apiRequests();
		const sent = await send(task, options);
		expect(sent.status).toBe(401);
		expect(answerOf(sent)).toEqual({ received: false, error, signature: 'invalid' });
		expect(trigger.emitted()).toHaveLength(0);
		expect(apiRequests()).toBe(before);
	});

	it('a tampered body (a forged video URL under a real signature): 401', async () => {
		const task = await finishedTask();
		const forged = { ...task, task_result: { videos: [{ id: 'v', url: 'http://attacker.invalid/evil.mp4', duration: '5' }] } };
		const sent = await send(task, { tamperedBody: JSON.stringify(forged) });
		expect(sent.status).toBe(401);
		expect(answerOf(sent).error).toBe('Invalid webhook signature');
		expect(trigger.emitted()).toHaveLength(0);
	});

	it('the same body re-sent with a new timestamp but the old signature: 401', async () => {
		const task = await finishedTask();
		const first = await send(task, { id: 'msg-replay-1' });
		expect(first.status).toBe(200);
		const replay = await fetch(trigger.webhookUrl, {
			method: 'POST',
			headers: {
				'content-type': 'application/json',
				'webhook-id': 'msg-replay-1',
				'webhook-timestamp': String(Math.floor(Date.now() / 1000) + 1),
				'webhook-signature': first.headers!['webhook-signature'],
			},
			body: JSON.stringify(task),
		});
		expect(replay.status).toBe(401);
		expect(trigger.emitted()).toHaveLength(1);
	});
});

describe('Kling\'s rotation and header names', () => {
	it('two signatures during a rotation (old secret first): accepted', async () => {
		const sent = await send(await finishedTask(), { secrets: [OTHER_SECRET, WEBHOOK_SECRET] });
		expect(sent.headers!['webhook-signature'].split(' ')).toHaveLength(2);
		expect(sent.status).toBe(200);
		expect(trigger.emitted()).toHaveLength(1);
	});

	it('the credential still holding the old secret: accepted while Kling signs with both', async () => {
		configure({}, credentials({ webhookSecret: OTHER_SECRET }));
		const sent = await send(await finishedTask(), { secrets: [WEBHOOK_SECRET, OTHER_SECRET] });
		expect(sent.status).toBe(200);
	});

	it.each(['upper', 'title'] as const)('header names in %s case: accepted', async (headerCase) => {
		const sent = await send(await finishedTask(), { headerCase });
		expect(Object.keys(sent.headers!)).toContain(headerCase === 'upper' ? 'WEBHOOK-SIGNATURE' : 'Webhook-Signature');
		expect(sent.status).toBe(200);
		expect(trigger.emitted()).toHaveLength(1);
	});
});

describe('duplicate deliveries (same webhook-id)', () => {
	it('are emitted once; the repeat is answered 200 and says so', async () => {
		const task = await finishedTask();
		const options = { id: 'msg-dup-1', timestampSec: Math.floor(Date.now() / 1000) };
		expect((await send(task, options)).status).toBe(200);
		const repeat = await send(task, options);
		expect(repeat.status).toBe(200);
		expect(answerOf(repeat)).toMatchObject({ received: true, ignored: 'duplicate delivery' });
		expect(trigger.emitted()).toHaveLength(1);
		// Another delivery of the same task (a new webhook-id) is another event.
		expect((await send(task)).status).toBe(200);
		expect(trigger.emitted()).toHaveLength(2);
	});

	it('a delivery that arrives while its twin is being handled is answered 409 (Kling retries it), emitted once', async () => {
		configure({ verification: 'signatureAndApi' });
		const task = await finishedTask();
		standIn.injectFault({ on: 'get', kind: 'slow', delayMs: 300 });
		const options = { id: 'msg-dup-2', timestampSec: Math.floor(Date.now() / 1000) };
		const [a, b] = await Promise.all([send(task, options), send(task, options)]);
		expect([a.status, b.status].sort()).toEqual([200, 409]);
		expect(trigger.emitted()).toHaveLength(1);
	});

	it('a delivery that failed is not remembered: Kling\'s retry goes through', async () => {
		configure({ downloadVideo: true });
		const task = await finishedTask();
		const options = { id: 'msg-retry-1', timestampSec: Math.floor(Date.now() / 1000) };
		standIn.injectFault({ on: 'download', kind: 'error', status: 404, code: 1203 });
		expect((await send(task, options)).status).toBe(500);
		expect(trigger.emitted()).toHaveLength(0);
		expect((await send(task, options)).status).toBe(200);
		expect(trigger.emitted()).toHaveLength(1);
	});

	it('activating the workflow again forgets them', async () => {
		const task = await finishedTask();
		const options = { id: 'msg-dup-3', timestampSec: Math.floor(Date.now() / 1000) };
		expect((await send(task, options)).status).toBe(200);
		const node = { name: 'Kling AI Trigger', webhookId: WEBHOOK_ID } as INode;
		await triggerNodeType.webhookMethods.default.create.call({ getNode: () => node } as never);
		expect((await send(task, options)).status).toBe(200);
		expect(trigger.emitted()).toHaveLength(2);
	});
});

describe('Kling console\'s Send Test Callback (signed, new style, submitted, no outputs)', () => {
	it('is answered 200 with the signature checked, and starts nothing', async () => {
		const sent = await standIn.sendTestCallback(trigger.webhookUrl);
		await trigger.idle();
		expect(sent.body).toMatchObject({ status: 'submitted', outputs: [], message: '' });
		expect(sent.status).toBe(200);
		expect(answerOf(sent)).toEqual({
			received: true,
			task_id: (sent.body as { id: string }).id,
			task_status: 'submitted',
			ignored: 'status not selected',
			signature: 'valid',
		});
		expect(trigger.emitted()).toHaveLength(0);
		expect(standIn.requests).toHaveLength(0);
	});

	it('with a wrong secret in the credential it is answered 401: the set-up check fails visibly', async () => {
		configure({}, credentials({ webhookSecret: OTHER_SECRET }));
		const sent = await standIn.sendTestCallback(trigger.webhookUrl);
		await trigger.idle();
		expect(sent.status).toBe(401);
	});

	it('starts the workflow when Submitted is selected', async () => {
		configure({ statuses: ['submitted'] });
		const sent = await standIn.sendTestCallback(trigger.webhookUrl);
		await trigger.idle();
		expect(sent.status).toBe(200);
		expect(trigger.emitted().map((item) => item.json)).toEqual([
			expect.objectContaining({ task_id: (sent.body as { id: string }).id, task_status: 'submitted', video_url: null, video_urls: [] }),
		]);
	});

	it('without a Webhook Secret (Automatic = API Look-Up) the answer says the signature was not checked', async () => {
		configure({}, credentials({ webhookSecret: '' }));
		const sent = await standIn.sendTestCallback(trigger.webhookUrl);
		await trigger.idle();
		expect(sent.status).toBe(200);
		expect(answerOf(sent)).toMatchObject({ ignored: 'status not selected', signature: 'not checked' });
	});
});

describe('new-style callbacks (id, status, outputs, external_id, billing)', () => {
	it('real callbacks of the new API: mapped to the legacy output (succeed, video_url, external_task_id)', async () => {
		plan = { durationMs: 250, processingAfterMs: 60 };
		configure({}, credentials({ baseUrl: newStandIn.url }));
		const taskId = await createTask(newStandIn, { callback_url: trigger.webhookUrl, external_task_id: 'new-1' });
		await trigger.waitFor(() => newStandIn.callbacksSent.length >= 2);

		const bodies = newStandIn.callbacksSent.map((c) => c.body as Record<string, unknown>);
		expect(bodies.map((b) => b.status)).toEqual(['processing', 'succeeded']);
		expect(bodies[1]).toMatchObject({ id: taskId, external_id: 'new-1', outputs: [expect.objectContaining({ type: 'video' })], billing: expect.any(Array) });
		expect(newStandIn.callbacksSent.map((c) => c.status)).toEqual([200, 200]);
		expect(newStandIn.requests.map((r) => r.kind)).toEqual(['create']);

		const legacy = await apiTask(newStandIn, taskId);
		const emitted = trigger.emitted();
		expect(emitted).toHaveLength(1);
		// The same item as the legacy callback of the same task would give.
		expect(emitted[0].json).toEqual(simplifyTask(legacy));
		expect(emitted[0].json).toMatchObject({ task_status: 'succeed', video_url: `${newStandIn.url}/files/${taskId}/1.mp4`, external_task_id: 'new-1' });
	});

	it('with Simplify off, the new-style body as it came', async () => {
		configure({ simplify: false });
		const body = {
			id: '913827032734642185',
			status: 'failed',
			message: 'Risk control',
			create_time: 1785901861504,
			update_time: 1785901871504,
			outputs: [],
			billing: [],
		};
		const sent = await send(body);
		expect(sent.status).toBe(200);
		expect(trigger.emitted().map((item) => item.json)).toEqual([body]);
	});

	it('is read into the legacy task (unit)', () => {
		const read = callbackFromBody({
			id: 77,
			status: 'succeeded',
			message: '',
			external_id: 'x-1',
			outputs: [
				{ type: 'image', url: 'https://cdn/i.png' },
				{ type: 'video', id: 'v1', url: 'https://cdn/v.mp4', watermark_url: 'https://cdn/w.mp4', duration: '5' },
			],
		});
		expect(read).toEqual({
			style: 'new',
			raw: expect.objectContaining({ id: 77 }),
			task: {
				task_id: '77',
				task_status: 'succeed',
				task_status_msg: '',
				task_info: { external_task_id: 'x-1' },
				task_result: { videos: [{ id: 'v1', url: 'https://cdn/v.mp4', watermark_url: 'https://cdn/w.mp4', duration: '5' }] },
			},
		});
		expect(callbackFromBody({ code: 0, data: { id: 'a', status: 'processing' } })?.task).toMatchObject({ task_id: 'a', task_status: 'processing' });
		expect(callbackFromBody({ id: 'a' })).toBeUndefined();
		expect(callbackFromBody({ id: '..', status: 'failed' })).toBeUndefined();
	});

	it('the legacy wrapped form { code, message, data } is still read, signed', async () => {
		const task = await finishedTask();
		expect((await send({ code: 0, message: 'SUCCEED', data: task })).status).toBe(200);
		expect(trigger.emitted().map((item) => item.json)).toEqual([simplifyTask(task)]);
	});
});

describe('the other Verification choices (version 1.2)', () => {
	it('Signature and API Look-Up: a valid signature, then one Get; a bad signature stops before the Get', async () => {
		configure({ verification: 'signatureAndApi' });
		const task = await finishedTask();
		const before = apiRequests();
		expect((await send(task)).status).toBe(200);
		expect(apiRequests()).toBe(before + 1);
		expect((await send(task, { secrets: [OTHER_SECRET] })).status).toBe(401);
		expect(apiRequests()).toBe(before + 1);
		expect(trigger.emitted().map((item) => item.json)).toEqual([simplifyTask(await apiTask(standIn, task.task_id))]);
	});

	it('API Look-Up: the signature is not needed; the task is fetched', async () => {
		configure({ verification: 'api' });
		const task = await finishedTask();
		const before = apiRequests();
		const sent = await send(task, { secrets: [] });
		expect(sent.status).toBe(200);
		expect(answerOf(sent)).toMatchObject({ signature: 'not checked' });
		expect(apiRequests()).toBe(before + 1);
	});

	it('Automatic without a credential asks for one (API Look-Up)', async () => {
		configure({}, null);
		const sent = await send(await finishedTask());
		expect(sent.status).toBe(500);
		expect(trigger.deliveries[0].error?.message).toBe('API Look-Up needs a Kling AI API credential');
	});

	it('None: the posted body is emitted unchecked and never downloaded', async () => {
		configure({ verification: 'none', downloadVideo: true }, null);
		const task = await finishedTask();
		const sent = await send(task, { secrets: [] });
		expect(sent.status).toBe(200);
		expect(trigger.emitted().map((item) => [item.json, item.binary])).toEqual([[simplifyTask(task), undefined]]);
		expect(standIn.requests.filter((r) => r.kind === 'download')).toHaveLength(0);
	});

	it('Signature without a Webhook Secret, or with one that is not a Webhook Secret: the error says what to do and shows no secret', async () => {
		configure({ verification: 'signature' }, credentials({ webhookSecret: '' }));
		expect((await send(await finishedTask())).status).toBe(500);
		configure({ verification: 'signature' }, credentials({ webhookSecret: 'not a secret!' }));
		expect((await send(await finishedTask())).status).toBe(500);
		const [missing, malformed] = trigger.deliveries.map((d) => d.error as Error & { description?: string });
		expect(missing.message).toBe('Signature verification needs the Webhook Secret in the Kling AI API credential');
		expect(missing.description).toMatch(/Basic Settings → Webhook/);
		expect(malformed.message).toBe('The credential\'s Webhook Secret is not a Kling Webhook Secret');
		expect(`${malformed.message} ${malformed.description}`).not.toContain('not a secret!');
		expect(trigger.emitted()).toHaveLength(0);
	});
});

describe('versions 1 and 1.1 are unchanged', () => {
	it.each([1, 1.1])('version %s: a signed callback is still verified with the API, answered as before', async (version) => {
		configure({}, credentials(), version);
		const task = await finishedTask();
		const before = apiRequests();
		const sent = await send(task);
		expect(sent.status).toBe(200);
		expect(answerOf(sent)).toEqual({ received: true, task_id: task.task_id, task_status: 'succeed' });
		expect(apiRequests()).toBe(before + 1);
	});

	it('version 1.1: unsigned callbacks pass, new-style bodies are not read, Verify with API off emits the body', async () => {
		configure({ verifyWithApi: false }, null, 1.1);
		const task = await finishedTask();
		expect((await send(task, { secrets: [] })).status).toBe(200);
		expect((await send({ id: '1', status: 'succeeded', outputs: [] })).status).toBe(400);
		expect(trigger.emitted().map((item) => item.json)).toEqual([simplifyTask(task)]);
	});

	it('the editor shows Verify with API for 1 and 1.1, Verification for 1.2, and Download Video where it may be used', () => {
		const description = triggerNodeType.description;
		const visible = (typeVersion: number, parameters: INodeParameters) => {
			const node = { typeVersion, parameters } as INode;
			const values = NodeHelpers.getNodeParameters(description.properties, parameters, true, false, node, description)!;
			return description.properties
				.filter((p) => NodeHelpers.displayParameter(values, p, node, description))
				.map((p) => p.name);
		};
		expect(visible(1.1, {})).toEqual(['setupNotice', 'statuses', 'taskType', 'verifyWithApi', 'simplify', 'downloadVideo']);
		expect(visible(1, { verifyWithApi: false })).toEqual(['setupNotice', 'statuses', 'verifyWithApi', 'secret', 'simplify']);
		expect(visible(1.2, {})).toEqual(['setupNotice', 'statuses', 'verification', 'taskType', 'simplify', 'downloadVideo']);
		expect(visible(1.2, { verification: 'none' })).toEqual(['setupNotice', 'statuses', 'verification', 'noVerificationNotice', 'simplify']);
		expect(visible(1.2, { verification: 'signature', downloadVideo: true })).toEqual([
			'setupNotice',
			'statuses',
			'verification',
			'simplify',
			'downloadVideo',
			'binaryPropertyName',
			'maxVideoSize',
		]);
		expect(description.version).toEqual([1, 1.1, 1.2]);
		expect(description.defaultVersion).toBe(1.2);
		const verification = description.properties.find((p) => p.name === 'verification')!;
		expect(verification.default).toBe('auto');
		expect((verification.options as Array<{ value: string }>).map((o) => o.value)).toEqual(['auto', 'signature', 'api', 'signatureAndApi', 'none']);
	});
});

describe('the credential', () => {
	it('has an optional Webhook Secret (a password) beside the Callback URL Secret, and keeps it out of errors', () => {
		const properties = new KlingAiApi().properties;
		const field = properties.find((p) => p.name === 'webhookSecret');
		expect(field).toMatchObject({ displayName: 'Webhook Secret', type: 'string', default: '', typeOptions: { password: true } });
		expect(field?.required).toBeUndefined();
		expect(properties.map((p) => p.name).slice(-2)).toEqual(['callbackSecret', 'webhookSecret']);
		expect(klingSecrets({ webhookSecret: WEBHOOK_SECRET })).toEqual([WEBHOOK_SECRET]);
	});
});

describe('no secret and no expected signature anywhere', () => {
	it('no answer, emitted item or error of this suite holds the Webhook Secret, its key or a signature', () => {
		expect(allDeliveries.length).toBeGreaterThan(40);
		const signatures = allSent.flatMap((c) =>
			Object.entries(c.headers ?? {})
				.filter(([name]) => name.toLowerCase() === 'webhook-signature')
				.flatMap(([, value]) => value.split(' ').map((entry) => entry.slice(3))),
		);
		expect(signatures.length).toBeGreaterThan(20);
		const forbidden = [WEBHOOK_SECRET, WEBHOOK_SECRET.slice(6), OTHER_SECRET.slice(6), API_KEY, URL_SECRET, ...signatures];
		for (const delivery of allDeliveries) {
			const texts = [delivery.responseText, JSON.stringify(delivery.emitted ?? [])];
			if (delivery.error) texts.push(delivery.error.message, String((delivery.error as { description?: string }).description ?? ''), delivery.error.stack ?? '');
			for (const text of texts) for (const secret of forbidden) expect(text).not.toContain(secret);
		}
	});
});
