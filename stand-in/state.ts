/**
 * Everything the stand-in knows, in one object passed explicitly to each module: the resolved options
 * (`config`, fixed at start) and the mutable state (recordings, tasks, faults, counters, pending timers).
 */
import type * as http from 'node:http';
import type { Socket } from 'node:net';

import type { Task } from './tasks';
import type { Fault, RecordedRequest, SentCallback, StandInOptions, TaskPlan } from './types';

export interface StandInConfig {
	accessKey: string;
	secretKey: string;
	apiKeys: ReadonlySet<string>;
	/** '' or '/kling' (leading slash, no trailing slash). */
	prefix: string;
	modelField: 'model_name' | 'model' | 'either';
	/** Models accepted by a resource that does not name its own defaults (text2video's). */
	knownModels: ReadonlySet<string>;
	retiredModels: ReadonlySet<string>;
	dialect: 'official' | 'proxy';
	/** The `knownModels` option as given (it then applies to every resource), or undefined. */
	knownModelsOption?: ReadonlySet<string>;
	clockOffsetMs: number;
	defaultDurationMs: number;
	defaultVideoBytes: number;
	callbacksEnabled: boolean;
	/** Secrets callbacks are signed with (empty: unsigned). */
	webhookSecrets: readonly string[];
	callbackStyle: 'legacy' | 'new';
	plan?: (body: Record<string, unknown>, index: number) => Partial<TaskPlan>;
}

export interface QueuedFault {
	fault: Fault;
	remaining: number;
}

export interface StandInState {
	readonly config: StandInConfig;
	/** Set once the server listens. */
	baseUrl: string;
	/** Runtime setting (start option, then setMaxConcurrentTasks). */
	maxConcurrentTasks: number;

	readonly requests: RecordedRequest[];
	/** Every task of every resource, by task_id, in creation order. */
	readonly tasks: Map<string, Task>;
	readonly tasksByExternalId: Map<string, Task>;
	readonly callbacksSent: SentCallback[];
	faults: QueuedFault[];

	seq: number;
	/** Never reset: task ids stay unique across resets. */
	taskCounter: number;
	/** Never reset: webhook-ids stay unique across resets. */
	webhookCounter: number;
	createdSinceReset: number;
	createsAccepted: number;
	createsRefused1303: number;
	/** Bumped by reset() and close(): late callback results of an earlier generation are dropped. */
	generation: number;
	closed: boolean;

	readonly sockets: Set<Socket>;
	readonly callbackTimers: Set<NodeJS.Timeout>;
	readonly callbackRequests: Set<http.ClientRequest>;
	/** 'slow' fault timers with the function that cancels the waiting request. */
	readonly slowTimers: Map<NodeJS.Timeout, () => void>;
}

function normalizePrefix(prefix: string | undefined): string {
	if (!prefix) return '';
	let normalized = prefix.startsWith('/') ? prefix : `/${prefix}`;
	while (normalized.endsWith('/')) normalized = normalized.slice(0, -1);
	return normalized;
}

/** `defaultModels`: the accepted models when `knownModels` is not given. */
export function resolveConfig(options: StandInOptions, defaultModels: readonly string[]): StandInConfig {
	return {
		accessKey: options.accessKey ?? 'test-access-key',
		secretKey: options.secretKey ?? 'test-secret-key',
		apiKeys: new Set(options.apiKeys ?? []),
		prefix: normalizePrefix(options.prefix),
		modelField: options.modelField ?? 'model_name',
		knownModels: new Set(options.knownModels ?? defaultModels),
		retiredModels: new Set(options.retiredModels ?? []),
		dialect: options.dialect ?? 'official',
		knownModelsOption: options.knownModels ? new Set(options.knownModels) : undefined,
		clockOffsetMs: (options.clockOffsetSec ?? 0) * 1000,
		defaultDurationMs: options.taskDurationMs ?? 0,
		defaultVideoBytes: options.videoBytes ?? 64 * 1024,
		callbacksEnabled: options.callbacks ?? true,
		webhookSecrets: options.webhookSecret === undefined ? [] : ([] as string[]).concat(options.webhookSecret),
		callbackStyle: options.callbackStyle ?? 'legacy',
		plan: options.plan,
	};
}

export function createState(options: StandInOptions, defaultModels: readonly string[]): StandInState {
	return {
		config: resolveConfig(options, defaultModels),
		baseUrl: '',
		maxConcurrentTasks: checkLimit(options.maxConcurrentTasks ?? Infinity),
		requests: [],
		tasks: new Map(),
		tasksByExternalId: new Map(),
		callbacksSent: [],
		faults: [],
		seq: 0,
		taskCounter: 0,
		webhookCounter: 0,
		createdSinceReset: 0,
		createsAccepted: 0,
		createsRefused1303: 0,
		generation: 0,
		closed: false,
		sockets: new Set(),
		callbackTimers: new Set(),
		callbackRequests: new Set(),
		slowTimers: new Map(),
	};
}

/** A concurrency limit must be a number >= 0 (Infinity = no limit). */
export function checkLimit(n: number): number {
	if (typeof n !== 'number' || !(n >= 0)) {
		throw new TypeError(`maxConcurrentTasks must be a number >= 0 or Infinity (got ${String(n)})`);
	}
	return n;
}

/** The stand-in's clock (real clock + the configured skew), ms. */
export function standInNowMs(state: StandInState): number {
	return Date.now() + state.config.clockOffsetMs;
}

/** A real-clock time as the stand-in reports it (created_at, updated_at). */
export function toStandInClock(state: StandInState, realMs: number): number {
	return Math.round(realMs + state.config.clockOffsetMs);
}
