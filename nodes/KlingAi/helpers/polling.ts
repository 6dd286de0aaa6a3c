import type { JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

import { cancelSignal, sendOnce, type KlingContext, type KlingTask } from '../transport';
import { getTaskRequest, type KlingResource } from '../transport/tasks';
import { abortableSleep } from './sleep';

export const POLL_INTERVAL_DEFAULT_S = 10;
export const POLL_INTERVAL_MIN_S = 1;
export const POLL_INTERVAL_MAX_S = 3600;
export const MAX_WAIT_DEFAULT_S = 7200;
export const MAX_WAIT_LIMIT_S = 86_400;

export interface WaitSettings {
	pollIntervalMs: number;
	/** When waiting ends (epoch ms): Max Wait counted from the item's start, queueing included. */
	deadline: number;
	/** What Max Wait was, for the message when it passes. */
	maxWaitMs: number;
}

/** How a wait ended: the task's last state, and an error when it failed or Max Wait ran out. */
export interface WaitOutcome {
	task: KlingTask;
	error?: NodeApiError | NodeOperationError;
	/** The task reached succeed or failed (its slot at Kling is free). */
	ended: boolean;
}

export const isFinal = (task: KlingTask) => task.task_status === 'succeed' || task.task_status === 'failed';

/**
 * Polls the task until it succeeds or fails. Polls keep a fixed cadence from the start (the time a
 * request takes is not added to the interval), so the result is seen at most one interval after
 * Kling has it. A poll that fails in a way that can pass (rate limit, server error, dropped
 * connection) is shrugged off: the next poll comes on the cadence, and a task that finished while
 * the network was flaky is still delivered. Each item waits in its own promise, side by side with
 * the others. A cancelled execution stops the wait at once.
 */
export async function waitForTask(
	ctx: KlingContext,
	resource: KlingResource,
	task: KlingTask,
	itemIndex: number,
	{ pollIntervalMs, deadline, maxWaitMs }: WaitSettings,
): Promise<WaitOutcome> {
	const signal = cancelSignal(ctx);
	const started = Date.now();
	let current = task;
	let lastProblem: string | undefined;
	let notBefore = 0;
	for (let poll = 1; ; poll++) {
		if (current.task_status === 'succeed') return { task: current, ended: true };
		if (current.task_status === 'failed') return { task: current, ended: true, error: taskFailedError(ctx, current, itemIndex) };
		const now = Date.now();
		if (now >= deadline) {
			return { task: current, ended: false, error: waitTimeoutError(ctx, current, maxWaitMs, itemIndex, lastProblem) };
		}
		const nextPollAt = Math.min(Math.max(started + poll * pollIntervalMs, notBefore), deadline);
		await abortableSleep(Math.max(0, nextPollAt - now), signal);
		const attempt = await sendOnce<KlingTask>(ctx, getTaskRequest(resource, current.task_id), itemIndex);
		if (attempt.ok) {
			current = attempt.data;
			lastProblem = undefined;
		} else if (attempt.retryable) {
			lastProblem = attempt.error.message;
			notBefore = Date.now() + (attempt.retryAfterMs ?? 0);
		} else {
			throw attempt.error;
		}
	}
}

function taskFailedError(ctx: KlingContext, task: KlingTask, itemIndex: number) {
	const reason = task.task_status_msg?.trim() || 'Kling gave no reason';
	return new NodeApiError(ctx.getNode(), { task_id: task.task_id, task_status: 'failed' } as JsonObject, {
		message: `Kling task ${task.task_id} failed: ${reason}`,
		description:
			'The task ended as failed at Kling, so there is no video. Change the prompt or settings (the reason above says what to change) and create a new task.',
		itemIndex,
	});
}

function waitTimeoutError(ctx: KlingContext, task: KlingTask, maxWaitMs: number, itemIndex: number, lastProblem?: string) {
	const problem = lastProblem ? ` The last poll failed: ${lastProblem}.` : '';
	return new NodeOperationError(
		ctx.getNode(),
		`Kling task ${task.task_id} is still ${task.task_status} after ${Math.round(maxWaitMs / 1000)} s of Max Wait`,
		{
			description: `The task keeps running at Kling and is not lost.${problem} Max Wait counts the time the item waited for a free slot too. Raise Max Wait (up to ${MAX_WAIT_LIMIT_S} s), or turn Wait for Completion off and fetch the video later with the Get operation and task ID ${task.task_id}.`,
			itemIndex,
		},
	);
}
