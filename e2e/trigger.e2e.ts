/**
 * The Kling AI Trigger in a running n8n (`n8n start`): a workflow that starts with the trigger is
 * published (2.x) or activated (1.x), a task is created at the Kling stand-in with the trigger's
 * production webhook URL as its callback_url, and the stand-in calls back at every status change.
 * With the default Statuses (Succeeded, Failed) and Verify with API on, the workflow must run exactly
 * once, with the task as the API reports it.
 *
 * Signed callbacks (version 1.2, Verification Automatic with a Webhook Secret in the credential = Signature):
 * the stand-in signs every callback as Kling does (Standard Webhooks); the workflow runs once with the
 * posted task and no API request; a tampered body, a replayed (old) timestamp and a wrong secret are
 * answered 401 and start nothing; a redelivery of the same webhook-id is emitted once; Kling's console
 * test callback is answered 200 and starts nothing.
 */
import { startKlingStandIn, type KlingStandIn } from '../stand-in';
import {
	activateWorkflow,
	ensureN8n,
	executionRunData,
	importCredentials,
	importWorkflow,
	listExecutions,
	newN8nUser,
	ownerSession,
	packPackage,
	registerCommunityPackage,
	removeN8nUsers,
	startN8nServer,
	until as untilValue,
	VERSION,
} from './helpers/n8n';

const API_KEY = 'e2e-trigger-api-key-42';
const WEBHOOK_ID = '6c1e3a52-8f0b-4d6e-9b7a-2d4c5e6f7a81';
const WORKFLOW_ID = 'klingTriggerE2e';
const SIGNED_WEBHOOK_ID = '0b7d2f4e-1c3a-4e5b-8d6f-7a9c1e3b5d70';
const SIGNED_WORKFLOW_ID = 'klingSignedTriggerE2e';
// Kling's Webhook Secrets are whsec_ + base64 of random bytes.
const WEBHOOK_SECRET = `whsec_${Buffer.from('e2e-signed-callbacks-secret-0123456789').toString('base64')}`;
const OTHER_SECRET = `whsec_${Buffer.from('not-the-account-secret-9876543210abcdef').toString('base64')}`;

let standIn: KlingStandIn;
let server: Awaited<ReturnType<typeof startN8nServer>>;
let cookie = '';

const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000) => untilValue(what, probe, timeoutMs, () => server.output());

/** The trigger with its defaults (Statuses: Succeeded and Failed; Verify with API on), then a No Op. */
const workflow = {
	id: WORKFLOW_ID,
	name: 'Kling AI Trigger (e2e)',
	active: false,
	nodes: [
		{
			id: 'trigger',
			name: 'Kling AI Trigger',
			type: 'n8n-nodes-kling.klingAiTrigger',
			typeVersion: 1,
			position: [0, 0],
			// n8n's production URL for a node with a webhookId is /webhook/<webhookId>/<path>; the path is 'kling'.
			webhookId: WEBHOOK_ID,
			parameters: {},
			credentials: { klingAiApi: { id: 'klingTriggerCred', name: 'Kling AI (trigger)' } },
		},
		{ id: 'done', name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [240, 0], parameters: {} },
	],
	connections: { 'Kling AI Trigger': { main: [[{ node: 'Done', type: 'main', index: 0 }]] } },
	settings: { executionOrder: 'v1', saveDataSuccessExecution: 'all', saveDataErrorExecution: 'all' },
};

/** Version 1.2 with its defaults (Verification Automatic: Signature, the credential has a Webhook Secret). */
const signedWorkflow = {
	id: SIGNED_WORKFLOW_ID,
	name: 'Kling AI Trigger, signed callbacks (e2e)',
	active: false,
	nodes: [
		{
			id: 'signedTrigger',
			name: 'Kling AI Trigger',
			type: 'n8n-nodes-kling.klingAiTrigger',
			typeVersion: 1.2,
			position: [0, 0],
			webhookId: SIGNED_WEBHOOK_ID,
			parameters: {},
			credentials: { klingAiApi: { id: 'klingSignedCred', name: 'Kling AI (signed callbacks)' } },
		},
		{ id: 'signedDone', name: 'Done', type: 'n8n-nodes-base.noOp', typeVersion: 1, position: [240, 0], parameters: {} },
	],
	connections: { 'Kling AI Trigger': { main: [[{ node: 'Done', type: 'main', index: 0 }]] } },
	settings: { executionOrder: 'v1', saveDataSuccessExecution: 'all', saveDataErrorExecution: 'all' },
};

const credentialData = (extra: object = {}) => ({
	authentication: 'apiKey',
	apiKey: API_KEY,
	region: 'custom',
	baseUrl: standIn.url,
	pathPrefix: '',
	modelField: 'model_name',
	...extra,
});

beforeAll(async () => {
	ensureN8n();
	// The task takes 3 s: processing after 750 ms (a callback the default Statuses ignore), then succeed.
	// Every callback is signed with the account's Webhook Secret, as Kling does once one exists; the
	// version 1 workflow ignores the signature headers and looks the task up.
	standIn = await startKlingStandIn({ apiKeys: [API_KEY], taskDurationMs: 3000, videoBytes: 64 * 1024, webhookSecret: WEBHOOK_SECRET });
	const user = await newN8nUser(packPackage());
	await importCredentials(user, [
		{ id: 'klingTriggerCred', name: 'Kling AI (trigger)', type: 'klingAiApi', data: credentialData() },
		{ id: 'klingSignedCred', name: 'Kling AI (signed callbacks)', type: 'klingAiApi', data: credentialData({ webhookSecret: WEBHOOK_SECRET }) },
	]);
	registerCommunityPackage(user);
	await importWorkflow(user, workflow);
	await activateWorkflow(user, WORKFLOW_ID);
	await importWorkflow(user, signedWorkflow);
	await activateWorkflow(user, SIGNED_WORKFLOW_ID);
	server = await startN8nServer(user);
	cookie = await ownerSession(server.url);
}, 600_000);

afterAll(async () => {
	await server?.stop();
	await standIn?.close();
	removeN8nUsers();
});

it(`runs the workflow exactly once, with the verified succeeded task (n8n ${VERSION.version})`, async () => {
	const callbackUrl = `${server.url}/webhook/${WEBHOOK_ID}/kling`;

	// The production webhook is registered while n8n finishes starting. A body without a task ID is
	// answered 400 by the trigger itself and starts nothing; 404 means "not registered (yet)".
	const probe = await until('the trigger webhook to be registered', async () => {
		const response = await fetch(callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
		return response.status === 404 ? undefined : response.status;
	});
	expect(probe).toBe(400);

	const created = await fetch(`${standIn.url}/v1/videos/text2video`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
		body: JSON.stringify({ model_name: 'kling-v2-6', prompt: 'A paper boat on a rainy street', mode: 'std', duration: '5', callback_url: callbackUrl }),
	});
	const createdBody = (await created.json()) as { code: number; data: { task_id: string } };
	expect(createdBody.code).toBe(0);
	const taskId = createdBody.data.task_id;

	// Kling (the stand-in) calls back at every status change; the final one is 'succeed'.
	const final = await until(
		'the succeed callback',
		() => standIn.callbacksSent.find((c) => c.url === callbackUrl && (c.body as { task_status?: string }).task_status === 'succeed'),
		90_000,
	);
	expect(final.status).toBe(200);
	const statuses = standIn.callbacksSent.filter((c) => c.url === callbackUrl).map((c) => (c.body as { task_status: string }).task_status);
	expect(statuses).toContain('processing');
	// Every callback is answered 200, the ignored ones too (so Kling does not retry them).
	expect(standIn.callbacksSent.filter((c) => c.url === callbackUrl).every((c) => c.status === 200)).toBe(true);

	const execution = await until('the execution to finish', async () => {
		const [latest] = (await listExecutions(server.url, cookie)).filter((e) => e.workflowId === WORKFLOW_ID);
		return latest && !['new', 'running', 'waiting'].includes(latest.status) ? latest : undefined;
	});
	// Let any second run (e.g. from the ignored processing callback) show up before counting.
	await new Promise((resolve) => setTimeout(resolve, 2000));
	const executions = await listExecutions(server.url, cookie);
	expect(executions.filter((e) => e.workflowId !== SIGNED_WORKFLOW_ID).map((e) => ({ workflowId: e.workflowId, status: e.status }))).toEqual([{ workflowId: WORKFLOW_ID, status: 'success' }]);
	expect(execution.mode).toBe('webhook');

	const run = await executionRunData(server.url, cookie, execution.id);
	expect(run.resultData.error).toBeUndefined();
	const items = run.resultData.runData['Kling AI Trigger']?.[0]?.data?.main[0] ?? [];
	expect(items).toHaveLength(1);
	expect(items[0].json).toMatchObject({ task_id: taskId, task_status: 'succeed', video_url: expect.stringContaining('/files/') });
	expect(run.resultData.runData.Done?.[0]?.data?.main[0]).toHaveLength(1);

	// Verified with the API: the trigger fetched the task with the credential's key after the final callback.
	const verification = standIn.requests.filter((r) => r.kind === 'get' && r.taskId === taskId);
	expect(verification.length).toBeGreaterThanOrEqual(1);
	expect(verification.every((r) => r.auth.kind === 'apiKey' && r.status === 200)).toBe(true);
	expect(server.output()).not.toContain(API_KEY);
});

it(`runs a signed callback once without asking the API, and refuses forged, replayed and unsigned ones (n8n ${VERSION.version})`, async () => {
	const callbackUrl = `${server.url}/webhook/${SIGNED_WEBHOOK_ID}/kling`;
	const signedExecutions = async () => (await listExecutions(server.url, cookie)).filter((e) => e.workflowId === SIGNED_WORKFLOW_ID);

	// Registered once an unsigned post is refused by the trigger (401) instead of by n8n (404).
	const probe = await until('the signed trigger webhook to be registered', async () => {
		const response = await fetch(callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
		return response.status === 404 ? undefined : response.status;
	});
	expect(probe).toBe(401);

	// Kling's console "Send Test Callback": answered 200, starts nothing (submitted is not a selected status).
	const test = await standIn.sendTestCallback(callbackUrl);
	expect(test.status).toBe(200);

	const created = await fetch(`${standIn.url}/v1/videos/text2video`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
		body: JSON.stringify({ model_name: 'kling-v2-6', prompt: 'A lantern drifting over a lake', mode: 'std', duration: '5', callback_url: callbackUrl }),
	});
	const createdBody = (await created.json()) as { code: number; data: { task_id: string } };
	expect(createdBody.code).toBe(0);
	const taskId = createdBody.data.task_id;
	const getsBefore = standIn.requests.filter((r) => r.kind === 'get').length;

	const final = await until(
		'the signed succeed callback',
		() => standIn.callbacksSent.find((c) => c.url === callbackUrl && (c.body as { task_status?: string }).task_status === 'succeed'),
		90_000,
	);
	expect(final.status).toBe(200);
	expect(final.headers?.['webhook-signature']).toMatch(/^v1,/);
	const taskCallbacks = standIn.callbacksSent.filter((c) => c.url === callbackUrl && (c.body as { task_id?: string }).task_id === taskId);
	expect(taskCallbacks.length).toBeGreaterThanOrEqual(2);
	expect(taskCallbacks.every((c) => c.status === 200)).toBe(true);

	const execution = await until('the signed execution to finish', async () => {
		const [latest] = await signedExecutions();
		return latest && !['new', 'running', 'waiting'].includes(latest.status) ? latest : undefined;
	});
	expect(execution.status).toBe('success');
	const run = await executionRunData(server.url, cookie, execution.id);
	expect(run.resultData.error).toBeUndefined();
	const items = run.resultData.runData['Kling AI Trigger']?.[0]?.data?.main[0] ?? [];
	expect(items).toHaveLength(1);
	expect(items[0].json).toMatchObject({ task_id: taskId, task_status: 'succeed', video_url: expect.stringContaining('/files/') });
	// The signature proved the body: the trigger asked the API nothing.
	expect(standIn.requests.filter((r) => r.kind === 'get').length).toBe(getsBefore);

	// Kling redelivers the same webhook-id (its answer was lost): emitted once.
	const deliveryId = final.headers!['webhook-id'];
	const redelivery = await standIn.sendCallback(callbackUrl, final.body, { id: deliveryId, timestampSec: Number(final.headers!['webhook-timestamp']) });
	expect(redelivery.status).toBe(200);
	expect(redelivery.responseText).toContain('duplicate');

	// Forged: a finished task someone made up, under a signature of another body.
	const forgedBody = { ...(final.body as object), task_id: 'forged-task-1', task_status: 'succeed' };
	const tampered = await standIn.sendCallback(callbackUrl, final.body, { tamperedBody: JSON.stringify(forgedBody) });
	// Replayed: the genuine body and signature scheme, with a timestamp 10 minutes old (outside ±5 minutes).
	const replayed = await standIn.sendCallback(callbackUrl, final.body, { timestampSec: Math.floor(Date.now() / 1000) - 600 });
	const wrongSecret = await standIn.sendCallback(callbackUrl, forgedBody, { secrets: [OTHER_SECRET] });
	const unsigned = await standIn.sendCallback(callbackUrl, forgedBody, { secrets: [] });
	expect([tampered, replayed, wrongSecret, unsigned].map((refused) => [refused.status, JSON.parse(refused.responseText ?? '{}').error])).toEqual([
		[401, 'Invalid webhook signature'],
		[401, 'The webhook timestamp is more than 5 minutes off (replayed or delayed callback)'],
		[401, 'Invalid webhook signature'],
		[401, 'Missing webhook signature (webhook-id, webhook-timestamp, webhook-signature)'],
	]);
	for (const refused of [tampered, replayed, wrongSecret, unsigned]) {
		expect(refused.responseText ?? '').not.toContain(WEBHOOK_SECRET.slice(6));
		expect(refused.responseText ?? '').not.toContain('v1,');
	}

	// None of these started a run: still exactly one execution of the signed workflow.
	await new Promise((resolve) => setTimeout(resolve, 2000));
	expect((await signedExecutions()).map((e) => e.status)).toEqual(['success']);
	expect(server.output()).not.toContain(WEBHOOK_SECRET.slice(6));
	expect(server.output()).not.toContain(API_KEY);
});
