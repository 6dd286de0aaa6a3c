import type { IExecuteSingleFunctions, IHttpRequestOptions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError, sleepWithAbort } from 'n8n-workflow';

import { klingRequest, type KlingTask, TEXT2VIDEO_PATH } from '../transport';

export const POLL_INTERVAL_DEFAULT_S = 10;
export const POLL_INTERVAL_MIN_S = 1;
export const MAX_WAIT_DEFAULT_S = 1800;
export const MAX_WAIT_LIMIT_S = 7200;

export interface WaitSettings {
	pollIntervalMs: number;
	maxWaitMs: number;
	/** The request options n8n built for the operation (headers, timeout), reused for every poll. */
	requestOptions: IHttpRequestOptions;
}

/** A task that ended as `failed` while the node waited for it. */
export class KlingTaskFailedError extends NodeApiError {
	task?: KlingTask;
}

/** A task still running when Max Wait ran out. */
export class KlingWaitTimeoutError extends NodeOperationError {
	task?: KlingTask;
}

export function getTask(ctx: IExecuteSingleFunctions, id: string, requestOptions: IHttpRequestOptions) {
	return klingRequest<KlingTask>(ctx, {
		...requestOptions,
		method: 'GET',
		url: `${TEXT2VIDEO_PATH}/${encodeURIComponent(id)}`,
		body: undefined,
		qs: {},
	});
}

/**
 * Polls the task until it succeeds or fails. Polls keep a fixed cadence from the start (the time a
 * request takes is not added to the interval), so the result is seen at most one interval after
 * Kling has it. Each item waits in its own promise: n8n runs a routing node's items side by side,
 * and nothing here serialises them. A cancelled execution stops the wait at once.
 */
export async function waitForTask(
	ctx: IExecuteSingleFunctions,
	task: KlingTask,
	{ pollIntervalMs, maxWaitMs, requestOptions }: WaitSettings,
): Promise<KlingTask> {
	const signal = ctx.getExecutionCancelSignal();
	const started = Date.now();
	const deadline = started + maxWaitMs;
	let current = task;
	for (let poll = 1; ; poll++) {
		if (current.task_status === 'succeed') return current;
		if (current.task_status === 'failed') throw taskFailedError(ctx, current);
		const now = Date.now();
		if (now >= deadline) throw waitTimeoutError(ctx, current, maxWaitMs);
		const nextPollAt = Math.min(started + poll * pollIntervalMs, deadline);
		await sleepWithAbort(Math.max(0, nextPollAt - now), signal);
		current = await getTask(ctx, current.task_id, requestOptions);
	}
}

function taskFailedError(ctx: IExecuteSingleFunctions, task: KlingTask) {
	const reason = task.task_status_msg?.trim() || 'Kling gave no reason';
	const error = new KlingTaskFailedError(ctx.getNode(), { task_id: task.task_id, task_status: 'failed' } as JsonObject, {
		message: `Kling task ${task.task_id} failed: ${reason}`,
		description:
			'The task ended as failed at Kling, so there is no video. Change the prompt or settings (the reason above says what to change) and create a new task.',
		itemIndex: ctx.getItemIndex(),
	});
	error.task = task;
	return error;
}

function waitTimeoutError(ctx: IExecuteSingleFunctions, task: KlingTask, maxWaitMs: number) {
	const error = new KlingWaitTimeoutError(
		ctx.getNode(),
		`Kling task ${task.task_id} is still ${task.task_status} after ${Math.round(maxWaitMs / 1000)} s of waiting`,
		{
			description: `The task keeps running at Kling and is not lost. Raise Max Wait (up to ${MAX_WAIT_LIMIT_S} s), or turn Wait for Completion off and fetch the video later with the Get operation and task ID ${task.task_id}.`,
			itemIndex: ctx.getItemIndex(),
		},
	);
	error.task = task;
	return error;
}
