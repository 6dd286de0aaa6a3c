/**
 * Callbacks: with `callback_url`, every status change of a task is POSTed there (the task in the query's
 * `data` shape, or with `callbackStyle: 'new'` in the new API's shape; no Authorization), like Kling does.
 * Timed tasks get timers; poll-driven tasks call back from the Get that moved them. Results (HTTP status or
 * error, and the answer) are recorded in `callbacksSent`.
 *
 * Signatures, as Kling's callback page describes them ("Webhook Signature"): with a Webhook Secret
 * (`whsec_` + base64), every callback carries `webhook-id`, `webhook-timestamp` (Unix seconds) and
 * `webhook-signature`: `v1,` + Base64(HMAC-SHA256(base64-decoded secret, `{id}.{timestamp}.{raw body}`)),
 * one entry per secret separated by spaces during a rotation. `sendCallback` and `sendTestCallback` send
 * one now, signed right or wrong on purpose (other secret, old timestamp, tampered body, header case).
 */
import { createHmac, randomBytes } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';

import { type StandInState, standInNowMs, toStandInClock } from './state';
import { type Task, taskInfo, taskShape } from './tasks';
import type { CallbackSignOptions, SentCallback, TaskStatus } from './types';

/** Arms timers for the status changes of a time-driven task. */
export function scheduleTimedCallbacks(state: StandInState, task: Task): void {
	if (!state.config.callbacksEnabled || typeof task.body.callback_url !== 'string') return;
	if (task.plan.completeAfterPolls !== undefined) return; // sent from the Get that moves it instead
	const schedule = (atMs: number, status: TaskStatus) => {
		const timer = setTimeout(() => {
			state.callbackTimers.delete(timer);
			sendCallback(state, task, status);
		}, Math.max(0, atMs - Date.now()));
		state.callbackTimers.add(timer);
	};
	if (task.processingAt < task.finishedAt) schedule(task.processingAt, 'processing');
	schedule(task.finishedAt, task.finalStatus);
}

const NEW_STATUS: Record<TaskStatus, string> = { submitted: 'submitted', processing: 'processing', succeed: 'succeeded', failed: 'failed' };

/** The task as the new API's callback shows it: id, status (succeeded), message, times, external_id, outputs, billing. */
export function newStyleShape(state: StandInState, task: Task, status: TaskStatus = task.status()): Record<string, unknown> {
	const legacy = taskShape(state, task, status);
	const shape: Record<string, unknown> = {
		id: task.task_id,
		status: NEW_STATUS[status],
		message: legacy.task_status_msg,
		create_time: legacy.created_at,
		update_time: legacy.updated_at,
	};
	const external = taskInfo(task).external_task_id;
	if (external !== undefined) shape.external_id = external;
	const videos = (legacy.task_result as { videos?: Array<{ id: string; url: string; duration: string }> } | undefined)?.videos ?? [];
	shape.outputs = videos.map((video) => ({ type: 'video', id: video.id, url: video.url, watermark_url: `${video.url}?watermark=1`, duration: video.duration }));
	if (status === 'succeed') {
		shape.billing = [{ charge_type: 'unit', amount: String(legacy.final_unit_deduction), package_type: 'video' }];
	}
	return shape;
}

/** `v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}` with the secret (whsec_ prefix removed, base64-decoded). */
export function signCallback(secret: string, id: string, timestampSec: number | string, body: string): string {
	const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
	return `v1,${createHmac('sha256', key).update(`${id}.${timestampSec}.${body}`, 'utf8').digest('base64')}`;
}

const HEADER_CASES = {
	lower: (name: string) => name,
	upper: (name: string) => name.toUpperCase(),
	title: (name: string) => name.replace(/(^|-)([a-z])/g, (_m, dash: string, letter: string) => dash + letter.toUpperCase()),
};

export function sendCallback(state: StandInState, task: Task, status: TaskStatus): void {
	const url = task.body.callback_url;
	if (!state.config.callbacksEnabled || state.closed || typeof url !== 'string') return;
	const body = state.config.callbackStyle === 'new' ? newStyleShape(state, task, status) : taskShape(state, task, status);
	void postCallback(state, url, body);
}

/** Kling console's Send Test Callback body (callback page, "Test Callback Request Body Example"). */
export function testCallbackBody(state: StandInState): Record<string, unknown> {
	const now = toStandInClock(state, Date.now());
	return { id: randomBytes(8).readBigUInt64BE().toString().slice(0, 18), status: 'submitted', outputs: [], message: '', create_time: now, update_time: now };
}

/** POSTs one callback (signed as the options say, by default with the configured secrets) and records it. */
export function postCallback(state: StandInState, url: string, body: unknown, options: CallbackSignOptions = {}): Promise<SentCallback> {
	const payload = JSON.stringify(body);
	const sent = options.tamperedBody ?? payload;
	const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
	const secrets = options.secrets ?? state.config.webhookSecrets;
	if (secrets.length > 0) {
		const id = options.id ?? randomBytes(8).readBigUInt64BE().toString();
		const timestamp = options.timestampSec ?? Math.floor(standInNowMs(state) / 1000);
		const name = HEADER_CASES[options.headerCase ?? 'lower'];
		headers[name('webhook-id')] = id;
		headers[name('webhook-timestamp')] = String(timestamp);
		headers[name('webhook-signature')] = secrets.map((secret) => signCallback(secret, id, timestamp, payload)).join(' ');
	}
	const entry: SentCallback = { url, body, headers: { ...headers }, at: Date.now() };
	if (sent !== payload) entry.rawBody = sent;
	const sentInGeneration = state.generation;
	return new Promise<SentCallback>((resolve) => {
		let settled = false;
		const settle = (result: { status?: number; error?: string; responseText?: string }) => {
			if (settled) return;
			settled = true;
			Object.assign(entry, result);
			if (sentInGeneration === state.generation) state.callbacksSent.push(entry);
			resolve(entry);
		};
		if (state.closed) {
			settle({ error: 'stand-in closed' });
			return;
		}
		let target: URL;
		try {
			target = new URL(url);
		} catch {
			settle({ error: 'invalid callback URL' });
			return;
		}
		const client = target.protocol === 'https:' ? https : http;
		const request = client.request(target, {
			method: 'POST',
			headers: { ...headers, 'content-length': String(Buffer.byteLength(sent)) },
			timeout: 10_000,
		});
		const pending = state.callbackRequests;
		pending.add(request);
		request.on('response', (response) => {
			const chunks: Buffer[] = [];
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('end', () => {
				pending.delete(request);
				settle({ status: response.statusCode, responseText: Buffer.concat(chunks).toString('utf8') });
			});
			response.on('error', () => settle({ status: response.statusCode }));
		});
		request.on('timeout', () => request.destroy(new Error('callback timed out')));
		request.on('error', (error) => {
			pending.delete(request);
			settle({ error: error.message });
		});
		request.on('close', () => {
			pending.delete(request);
			settle({ error: 'connection closed before the answer' });
		});
		request.end(sent);
	});
}

/** Cancels callback timers and callbacks in flight (reset and close). */
export function clearPendingCallbacks(state: StandInState): void {
	for (const timer of state.callbackTimers) clearTimeout(timer);
	state.callbackTimers.clear();
	for (const request of state.callbackRequests) request.destroy();
	state.callbackRequests.clear();
}
