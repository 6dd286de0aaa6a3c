/**
 * Callbacks: with `callback_url`, every status change of a task is POSTed there (the task in the query's
 * `data` shape, no Authorization, no signature), like Kling does. Timed tasks get timers; poll-driven tasks
 * call back from the Get that moved them. Results (HTTP status or error) are recorded in `callbacksSent`.
 */
import * as http from 'node:http';
import * as https from 'node:https';

import type { StandInState } from './state';
import { type Task, taskShape } from './tasks';
import type { SentCallback, TaskStatus } from './types';

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

export function sendCallback(state: StandInState, task: Task, status: TaskStatus): void {
	const url = task.body.callback_url;
	if (!state.config.callbacksEnabled || state.closed || typeof url !== 'string') return;
	const body = taskShape(state, task, status);
	const entry: SentCallback = { url, body, at: Date.now() };
	const sentInGeneration = state.generation;
	let settled = false;
	const settle = (result: { status?: number; error?: string }) => {
		if (settled) return;
		settled = true;
		Object.assign(entry, result);
		if (sentInGeneration === state.generation) state.callbacksSent.push(entry);
	};
	let target: URL;
	try {
		target = new URL(url);
	} catch {
		settle({ error: 'invalid callback URL' });
		return;
	}
	const payload = JSON.stringify(body);
	const client = target.protocol === 'https:' ? https : http;
	const request = client.request(target, {
		method: 'POST',
		headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
		timeout: 10_000,
	});
	const pending = state.callbackRequests;
	pending.add(request);
	request.on('response', (response) => {
		response.resume();
		response.on('end', () => pending.delete(request));
		settle({ status: response.statusCode });
	});
	request.on('timeout', () => request.destroy(new Error('callback timed out')));
	request.on('error', (error) => {
		pending.delete(request);
		settle({ error: error.message });
	});
	request.on('close', () => pending.delete(request));
	request.end(payload);
}

/** Cancels callback timers and callbacks in flight (reset and close). */
export function clearPendingCallbacks(state: StandInState): void {
	for (const timer of state.callbackTimers) clearTimeout(timer);
	state.callbackTimers.clear();
	for (const request of state.callbackRequests) request.destroy();
	state.callbackRequests.clear();
}
