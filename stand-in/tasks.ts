/**
 * Task lifecycle: plans (how long a task takes, how it ends, what it serves), statuses moving by time or by
 * polls, the account's concurrency slots (a task holds one from creation until it reaches succeed or failed),
 * the exact peak of unfinished tasks, and the task's shape as Get, List and callbacks report it.
 */
import { randomBytes } from 'node:crypto';

import { videoUrl } from './media';
import { ApiError } from './respond';
import { type StandInState, toStandInClock } from './state';
import type { StandInStats, StandInTask, TaskPlan, TaskStatus } from './types';

export class Task implements StandInTask {
	polls = 0;
	finishedAt: number;
	/** Real clock ms when it enters 'processing' (Infinity until known for poll-driven tasks). */
	processingAt: number;

	constructor(
		/** The resource module that created it (e.g. 'text2video'); Get and List see only their own tasks. */
		readonly resource: string,
		readonly task_id: string,
		readonly external_task_id: string | undefined,
		readonly model: string,
		readonly body: Record<string, unknown>,
		readonly plan: TaskPlan,
		readonly createdAt: number,
	) {
		if (plan.completeAfterPolls === undefined) {
			this.finishedAt = createdAt + plan.durationMs;
			this.processingAt = createdAt + Math.min(plan.processingAfterMs, plan.durationMs);
		} else if (plan.completeAfterPolls <= 0) {
			this.finishedAt = createdAt;
			this.processingAt = createdAt;
		} else {
			this.finishedAt = Infinity;
			this.processingAt = Infinity;
		}
	}

	get finalStatus(): 'succeed' | 'failed' {
		return this.plan.fail === undefined ? 'succeed' : 'failed';
	}

	status(): TaskStatus {
		const now = Date.now();
		if (now >= this.finishedAt) return this.finalStatus;
		if (now >= this.processingAt) return 'processing';
		return 'submitted';
	}

	/** Holds a concurrency slot at real time `atMs`: created, not yet finished. */
	unfinishedAt(atMs: number): boolean {
		return this.createdAt <= atMs && atMs < this.finishedAt;
	}

	/** Counts a GET; moves poll-driven tasks along. */
	registerPoll(): void {
		this.polls++;
		const target = this.plan.completeAfterPolls;
		if (target === undefined) return;
		const now = Date.now();
		if (this.polls >= target && this.finishedAt === Infinity) {
			this.finishedAt = now;
			if (this.processingAt === Infinity) this.processingAt = now;
		} else if (this.polls >= 2 && this.processingAt === Infinity) {
			this.processingAt = now;
		}
	}

	/** Real clock ms of the last status change for a given status. */
	changedAt(status: TaskStatus): number {
		if (status === 'submitted') return this.createdAt;
		if (status === 'processing') return this.processingAt === Infinity ? this.createdAt : this.processingAt;
		return this.finishedAt === Infinity ? this.createdAt : this.finishedAt;
	}
}

/** The plan of the next task: the `plan` option's answer over the defaults. */
export function resolvePlan(state: StandInState, body: Record<string, unknown>): TaskPlan {
	const { config } = state;
	const planned = config.plan?.(body, state.createdSinceReset) ?? {};
	const durationMs = planned.durationMs ?? config.defaultDurationMs;
	const plan: TaskPlan = {
		durationMs,
		processingAfterMs: planned.processingAfterMs ?? Math.min(durationMs / 4, 1000),
		videoCount: planned.videoCount ?? 1,
		videoBytes: planned.videoBytes ?? config.defaultVideoBytes,
	};
	if (planned.completeAfterPolls !== undefined) plan.completeAfterPolls = planned.completeAfterPolls;
	if (planned.fail !== undefined) plan.fail = planned.fail;
	if (planned.videoContentType !== undefined) plan.videoContentType = planned.videoContentType;
	if (planned.videoChunked !== undefined) plan.videoChunked = planned.videoChunked;
	return plan;
}

/** Tasks holding a slot right now. */
export function unfinishedCount(state: StandInState, atMs = Date.now()): number {
	let count = 0;
	for (const task of state.tasks.values()) if (task.unfinishedAt(atMs)) count++;
	return count;
}

/**
 * The highest number of tasks that held a slot at the same moment, up to now, from the tasks' creation and
 * finish times (a sweep over the intervals [createdAt, finishedAt); a finish at t frees the slot at t, so a
 * task that finishes when another is created never counts together with it). The count only rises at a
 * creation, so the maximum over the creation instants is exact.
 */
export function peakUnfinished(state: StandInState): number {
	const events: Array<[number, 1 | -1]> = [];
	const now = Date.now();
	for (const task of state.tasks.values()) {
		if (task.finishedAt <= task.createdAt) continue; // never held a slot
		events.push([task.createdAt, 1]);
		if (task.finishedAt <= now) events.push([task.finishedAt, -1]);
	}
	events.sort((a, b) => a[0] - b[0] || a[1] - b[1]); // finishes before creations at the same ms
	let current = 0;
	let peak = 0;
	for (const [, delta] of events) {
		current += delta;
		if (current > peak) peak = current;
	}
	return peak;
}

export function stats(state: StandInState): StandInStats {
	return {
		createsAccepted: state.createsAccepted,
		createsRefused1303: state.createsRefused1303,
		peakUnfinished: peakUnfinished(state),
		unfinished: unfinishedCount(state),
		maxConcurrentTasks: state.maxConcurrentTasks,
	};
}

/** Refuses a create with 429/1303 when every slot is taken (counted in stats). */
export function claimSlot(state: StandInState): void {
	const limit = state.maxConcurrentTasks;
	if (limit !== Infinity && unfinishedCount(state) >= limit) {
		state.createsRefused1303++;
		throw new ApiError(429, 1303, `Concurrent tasks over the resource pack's limit (${limit}); retry after a running task finishes`);
	}
}

/** Makes and registers a task for an accepted create. */
export function createTask(
	state: StandInState,
	resource: string,
	model: string,
	body: Record<string, unknown>,
): Task {
	const externalTaskId = body.external_task_id as string | undefined;
	const plan = resolvePlan(state, body);
	state.createdSinceReset++;
	const taskId = `tk_${++state.taskCounter}_${randomBytes(6).toString('hex')}`;
	const task = new Task(resource, taskId, externalTaskId, model, body, plan, Date.now());
	state.tasks.set(taskId, task);
	if (externalTaskId !== undefined) state.tasksByExternalId.set(externalTaskId, task);
	state.createsAccepted++;
	return task;
}

/** A task of a resource by task_id or external_task_id. */
export function findTask(state: StandInState, resource: string, id: string): Task | undefined {
	const task = state.tasks.get(id) ?? state.tasksByExternalId.get(id);
	return task?.resource === resource ? task : undefined;
}

export function taskInfo(task: Task): { external_task_id?: string } {
	return task.external_task_id === undefined ? {} : { external_task_id: task.external_task_id };
}

/** The task in the shape of the query's `data` (also used for list items and callbacks). */
export function taskShape(state: StandInState, task: Task, status: TaskStatus = task.status()): Record<string, unknown> {
	const shape: Record<string, unknown> = {
		task_id: task.task_id,
		task_status: status,
		task_status_msg: status === 'failed' ? (task.plan.fail ?? '') : '',
		task_info: taskInfo(task),
		created_at: toStandInClock(state, task.createdAt),
		updated_at: toStandInClock(state, task.changedAt(status)),
	};
	if (status === 'succeed') {
		const duration = typeof task.body.duration === 'string' ? task.body.duration : '5';
		shape.final_unit_deduction = duration === '10' ? '2' : '1';
		const videos = [];
		for (let n = 1; n <= task.plan.videoCount; n++) {
			videos.push({ id: `${task.task_id}_v${n}`, url: videoUrl(state, task.task_id, n), duration });
		}
		shape.task_result = { videos };
	}
	return shape;
}

/** The answer to a create: the new task as submitted. */
export function createdShape(state: StandInState, task: Task): Record<string, unknown> {
	return {
		task_id: task.task_id,
		task_status: 'submitted',
		task_info: taskInfo(task),
		created_at: toStandInClock(state, task.createdAt),
		updated_at: toStandInClock(state, task.createdAt),
	};
}
