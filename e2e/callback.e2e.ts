/**
 * The callback example, end to end in a running n8n (`n8n start`): the workflow is published, started
 * through its webhook, parks at the Wait node, and is resumed by the Kling stand-in's callbacks to
 * `$execution.resumeUrl`; then Get downloads the video.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

import { startKlingStandIn, type KlingStandIn } from '../stand-in';
import {
	ensureN8n,
	importCredentials,
	importWorkflow,
	newN8nUser,
	packPackage,
	registerCommunityPackage,
	removeN8nUsers,
	REPO,
	startN8nServer,
} from './helpers/n8n';

const ACCESS_KEY = 'e2e-callback-access';
const SECRET_KEY = 'e2e-callback-secret-77';
const OWNER = { email: 'owner@example.com', firstName: 'Kling', lastName: 'Tester', password: 'Passw0rd-e2e!' };

let standIn: KlingStandIn;
let server: Awaited<ReturnType<typeof startN8nServer>>;

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
	server = await startN8nServer(user);
	// Publish (activate) the workflow as the owner does in the editor, so its production webhook exists.
	const setup = await fetch(`${server.url}/rest/owner/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OWNER) });
	if (!setup.ok) throw new Error(`owner setup failed: ${setup.status}`);
	cookie = await login();
	const current = (await (await fetch(`${server.url}/rest/workflows/${workflow.id}`, { headers: { cookie } })).json()) as { data: { versionId: string } };
	const activated = await fetch(`${server.url}/rest/workflows/${workflow.id}/activate`, {
		method: 'POST',
		headers: { 'content-type': 'application/json', cookie },
		body: JSON.stringify({ versionId: current.data.versionId }),
	});
	if (!activated.ok) throw new Error(`activation failed: ${activated.status} ${await activated.text()}`);
}, 600_000);

let cookie = '';
async function login(): Promise<string> {
	const session = await fetch(`${server.url}/rest/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
	});
	if (!session.ok) throw new Error(`login failed: ${session.status}`);
	return (session.headers.get('set-cookie') ?? '').split(';')[0];
}

afterAll(async () => {
	await server?.stop();
	await standIn?.close();
	removeN8nUsers();
});

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}\n${server.output().slice(-3000)}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}

it('a callback to $execution.resumeUrl resumes the workflow, which then downloads the video', async () => {
	const started = await fetch(`${server.url}/webhook/kling-video`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ prompt: 'A lighthouse in a storm, waves crashing' }),
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
		const response = await fetch(`${server.url}/rest/executions`, { headers: { cookie } });
		const { data } = (await response.json()) as { data: { results: Array<{ status: string }> } };
		const latest = data.results[0]?.status;
		return latest && latest !== 'waiting' && latest !== 'running' && latest !== 'new' ? latest : undefined;
	});
	expect(status).toBe('success');
});
