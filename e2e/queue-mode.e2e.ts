/**
 * n8n in queue mode with real components (the e2e suite `queue`: `N8N_E2E_SUITES=queue npm run test:e2e`): PostgreSQL and Redis (Debian's
 * packages, as local processes), n8n main, two workers (`--concurrency 2`: 4 slots) and one webhook
 * processor, all with the packed package installed as a community package, against the Kling stand-in.
 *
 * - Polling path: executions of Create with Wait for Completion (example 01 behind a production webhook).
 * - Callback path: executions of the callback example (05: Callback URL = `$execution.resumeUrl`, Wait
 *   "On Webhook Call"), and a published Kling AI Trigger receiving the callbacks through the webhook processor.
 * - Freeing workers, measured: wall time of both paths (printed, and in the README), not asserted.
 * - Faults: SIGKILL a worker while executions run and wait, restart it, and count tasks per execution.
 *
 * RENDER_S (renders, default 20 s) and EXECUTIONS (default 20) can be set through QUEUE_E2E_RENDER_S and
 * QUEUE_E2E_EXECUTIONS.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

import { startKlingStandIn, type KlingStandIn } from '../stand-in';
import { ensureN8n, newN8nUser, ownerSession, packPackage, removeN8nUsers, REPO, VERSION } from './helpers/n8n';
import { ready, startQueueCluster, workerJobs, type N8nProcess, type QueueCluster } from './helpers/queue';

const ACCESS_KEY = 'e2e-queue-access';
const SECRET_KEY = 'e2e-queue-secret-31';
// The account's Webhook Secret: the stand-in signs its callbacks with it, as Kling does once one exists, and the
// Kling AI Trigger (version 1.2, Verification Automatic) checks the signature instead of asking the API.
const WEBHOOK_SECRET = `whsec_${Buffer.from('e2e-queue-webhook-secret-0123456789').toString('base64')}`;
const RENDER_S = Number(process.env.QUEUE_E2E_RENDER_S ?? 20);
const EXECUTIONS = Number(process.env.QUEUE_E2E_EXECUTIONS ?? 20);
const WORKERS = 2;
const CONCURRENCY = 2;
const SLOTS = WORKERS * CONCURRENCY;

const POLLING = 'queuePolling';
const CALLBACK = 'klingExample05';
const TRIGGER_START = 'queueTriggerStart';
const TRIGGER_RECEIVE = 'queueTriggerReceive';

type Node = { id: string; name: string; type: string; parameters: Record<string, unknown>; webhookId?: string; typeVersion: number; position: number[] };
type Workflow = { id: string; name: string; nodes: Node[]; connections: Record<string, unknown> };

const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Workflow;
const example = (file: string) => readJson(path.join(REPO, 'examples', file));

/** Example 01 behind a production webhook (respond at once), polling every second, without the file write. */
function pollingWorkflow(): Workflow {
	const workflow = example('01-text-to-finished-video.json');
	const trigger = workflow.nodes.find((node) => node.type === 'n8n-nodes-base.manualTrigger')!;
	const create = workflow.nodes.find((node) => node.type === 'n8n-nodes-kling.klingAi')!;
	const webhook: Node = {
		id: 'start',
		name: 'Start Video',
		type: 'n8n-nodes-base.webhook',
		typeVersion: 2.1,
		position: trigger.position,
		webhookId: '3c1f2e4d-5a6b-4c7d-8e9f-0a1b2c3d4e5f',
		parameters: { httpMethod: 'POST', path: 'kling-poll', responseMode: 'onReceived', options: {} },
	};
	Object.assign(create.parameters, { prompt: '={{ $json.body.prompt }}', pollInterval: 1 });
	return {
		...workflow,
		id: POLLING,
		name: 'Queue e2e: Create with Wait for Completion (example 01 behind a webhook)',
		nodes: [webhook, create],
		connections: { [webhook.name]: { main: [[{ node: create.name, type: 'main', index: 0 }]] } },
	};
}

const FAULT_CALLBACK_RENDER_S = 45;

let standIn: KlingStandIn;
let tarball = '';
let startRetries = 0;
let cluster: QueueCluster;
let triggerUrl = '';
const figures: Record<string, string | number> = {};
let cookie = '';

/** n8n's REST API on main, as the owner: GET without a body, POST with one. Returns `data`. */
async function rest<T>(route: string, body?: object): Promise<T> {
	const response = await fetch(`${cluster.main.url}${route}`, {
		method: body ? 'POST' : 'GET',
		headers: { 'content-type': 'application/json', cookie },
		body: body ? JSON.stringify(body) : undefined,
	});
	const text = await response.text();
	if (!response.ok) throw new Error(`${route}: ${response.status} ${text.slice(0, 500)}`);
	return (JSON.parse(text) as { data: T }).data;
}
const suiteStarted = Date.now();

beforeAll(async () => {
	const install = ensureN8n();
	figures['n8n install (s, 0 = cached)'] = install.seconds;
	standIn = await startKlingStandIn({
		accessKey: ACCESS_KEY,
		secretKey: SECRET_KEY,
		taskDurationMs: RENDER_S * 1000,
		videoBytes: 64 * 1024,
		webhookSecret: WEBHOOK_SECRET,
		// Fault runs: callback tasks render long enough to be still waiting when the killed worker is back.
		plan: (body) => (String(body.prompt).startsWith('fault callback') ? { durationMs: FAULT_CALLBACK_RENDER_S * 1000 } : {}),
	});
	tarball = packPackage();
	const setupStarted = Date.now();
	cluster = await startQueueCluster({
		tarball,
		workers: WORKERS,
		concurrency: CONCURRENCY,
		prepare: async ({ cli, cliEnv }) => {
			const folder = cliEnv.N8N_USER_FOLDER!;
			const credentials = [
				{
					id: 'klingOfficialCred',
					name: 'Kling AI (official)',
					type: 'klingAiApi',
					data: { authentication: 'accessKey', accessKey: ACCESS_KEY, secretKey: SECRET_KEY, region: 'custom', baseUrl: standIn.url, webhookSecret: WEBHOOK_SECRET },
				},
			];
			writeFileSync(path.join(folder, 'credentials.json'), JSON.stringify(credentials));
			await cli(['import:credentials', `--input=${path.join(folder, 'credentials.json')}`]);
			const receive = readJson(path.join(REPO, 'e2e', 'workflows', 'queue-trigger-receive.json'));
			const start = readJson(path.join(REPO, 'e2e', 'workflows', 'queue-trigger-start.json'));
			const trigger = receive.nodes.find((node) => node.type === 'n8n-nodes-kling.klingAiTrigger')!;
			triggerUrl = `${cliEnv.WEBHOOK_URL}webhook/${trigger.webhookId}/kling`;
			(start.nodes.find((node) => node.name === 'Submit Video')!.parameters.options as Record<string, unknown>).callbackUrl = triggerUrl;
			const file = path.join(folder, 'workflows.json');
			writeFileSync(file, JSON.stringify([pollingWorkflow(), example('05-callback-resume.json'), start, receive]));
			await cli(['import:workflow', `--input=${file}`]);
		},
	});
	// Publish the workflows as the owner does in the editor: main activates them and records their webhooks,
	// which the webhook processor then serves.
	cookie = await ownerSession(cluster.main.url);
	for (const id of [POLLING, CALLBACK, TRIGGER_START, TRIGGER_RECEIVE]) await rest(`/rest/workflows/${id}/activate`, { versionId: (await rest<{ versionId: string }>(`/rest/workflows/${id}`)).versionId });
	figures['cluster start (s)'] = Math.round((Date.now() - setupStarted) / 100) / 10;
}, 900_000);

afterAll(async () => {
	await cluster?.stop();
	await standIn?.close();
	removeN8nUsers();
	if (tarball) rmSync(path.dirname(tarball), { recursive: true, force: true });
	figures['webhook calls answered 503 and sent again'] = startRetries;
	figures['suite (s)'] = Math.round((Date.now() - suiteStarted) / 1000);
	process.stdout.write(`\n[queue] figures, n8n ${VERSION.version} on Node ${VERSION.node}\n${Object.entries(figures).map(([key, value]) => `  ${key}: ${value}`).join('\n')}\n`);
}, 120_000);

// ---------------------------------------------------------------------------------------------------

interface ExecutionRow {
	id: string;
	workflowId: string;
	status: string;
	startedAt: number;
	stoppedAt: number;
	retryOf: string;
}

async function executions(workflowId?: string): Promise<ExecutionRow[]> {
	const where = workflowId ? `WHERE "workflowId" = '${workflowId}'` : '';
	const rows = await cluster.postgres.query(
		`SELECT id, "workflowId", status, coalesce(round(extract(epoch FROM "startedAt") * 1000), 0), coalesce(round(extract(epoch FROM "stoppedAt") * 1000), 0), coalesce("retryOf", '') FROM execution_entity ${where} ORDER BY id`,
	);
	return rows.map(([id, wf, status, startedAt, stoppedAt, retryOf]) => ({ id, workflowId: wf, status, startedAt: Number(startedAt), stoppedAt: Number(stoppedAt), retryOf }));
}

const FINAL = new Set(['success', 'error', 'crashed', 'canceled']);

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) {
			const rows = await executions().catch(() => []);
			throw new Error(
				`Timed out waiting for ${what}\nexecutions: ${JSON.stringify(rows.map((row) => `${row.id}:${row.workflowId}:${row.status}`))}\n` +
					[cluster.webhook, ...cluster.workers].map((proc) => `--- ${proc.name}\n${proc.output().slice(-2500)}`).join('\n'),
			);
		}
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

/** Waits until `count` executions of the workflow (with id above `after`) are final. */
async function finished(workflowId: string, count: number, after: number, timeoutMs: number) {
	return await until(
		`${count} executions of ${workflowId} to finish`,
		async () => {
			const rows = (await executions(workflowId)).filter((row) => Number(row.id) > after);
			return rows.length >= count && rows.every((row) => FINAL.has(row.status)) ? rows : undefined;
		},
		timeoutMs,
	);
}

async function lastExecutionId(): Promise<number> {
	const rows = await cluster.postgres.query('SELECT coalesce(max(id), 0) FROM execution_entity');
	return Number(rows[0][0]);
}

async function startRuns(webhookPath: string, count: number, label: string) {
	await ready(cluster.webhook);
	const answers = await Promise.all(
		Array.from({ length: count }, async (_, index) => {
			// A 503 ("Database is not ready!", a missed database ping) means nothing was started: send again, as a client would.
			for (let attempt = 1; ; attempt++) {
				const response = await fetch(`${cluster.webhookUrl}webhook/${webhookPath}`, {
					method: 'POST',
					headers: { 'content-type': 'application/json' },
					body: JSON.stringify({ prompt: `${label} ${index + 1}: a paper boat on a rainy street` }),
				});
				const answer = { status: response.status, text: await response.text() };
				if (answer.status !== 503 || attempt === 10) return answer;
				startRetries++;
				await new Promise((resolve) => setTimeout(resolve, 1000));
			}
		}),
	);
	const refused = answers.filter((answer) => answer.status !== 200);
	if (refused.length > 0) {
		throw new Error(`${refused.length} of ${count} webhook calls to ${webhookPath} refused: ${refused[0].status} ${refused[0].text.slice(0, 300)}\n--- webhook processor\n${cluster.webhook.output().slice(-3000)}`);
	}
}

/** The execution an external task ID the node made belongs to: `n8n-<instance>-<execution>-<node>-<run>-<item>-<hash>`. */
const executionOfTask = (externalTaskId: unknown) => /^n8n-[0-9a-f]+-(\d+)-/.exec(String(externalTaskId))?.[1];

function createdTasks(executionIds: string[]) {
	const wanted = new Set(executionIds);
	const tasks = [...standIn.tasks.values()].filter((task) => wanted.has(executionOfTask(task.external_task_id) ?? ''));
	const perExecution = new Map<string, number>();
	for (const task of tasks) {
		const id = executionOfTask(task.external_task_id)!;
		perExecution.set(id, (perExecution.get(id) ?? 0) + 1);
	}
	return { tasks, perExecution, duplicates: [...perExecution.values()].reduce((sum, n) => sum + Math.max(0, n - 1), 0) };
}

/** Which worker ran which execution (from the workers' logs), and the seconds executions held a worker slot. */
function workerUse(executionIds: string[]) {
	const wanted = new Set(executionIds);
	const byWorker: Record<string, number> = {};
	let slotMs = 0;
	const intervals: Array<[number, number]> = [];
	for (const worker of cluster.workers) {
		const jobs = workerJobs(worker).filter((job) => wanted.has(job.executionId));
		byWorker[worker.name] = new Set(jobs.map((job) => job.executionId)).size;
		for (const job of jobs) {
			if (job.finishedAt === undefined) continue;
			slotMs += job.finishedAt - job.startedAt;
			intervals.push([job.startedAt, job.finishedAt]);
		}
	}
	const events = intervals.flatMap(([from, to]) => [[from, 1], [to, -1]] as Array<[number, number]>).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
	let busy = 0;
	let peak = 0;
	for (const [, delta] of events) peak = Math.max(peak, (busy += delta));
	return { byWorker, slotSeconds: Math.round(slotMs / 100) / 10, peakSlots: peak, jobs: intervals.length };
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

// ---------------------------------------------------------------------------------------------------

it(`polling path: ${EXECUTIONS} executions of Create with Wait for Completion, spread over both workers, each task created once`, async () => {
	standIn.reset();
	const after = await lastExecutionId();
	const t0 = Date.now();
	await startRuns('kling-poll', EXECUTIONS, 'poll');
	const rows = await finished(POLLING, EXECUTIONS, after, 600_000);
	const wall = Math.max(...rows.map((row) => row.stoppedAt)) - t0;

	expect(rows.map((row) => row.status)).toEqual(rows.map(() => 'success'));
	const ids = rows.map((row) => row.id);
	const { tasks, perExecution, duplicates } = createdTasks(ids);
	expect(tasks).toHaveLength(EXECUTIONS);
	expect(duplicates).toBe(0);
	expect([...perExecution.keys()].sort()).toEqual([...ids].sort());
	expect(standIn.requests.filter((r) => r.kind === 'create').length).toBe(EXECUTIONS);
	expect(standIn.requests.filter((r) => r.kind === 'download' && r.status === 200).length).toBe(EXECUTIONS);
	const use = workerUse(ids);
	expect(Object.values(use.byWorker).every((n) => n > 0)).toBe(true);
	expect(use.peakSlots).toBeLessThanOrEqual(SLOTS);

	figures['polling: wall (s)'] = seconds(wall);
	figures['polling: ideal ceil(n/slots)*T (s)'] = Math.ceil(EXECUTIONS / SLOTS) * RENDER_S;
	figures['polling: executions per worker'] = JSON.stringify(use.byWorker);
	figures['polling: worker slot-seconds held'] = use.slotSeconds;
	figures['polling: peak slots busy'] = use.peakSlots;
	figures['polling: API requests per task'] = Math.round((standIn.requests.length / EXECUTIONS) * 10) / 10;
}, 900_000);

it(`callback path: ${EXECUTIONS} executions of the callback example sleep in the database while Kling renders`, async () => {
	standIn.reset();
	const after = await lastExecutionId();
	const t0 = Date.now();
	await startRuns('kling-video', EXECUTIONS, 'callback');
	const rows = await finished(CALLBACK, EXECUTIONS, after, 600_000);
	const wall = Math.max(...rows.map((row) => row.stoppedAt)) - t0;

	expect(rows.map((row) => row.status)).toEqual(rows.map(() => 'success'));
	const ids = rows.map((row) => row.id);
	const { tasks, duplicates } = createdTasks(ids);
	expect(tasks).toHaveLength(EXECUTIONS);
	expect(duplicates).toBe(0);
	// Every task's final callback reached the webhook processor and was accepted; the video was downloaded once.
	const finals = standIn.callbacksSent.filter((c) => (c.body as { task_status: string }).task_status === 'succeed');
	expect(finals).toHaveLength(EXECUTIONS);
	expect(finals.every((c) => c.status === 200)).toBe(true);
	expect(finals.every((c) => c.url.startsWith(`${cluster.webhookUrl}webhook-waiting/`))).toBe(true);
	const downloads = standIn.requests.filter((r) => r.kind === 'download' && r.status === 200);
	expect(new Set(downloads.map((r) => r.taskId)).size).toBe(EXECUTIONS);
	const use = workerUse(ids);

	figures['callback: wall (s)'] = seconds(wall);
	figures['callback: callbacks sent / not answered 200'] = `${standIn.callbacksSent.length} / ${standIn.callbacksSent.filter((c) => c.status !== 200).length}`;
	figures['callback: executions per worker'] = JSON.stringify(use.byWorker);
	figures['callback: worker jobs / slot-seconds held'] = `${use.jobs} / ${use.slotSeconds}`;
	figures['callback: peak slots busy'] = use.peakSlots;
	figures['callback: API requests per task'] = Math.round((standIn.requests.length / EXECUTIONS) * 10) / 10;
	const polling = Number(figures['polling: wall (s)']);
	if (polling) figures['wall polling / wall callback'] = Math.round((polling / seconds(wall)) * 100) / 100;
	process.stdout.write(
		`\n[queue] freeing workers: ${EXECUTIONS} renders of ${RENDER_S} s on ${WORKERS} workers x concurrency ${CONCURRENCY}: ` +
			`polling ${figures['polling: wall (s)']} s, callback ${seconds(wall)} s, ratio ${figures['wall polling / wall callback']}\n`,
	);
}, 900_000);

it(`Kling AI Trigger behind the webhook processor, signed callbacks: ${EXECUTIONS} tasks, each succeed callback starts exactly one execution, no API look-up`, async () => {
	standIn.reset();
	const after = await lastExecutionId();
	const t0 = Date.now();
	await startRuns('kling-trigger-start', EXECUTIONS, 'trigger');
	const starters = await finished(TRIGGER_START, EXECUTIONS, after, 300_000);
	expect(starters.map((row) => row.status)).toEqual(starters.map(() => 'success'));
	const { tasks, duplicates } = createdTasks(starters.map((row) => row.id));
	expect(tasks).toHaveLength(EXECUTIONS);
	expect(duplicates).toBe(0);
	const received = await finished(TRIGGER_RECEIVE, EXECUTIONS, after, 300_000);
	const wall = Math.max(...received.map((row) => row.stoppedAt)) - t0;
	expect(received.map((row) => row.status)).toEqual(received.map(() => 'success'));

	const callbacks = standIn.callbacksSent;
	expect(callbacks.every((c) => c.url === triggerUrl && c.status === 200)).toBe(true);
	const finals = callbacks.filter((c) => (c.body as { task_status: string }).task_status === 'succeed');
	expect(finals).toHaveLength(EXECUTIONS);
	// Every callback was signed, and the trigger checked the signatures: it asked the API nothing.
	expect(callbacks.every((c) => /^v1,/.test(c.headers?.['webhook-signature'] ?? ''))).toBe(true);
	expect(standIn.requests.filter((r) => r.kind === 'get')).toHaveLength(0);
	// Nothing started more executions than there were final statuses (processing callbacks start nothing).
	await new Promise((resolve) => setTimeout(resolve, 2000));
	expect((await executions(TRIGGER_RECEIVE)).filter((row) => Number(row.id) > after)).toHaveLength(EXECUTIONS);

	figures['trigger: wall (s)'] = seconds(wall);
	figures['trigger: callbacks sent / not answered 200'] = `${callbacks.length} / ${callbacks.filter((c) => c.status !== 200).length}`;
}, 900_000);

/** The executions a worker's log shows as started (first part or resumed) and not finished. */
const openJobs = (worker: N8nProcess) => workerJobs(worker).filter((job) => job.finishedAt === undefined).map((job) => job.executionId);

/** Final status, n8n's error message and what the callbacks to it were answered, per execution. */
async function executionInfo(ids: string[]) {
	const rows = await executions();
	const result = [];
	for (const id of ids) {
		const data = (await cluster.postgres.query(`SELECT coalesce(data, '') FROM execution_data WHERE "executionId" = ${id}`))[0]?.[0] ?? '';
		const message = /"(This execution failed to be processed too many times|[^"]{0,80}(?:stalled|crashed|Workflow did not finish)[^"]{0,40})/i.exec(data)?.[1] ?? '';
		const callbacks = standIn.callbacksSent
			.filter((c) => c.url.endsWith(`/webhook-waiting/${id}`))
			.map((c) => `${(c.body as { task_status: string }).task_status}:${c.status ?? c.error}`);
		result.push({ id, status: rows.find((row) => row.id === id)?.status, message, callbacks: callbacks.join(' ') });
	}
	return result;
}

interface FaultRun {
	victim: N8nProcess;
	/** Callback executions the victim had started that were parked at the Wait node when it was killed. */
	parked: string[];
	/** Polling executions running on the victim when it was killed. */
	held: string[];
	pollRows: ExecutionRow[];
	waitRows: ExecutionRow[];
}

/**
 * Parks `waits` callback executions (renders of 45 s), then starts `polls` polling executions, kills a worker
 * that parked some and holds running ones (SIGKILL), restarts it (`restartEnv`: e.g. a fresh user folder),
 * and waits until every execution has ended.
 */
async function killAWorker(after: number, waits: number, polls: number, pick: (candidates: N8nProcess[]) => N8nProcess, restartEnv?: () => Promise<NodeJS.ProcessEnv>): Promise<FaultRun> {
	await startRuns('kling-video', waits, 'fault callback');
	const waiting = await until(
		'the callback executions to wait',
		async () => {
			const rows = (await executions(CALLBACK)).filter((row) => Number(row.id) > after);
			return rows.length === waits && rows.every((row) => row.status === 'waiting') ? rows.map((row) => row.id) : undefined;
		},
		120_000,
	);
	const parkedBy = (worker: N8nProcess) => waiting.filter((id) => workerJobs(worker).some((job) => job.executionId === id));
	const candidates = cluster.workers.filter((worker) => parkedBy(worker).length > 0);
	const victim = pick(candidates.length > 0 ? candidates : cluster.workers);
	const parked = parkedBy(victim);
	await startRuns('kling-poll', polls, 'fault poll');
	const held = await until(
		`${victim.name} to hold polling executions whose tasks exist`,
		async () => {
			const pollingIds = new Set((await executions(POLLING)).filter((row) => Number(row.id) > after).map((row) => row.id));
			const running = openJobs(victim).filter((id) => pollingIds.has(id));
			const created = new Set([...standIn.tasks.values()].map((task) => executionOfTask(task.external_task_id)));
			return running.length >= 1 && running.every((id) => created.has(id)) ? running : undefined;
		},
		120_000,
	);
	await victim.kill();
	const killedAt = Date.now();
	process.stdout.write(`[queue] SIGKILL ${victim.name}: running ${held.join(', ')}; it had parked ${parked.join(', ')}\n`);
	await new Promise((resolve) => setTimeout(resolve, 2000));
	await victim.restart(restartEnv ? await restartEnv() : undefined);
	process.stdout.write(`[queue] ${victim.name} back after ${seconds(Date.now() - killedAt)} s\n`);
	const pollRows = await finished(POLLING, polls, after, 600_000);
	const waitRows = await finished(CALLBACK, waits, after, 600_000);
	return { victim, parked, held, pollRows, waitRows };
}

it('a worker killed (SIGKILL) and restarted on its own folder: its running executions fail, the waiting ones it had started are marked crashed; no task is created twice', async () => {
	standIn.reset();
	const after = await lastExecutionId();
	const run = await killAWorker(after, 4, 8, (candidates) => candidates[0]);
	const rows = [...run.pollRows, ...run.waitRows];

	const held = await executionInfo(run.held);
	const parked = await executionInfo(run.parked);
	const victimLog = run.victim.output().split('\n');
	const said = [...cluster.webhook.output().split('\n'), ...victimLog].filter((line) => /stalled|crash|Recovery|unfinished|Problem with execution/i.test(line));
	process.stdout.write(`[queue] running on the killed worker: ${JSON.stringify(held)}\n[queue] parked by it: ${JSON.stringify(parked)}\n[queue] n8n said:\n  ${said.slice(0, 20).join('\n  ')}\n`);

	// Retry (the button on a failed execution) of the executions that died with the worker.
	const retries: string[] = [];
	const retryIds: string[] = [];
	for (const id of run.held) {
		try {
			const retried = await rest<{ id: string; status: string }>(`/rest/executions/${id}/retry`, { loadWorkflow: false });
			retryIds.push(String(retried.id));
			const [info] = await executionInfo([String(retried.id)]);
			retries.push(`${id} -> execution ${retried.id}: ${retried.status}${info.message ? ` (${info.message})` : ''}`);
		} catch (error) {
			retries.push(`${id} -> refused: ${(error as Error).message.slice(0, 160)}`);
		}
	}
	process.stdout.write(`[queue] Retry of those: ${JSON.stringify(retries)}\n`);

	// The running executions of the dead worker end as errors (Bull: stalled job, n8n: maxStalledCount 0).
	expect(held.map((info) => info.status)).toEqual(held.map(() => 'error'));
	// n8n 2.8.4: on start the worker reads its own event log (in its user folder), finds executions it started
	// that never logged an end (the parked ones too: going to wait logs none) and marks them all crashed.
	// Kling's final callback to such an execution is answered 500: the video is never fetched.
	expect(parked.map((info) => info.status)).toEqual(parked.map(() => 'crashed'));
	// Everything the victim had not touched succeeds (the survivor and the restarted victim take the queue).
	const touched = new Set([...run.held, ...run.parked]);
	const others = rows.filter((row) => !touched.has(row.id));
	expect(others.map((row) => `${row.id}:${row.status}`)).toEqual(others.map((row) => `${row.id}:success`));
	// Tasks against executions (the retries included): never more than one per execution.
	const { tasks, perExecution, duplicates } = createdTasks([...rows.map((row) => row.id), ...retryIds]);
	expect(duplicates).toBe(0);
	expect([...perExecution.values()].every((n) => n === 1)).toBe(true);
	expect(rows.every((row) => perExecution.get(row.id) === 1)).toBe(true);

	figures['fault A (restart on its folder): executions'] = `${run.pollRows.length} polling + ${run.waitRows.length} parked at Wait`;
	figures['fault A: running on the killed worker -> final'] = held.map((info) => `${info.id}=${info.status}`).join(', ');
	figures['fault A: parked by it -> final (callbacks answered)'] = parked.map((info) => `${info.id}=${info.status} [${info.callbacks}]`).join(', ');
	figures['fault A: untouched executions succeeded'] = `${others.filter((row) => row.status === 'success').length} / ${others.length}`;
	figures['fault A: tasks / executions (with retries) / duplicates'] = `${tasks.length} / ${rows.length + retryIds.length} / ${duplicates}`;
	figures['fault A: Retry'] = retries.join('; ');
}, 900_000);

it('a worker killed and restarted with a fresh folder (a new container): the waiting executions it had started resume and succeed', async () => {
	standIn.reset();
	const after = await lastExecutionId();
	const run = await killAWorker(
		after,
		4,
		4,
		(candidates) => candidates[candidates.length - 1],
		async () => ({ N8N_USER_FOLDER: (await newN8nUser(tarball)).folder }),
	);
	const rows = [...run.pollRows, ...run.waitRows];
	const parked = await executionInfo(run.parked);
	const held = await executionInfo(run.held);
	process.stdout.write(`[queue] fresh folder: parked ${JSON.stringify(parked)}; running ${JSON.stringify(held)}\n`);

	expect(held.map((info) => info.status)).toEqual(held.map(() => 'error'));
	expect(run.waitRows.map((row) => `${row.id}:${row.status}`)).toEqual(run.waitRows.map((row) => `${row.id}:success`));
	const { tasks, duplicates } = createdTasks(rows.map((row) => row.id));
	expect(duplicates).toBe(0);
	expect(tasks).toHaveLength(rows.length);

	figures['fault B (restart with a fresh folder): parked by the killed worker -> final'] = parked.map((info) => `${info.id}=${info.status}`).join(', ');
	figures['fault B: running on it -> final'] = held.map((info) => `${info.id}=${info.status}`).join(', ');
	figures['fault B: tasks / executions / duplicates'] = `${tasks.length} / ${rows.length} / ${duplicates}`;
}, 900_000);
