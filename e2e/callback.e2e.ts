/**
 * The callback example, end to end in a running n8n (`n8n start`): the workflow is published, started
 * through its webhook, parks at the Wait node, and is resumed by the Kling stand-in's callbacks to
 * `$execution.resumeUrl`; then Get downloads the video.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { startKlingStandIn, type KlingStandIn } from '../stand-in';
import {
	activateWorkflow,
	ensureN8n,
	importCredentials,
	importWorkflow,
	listExecutions,
	newN8nUser,
	ownerSession,
	packPackage,
	registerCommunityPackage,
	removeN8nUsers,
	REPO,
	startN8nServer,
	until as untilValue,
} from './helpers/n8n';

const ACCESS_KEY = 'e2e-callback-access';
const SECRET_KEY = 'e2e-callback-secret-77';

let standIn: KlingStandIn;
let server: Awaited<ReturnType<typeof startN8nServer>>;
let cookie = '';

beforeAll(async () => {
	ensureN8n();
	// Tasks take 3 s: the first callback (processing) resumes the workflow while the task still renders,
	// so the example's loop back to the Wait node is exercised too.
	standIn = await startKlingStandIn({ accessKey: ACCESS_KEY, secretKey: SECRET_KEY, taskDurationMs: 3000, videoBytes: 100 * 1024 });
	const user = await newN8nUser(packPackage());
	await importCredentials(user, [
		{
			id: 'klingOfficialCred',
			name: 'Kling AI (official)',
			type: 'klingAiApi',
			data: { authentication: 'accessKey', accessKey: ACCESS_KEY, secretKey: SECRET_KEY, region: 'custom', baseUrl: standIn.url },
		},
	]);
	registerCommunityPackage(user);
	const workflow = JSON.parse(readFileSync(path.join(REPO, 'examples', '05-callback-resume.json'), 'utf8'));
	await importWorkflow(user, workflow);
	// Publish (2.x) or activate (1.x) before the start, so n8n registers the production webhook on start-up.
	await activateWorkflow(user, workflow.id);
	server = await startN8nServer(user);
	cookie = await ownerSession(server.url);
}, 600_000);

afterAll(async () => {
	await server?.stop();
	await standIn?.close();
	removeN8nUsers();
});

const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000) => untilValue(what, probe, timeoutMs, () => server.output());

it('a callback to $execution.resumeUrl resumes the workflow, which then downloads the video', async () => {
	// The production webhook is registered while n8n finishes starting: retry a 404 for a moment.
	const started = await until('the production webhook', async () => {
		const response = await fetch(`${server.url}/webhook/kling-video`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ prompt: 'A lighthouse in a storm, waves crashing' }),
		});
		return response.status === 404 ? undefined : response;
	});
	expect(started.status).toBe(200);

	const create = await until('the Create', () => standIn.requests.find((r) => r.kind === 'create' && r.status === 200));
	const body = create.body as { prompt: string; callback_url: string };
	expect(body.prompt).toBe('A lighthouse in a storm, waves crashing');
	expect(body.callback_url).toMatch(new RegExp(`^${server.url}/webhook-waiting/`));
	const taskId = create.taskId!;

	// The video is downloaded only after Kling called back with the final status.
	const download = await until('the download', () => standIn.requests.find((r) => r.kind === 'download' && r.taskId === taskId), 90_000);
	const task = standIn.tasks.get(taskId)!;
	expect(download.receivedAt).toBeGreaterThanOrEqual(task.finishedAt);
	const callbacks = standIn.callbacksSent.filter((c) => c.url === body.callback_url);
	expect(callbacks.map((c) => (c.body as { task_status: string }).task_status)).toEqual(['processing', 'succeed']);
	expect(callbacks.every((c) => c.status === 200)).toBe(true);
	// No polling: the node read the task once per callback (plus nothing else).
	expect(standIn.requests.filter((r) => r.kind === 'get' && r.taskId === taskId).length).toBe(callbacks.length);

	// n8n records the execution as finished successfully.
	const status = await until('the execution to finish', async () => {
		const latest = (await listExecutions(server.url, cookie))[0]?.status;
		return latest && latest !== 'waiting' && latest !== 'running' && latest !== 'new' ? latest : undefined;
	});
	expect(status).toBe('success');
});
