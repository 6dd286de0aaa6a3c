/**
 * Phase "callbacks": the Kling AI Trigger (version 1.2), time from a callback leaving Kling to the
 * workflow's start (the moment the node's webhook() hands its item to n8n), with Verification =
 * Signature (HMAC over the raw body, no request) against API Look-Up (one Get of the task per callback).
 * The trigger runs in n8n-core's real WebhookContext behind a real HTTP server (test/helpers/webhook.ts);
 * the stand-in runs in this process and sends the callbacks (signed with its Webhook Secret), so one
 * clock (performance.now) times both ends. Sequential callbacks give the latency; a burst of callbacks
 * sent at once gives the throughput.
 */
import { performance } from 'node:perf_hooks';

import { startKlingStandIn, type KlingStandIn } from '../stand-in';
import { startTriggerServer, type TriggerServer } from '../test/helpers/webhook';
import { max, mean, median } from './lib';
import { ACCESS_KEY, credentialsFor, SECRET_KEY } from './polling';

const WEBHOOK_SECRET = `whsec_${Buffer.from('kling-bench-webhook-secret-00001').toString('base64')}`;

export type CallbackMode = 'signature' | 'api';

export interface CallbackRun {
	mode: CallbackMode;
	callbacks: number;
	/** Callback sent -> webhook() returned its item (workflow start), ms, sequential callbacks. */
	startMedianMs: number;
	startP95Ms: number;
	startMaxMs: number;
	startMeanMs: number;
	/** Callback sent -> answer received by the sender, median ms. */
	answerMedianMs: number;
	/** API requests the trigger made per callback. */
	apiRequestsPerCallback: number;
	/** A burst of `burst` callbacks sent at once: wall time until all answered, and callbacks per second. */
	burst: number;
	burstWallMs: number;
	burstPerSecond: number;
	failures: string[];
}

const p95 = (values: number[]) => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1)] ?? NaN;
};

async function finishedTasks(standIn: KlingStandIn, n: number): Promise<Array<Record<string, unknown>>> {
	const tasks: Array<Record<string, unknown>> = [];
	for (let i = 0; i < n; i++) {
		const created = await fetch(`${standIn.url}/v1/videos/text2video`, {
			method: 'POST',
			headers: { authorization: 'Bearer bench-api-key', 'content-type': 'application/json' },
			body: JSON.stringify({ model_name: 'kling-v2-6', prompt: `Clip ${i}` }),
		});
		const taskId = ((await created.json()) as { data: { task_id: string } }).data.task_id;
		const got = await fetch(`${standIn.url}/v1/videos/text2video/${taskId}`, { headers: { authorization: 'Bearer bench-api-key' } });
		tasks.push(((await got.json()) as { data: Record<string, unknown> }).data);
	}
	return tasks;
}

async function runMode(standIn: KlingStandIn, trigger: TriggerServer, mode: CallbackMode, n: number, burst: number): Promise<CallbackRun> {
	const failures: string[] = [];
	trigger.configure({
		parameters: { verification: mode },
		credentials: { ...credentialsFor(standIn.url), webhookSecret: WEBHOOK_SECRET },
		typeVersion: 1.2,
	});
	const warmup = await finishedTasks(standIn, 5);
	for (const task of warmup) await standIn.sendCallback(trigger.webhookUrl, task);
	await trigger.idle();

	const tasks = await finishedTasks(standIn, n + burst);
	trigger.reset();
	const getsBefore = standIn.requests.filter((r) => r.kind === 'get').length;
	const starts: number[] = [];
	const answers: number[] = [];
	for (const task of tasks.slice(0, n)) {
		const sentAt = performance.now();
		const sent = await standIn.sendCallback(trigger.webhookUrl, task);
		const answeredAt = performance.now();
		await trigger.idle();
		const delivery = trigger.deliveries[trigger.deliveries.length - 1];
		if (sent.status !== 200 || !delivery?.emitted?.length || delivery.returnedAt === undefined) {
			failures.push(`${mode}: callback for ${String(task.task_id)} answered ${sent.status ?? sent.error}`);
			continue;
		}
		starts.push(delivery.returnedAt - sentAt);
		answers.push(answeredAt - sentAt);
	}
	const requests = standIn.requests.filter((r) => r.kind === 'get').length - getsBefore;

	const burstTasks = tasks.slice(n);
	const burstStart = performance.now();
	const burstSent = await Promise.all(burstTasks.map((task) => standIn.sendCallback(trigger.webhookUrl, task)));
	const burstWallMs = performance.now() - burstStart;
	await trigger.idle();
	const burstFailed = burstSent.filter((sent) => sent.status !== 200).length;
	if (burstFailed) failures.push(`${mode}: ${burstFailed} of ${burst} burst callbacks not answered 200`);

	return {
		mode,
		callbacks: n,
		startMedianMs: median(starts),
		startP95Ms: p95(starts),
		startMaxMs: max(starts),
		startMeanMs: mean(starts),
		answerMedianMs: median(answers),
		apiRequestsPerCallback: requests / n,
		burst,
		burstWallMs,
		burstPerSecond: (burst / burstWallMs) * 1000,
		failures: failures.length > 5 ? [...failures.slice(0, 5), `… and ${failures.length - 5} more`] : failures,
	};
}

export async function runCallbacks(opts: { callbacks: number; burst: number }): Promise<CallbackRun[]> {
	const standIn = await startKlingStandIn({
		accessKey: ACCESS_KEY,
		secretKey: SECRET_KEY,
		apiKeys: ['bench-api-key'],
		webhookSecret: WEBHOOK_SECRET,
		taskDurationMs: 0,
		callbacks: false,
	});
	const trigger = await startTriggerServer({ parameters: {}, typeVersion: 1.2 });
	try {
		const runs: CallbackRun[] = [];
		for (const mode of ['signature', 'api'] as const) runs.push(await runMode(standIn, trigger, mode, opts.callbacks, opts.burst));
		return runs;
	} finally {
		await trigger.close();
		await standIn.close();
	}
}
