/**
 * n8n's Retry of a failed execution, in a running n8n (`n8n start`): a published workflow (Webhook →
 * Kling AI, Wait for Completion with a Max Wait shorter than the render) fails after its task was
 * created and paid for; the execution is retried as the editor's Retry button does
 * (`POST /rest/executions/:id/retry`, "with original workflow"). The retry is a new execution with its
 * own ID, on the failed one's saved data: the node must carry on with the task that exists (its
 * external task ID is named after the first execution, kept in the node's execution context), not
 * create and pay for a second one.
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

const API_KEY = 'e2e-retry-api-key-73';
const WORKFLOW_ID = 'klingRetryE2e';
const RENDER_MS = 4000;

let standIn: KlingStandIn;
let server: Awaited<ReturnType<typeof startN8nServer>>;
let cookie = '';

const workflow = {
	id: WORKFLOW_ID,
	name: 'Kling AI, retried after Max Wait (e2e)',
	active: false,
	nodes: [
		{
			id: 'start',
			name: 'Start Video',
			type: 'n8n-nodes-base.webhook',
			typeVersion: 2,
			position: [0, 0],
			webhookId: '5d2b7c1e-3f4a-4b6c-9d8e-1a2b3c4d5e6f',
			parameters: { httpMethod: 'POST', path: 'kling-retry', responseMode: 'onReceived', options: {} },
		},
		{
			id: 'kling',
			name: 'Kling AI',
			type: 'n8n-nodes-kling.klingAi',
			typeVersion: 1,
			position: [240, 0],
			parameters: {
				resource: 'textToVideo',
				operation: 'create',
				model: 'kling-v2-6',
				prompt: '={{ $json.body.prompt }}',
				waitForCompletion: true,
				pollInterval: 1,
				// Shorter than the render: the first execution fails with its task created.
				maxWait: 1,
			},
			credentials: { klingAiApi: { id: 'klingRetryCred', name: 'Kling AI (retry)' } },
		},
	],
	connections: { 'Start Video': { main: [[{ node: 'Kling AI', type: 'main', index: 0 }]] } },
	settings: { executionOrder: 'v1', saveDataSuccessExecution: 'all', saveDataErrorExecution: 'all' },
};

beforeAll(async () => {
	ensureN8n();
	standIn = await startKlingStandIn({ apiKeys: [API_KEY], taskDurationMs: RENDER_MS, videoBytes: 64 * 1024, callbacks: false });
	const user = await newN8nUser(packPackage());
	await importCredentials(user, [
		{
			id: 'klingRetryCred',
			name: 'Kling AI (retry)',
			type: 'klingAiApi',
			data: { authentication: 'apiKey', apiKey: API_KEY, region: 'custom', baseUrl: standIn.url, pathPrefix: '', modelField: 'model_name' },
		},
	]);
	registerCommunityPackage(user);
	await importWorkflow(user, workflow);
	await activateWorkflow(user, WORKFLOW_ID);
	server = await startN8nServer(user);
	cookie = await ownerSession(server.url);
}, 600_000);

afterAll(async () => {
	await server?.stop();
	await standIn?.close();
	removeN8nUsers();
});

const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000) => untilValue(what, probe, timeoutMs, () => server.output());
const finalOf = async (id: string) => {
	const execution = (await listExecutions(server.url, cookie)).find((e) => e.id === id);
	return execution && !['new', 'running', 'waiting'].includes(execution.status) ? execution : undefined;
};

it(`Retry of an execution that failed after creating its task carries on with that task (n8n ${VERSION.version})`, async () => {
	const started = await until('the production webhook', async () => {
		const response = await fetch(`${server.url}/webhook/kling-retry`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ prompt: 'A kite over a windy beach' }),
		});
		return response.status === 404 ? undefined : response.status;
	});
	expect(started).toBe(200);

	const failed = await until('the first execution to fail', async () => {
		const [latest] = await listExecutions(server.url, cookie);
		return latest ? await finalOf(latest.id) : undefined;
	});
	expect(failed.status).toBe('error');
	const failedRun = await executionRunData(server.url, cookie, failed.id);
	expect(failedRun.resultData.error?.message).toMatch(/still (submitted|processing) after 1 s of Max Wait/);
	const [task] = [...standIn.tasks.values()];
	expect(standIn.tasks.size).toBe(1);
	expect(String(task.external_task_id)).toContain(`-${failed.id}-`);

	// Let the render finish, then Retry (with the original workflow), as the editor's button does.
	await until('the render to finish', () => (standIn.tasks.get(task.task_id)?.status() === 'succeed' ? true : undefined), 30_000);
	const response = await fetch(`${server.url}/rest/executions/${failed.id}/retry`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', cookie },
		body: JSON.stringify({ loadWorkflow: false }),
	});
	expect(response.status).toBe(200);
	const retried = ((await response.json()) as { data: { id: string } }).data;
	expect(retried.id).not.toBe(failed.id);
	const retry = await until('the retry to finish', () => finalOf(String(retried.id)));
	expect(retry.status).toBe('success');

	const run = await executionRunData(server.url, cookie, retry.id);
	const items = run.resultData.runData['Kling AI']?.at(-1)?.data?.main[0] ?? [];
	expect(items.map((item) => item.json.task_id)).toEqual([task.task_id]);
	expect(items[0].json.task_status).toBe('succeed');
	// One task at Kling: the retry's Create was refused as a duplicate of the first execution's ID, and the task found.
	expect(standIn.tasks.size).toBe(1);
	expect(standIn.requests.filter((r) => r.kind === 'create').map((r) => r.code)).toEqual([0, 1201]);
	expect(server.output()).not.toContain(API_KEY);
});
