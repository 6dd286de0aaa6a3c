/**
 * Phases 1-3: Create with Wait for Completion, no download, for 1, 10 and 50 items. The stand-in runs
 * in this process (it only answers small JSON); its request log gives the exact time every poll was
 * received and answered.
 */
import type { RecordedRequest } from '../stand-in';
import { startKlingStandIn } from '../stand-in';
import { runKlingNode } from '../test/helpers/engine';
import { max, mean, median, min } from './lib';

export const ACCESS_KEY = 'bench-access-key';
export const SECRET_KEY = 'bench-secret-key';

export function credentialsFor(baseUrl: string) {
	return { authentication: 'accessKey', accessKey: ACCESS_KEY, secretKey: SECRET_KEY, region: 'custom', baseUrl };
}

export interface TaskFigures {
	taskId: string;
	jitterMs: number;
	/** task.finishedAt - task.createdAt */
	durationMs: number;
	/** respondedAt of the first Get that answered succeed, minus finishedAt. */
	overshootMs: number;
	/** The part of the overshoot spent waiting for the next poll tick (receivedAt - finishedAt). */
	waitForTickMs: number;
	/** create + gets. */
	apiRequests: number;
	gets: number;
	/** Gets after the one that answered succeed (should be 0). */
	getsAfterSuccess: number;
	/** |receivedAt of poll k - (create respondedAt + k * interval)|, max over the task's polls. */
	maxCadenceErrorMs: number;
	/** The succeed Get straddled finishedAt (received before, answered after): judged by respondedAt. */
	boundaryCase: boolean;
	/** How far the succeed Get, and the Get before it, arrived behind create-answer + k x interval. */
	successGetLateMs: number;
	previousGetLateMs?: number;
}

export interface PollingRun {
	items: number;
	wallMs: number;
	/** From run start to the last task's finishedAt: no poller can be done before this. */
	lastTaskDoneMs: number;
	/** wall - lastTaskDone. */
	tailMs: number;
	/** node run end - finishedAt, per task (meaningful for the 1-item run). */
	endToEndMs: number[];
	jittersMs: number[];
	tasks: TaskFigures[];
	failures: string[];
	otherRequests: number;
	/** Mean of (create receivedAt - run start), to show that items were created side by side. */
	createSpreadMs: number;
}

export async function runPolling(opts: {
	items: number;
	taskMs: number;
	intervalS: number;
	jittersMs: number[];
}): Promise<PollingRun> {
	const { items, taskMs, intervalS, jittersMs } = opts;
	const intervalMs = intervalS * 1000;
	const standIn = await startKlingStandIn({
		accessKey: ACCESS_KEY,
		secretKey: SECRET_KEY,
		callbacks: false,
		plan: (_body, index) => ({ durationMs: taskMs + (jittersMs[index] ?? 0) }),
	});
	try {
		const startedAt = Date.now();
		const result = await runKlingNode({
			parameters: {
				resource: 'textToVideo',
				operation: 'create',
				model: 'kling-v2-6',
				prompt: 'A red fox running through fresh snow at sunrise, cinematic',
				waitForCompletion: true,
				pollInterval: intervalS,
				downloadVideo: false,
			},
			credentials: credentialsFor(standIn.url),
			items: Array.from({ length: items }, (_, i) => ({ json: { i } })),
		});
		const endedAt = Date.now();

		const failures: string[] = [];
		if (result.error) failures.push(`run error: ${result.error.message}`);
		if (result.items.length !== items) failures.push(`expected ${items} items, got ${result.items.length}`);
		for (const item of result.items) {
			if (item.json.task_status !== 'succeed') failures.push(`item ended as ${String(item.json.task_status)}: ${String(item.json.error ?? '')}`);
		}
		if (standIn.tasks.size !== items) failures.push(`expected ${items} tasks at the stand-in, got ${standIn.tasks.size}`);

		const byTask = new Map<string, RecordedRequest[]>();
		let otherRequests = 0;
		for (const request of standIn.requests) {
			if ((request.kind !== 'create' && request.kind !== 'get') || !request.taskId) {
				otherRequests++;
				continue;
			}
			if (request.status !== 200 || request.code !== 0) failures.push(`${request.kind} ${request.taskId} answered ${request.status}/${request.code}`);
			const list = byTask.get(request.taskId) ?? [];
			list.push(request);
			byTask.set(request.taskId, list);
		}

		const tasks: TaskFigures[] = [];
		const endToEndMs: number[] = [];
		let index = 0;
		for (const task of standIn.tasks.values()) {
			const requests = (byTask.get(task.task_id) ?? []).sort((a, b) => a.seq - b.seq);
			const create = requests.find((r) => r.kind === 'create');
			const gets = requests.filter((r) => r.kind === 'get');
			// The stand-in decides the status and stamps respondedAt in one synchronous step, so a Get
			// answered at or after finishedAt is the one that said succeed.
			const successIndex = gets.findIndex((g) => g.respondedAt >= task.finishedAt);
			const success = gets[successIndex];
			if (!success) {
				failures.push(`task ${task.task_id}: no Get answered after it finished`);
				continue;
			}
			const cadenceErrors = create
				? gets.map((g, k) => Math.abs(g.receivedAt - (create.respondedAt + (k + 1) * intervalMs)))
				: [];
			tasks.push({
				taskId: task.task_id,
				jitterMs: jittersMs[index] ?? 0,
				durationMs: task.finishedAt - task.createdAt,
				overshootMs: success.respondedAt - task.finishedAt,
				waitForTickMs: Math.max(0, success.receivedAt - task.finishedAt),
				apiRequests: requests.length,
				gets: gets.length,
				getsAfterSuccess: gets.length - successIndex - 1,
				maxCadenceErrorMs: max(cadenceErrors),
				boundaryCase: success.receivedAt < task.finishedAt,
				successGetLateMs: create ? success.receivedAt - (create.respondedAt + (successIndex + 1) * intervalMs) : NaN,
				previousGetLateMs: create && successIndex > 0 ? gets[successIndex - 1].receivedAt - (create.respondedAt + successIndex * intervalMs) : undefined,
			});
			endToEndMs.push(endedAt - task.finishedAt);
			index++;
		}
		const creates = standIn.requests.filter((r) => r.kind === 'create').map((r) => r.receivedAt - startedAt);
		const lastTaskDone = max([...standIn.tasks.values()].map((t) => t.finishedAt));
		return {
			items,
			wallMs: endedAt - startedAt,
			lastTaskDoneMs: lastTaskDone - startedAt,
			tailMs: endedAt - lastTaskDone,
			endToEndMs,
			jittersMs: jittersMs.slice(0, items),
			tasks,
			failures,
			otherRequests,
			createSpreadMs: creates.length ? max(creates) - min(creates) : NaN,
		};
	} finally {
		await standIn.close();
	}
}

export function summarise(run: PollingRun) {
	const overshoot = run.tasks.map((t) => t.overshootMs);
	const worst = [...run.tasks].sort((a, b) => b.overshootMs - a.overshootMs)[0];
	const requests = run.tasks.map((t) => t.apiRequests);
	return {
		overshootMedianMs: median(overshoot),
		overshootMaxMs: max(overshoot),
		overshootMinMs: min(overshoot),
		requestLatencyMaxMs: max(run.tasks.map((t) => t.overshootMs - t.waitForTickMs)),
		requestsMean: mean(requests),
		requestsMax: max(requests),
		getsAfterSuccess: run.tasks.reduce((a, t) => a + t.getsAfterSuccess, 0),
		maxCadenceErrorMs: max(run.tasks.map((t) => t.maxCadenceErrorMs)),
		boundaryCases: run.tasks.filter((t) => t.boundaryCase).length,
		worst,
	};
}
