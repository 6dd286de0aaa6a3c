import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	NodeApiError,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { customUrlProblem } from '../../../../credentials/common/kling';
import { downloadVideos, type DownloadSettings, readDownloadSettings } from '../../helpers/download';
import { earlierCreate, generatedExternalTaskId, itemPlace, type ItemPlace, rememberFirstCreate } from '../../helpers/externalTaskId';
import { asNodeError, KlingInputError, numberParameter, optionNumber } from '../../helpers/parameters';
import {
	MAX_WAIT_DEFAULT_S,
	MAX_WAIT_LIMIT_S,
	POLL_INTERVAL_DEFAULT_S,
	POLL_INTERVAL_MAX_S,
	POLL_INTERVAL_MIN_S,
	isFinal,
	waitForTask,
} from '../../helpers/polling';
import { simplifyTask } from '../../helpers/simplify';
import { abortableSleep, ExecutionCancelledError } from '../../helpers/sleep';
import { SlotWaitTimeoutError, TaskSlots } from '../../helpers/slots';
import {
	type Attempt,
	backoff,
	cancelSignal,
	DEFAULT_MAX_TRIES,
	DEFAULT_RETRY,
	gaveUp,
	klingCredentials,
	type KlingTask,
	MAX_TRIES_LIMIT,
	sendOnce,
} from '../../transport';
import { createTaskRequest, getTaskRequest, type KlingResource } from '../../transport/tasks';
import { MAX_CONCURRENT_LIMIT, MAX_QUEUE_DEFAULT_S, MAX_QUEUE_LIMIT_S } from './fields';
import { namingItem } from './items';

/**
 * Create, for every resource: each resource gives its endpoint and how one item's fields become a
 * checked request body; everything else is here, once.
 * 1. Every item is read and checked before anything is sent. Bad input stops the run (nothing is
 *    sent, so a run that fails on input never creates a paid task), or, with Continue On Fail,
 *    becomes that item's error.
 * 2. Items are created side by side, each at most once (see createIdempotently), queueing for a free
 *    slot of the account when Kling's concurrency limit is reached (see helpers/slots.ts).
 * 3. With Wait for Completion, each item polls its task until it ends, then downloads the video.
 */
export interface CreateResource {
	resource: KlingResource;
	/**
	 * The request body of one item from its fields, checked against the model table. Throws (or
	 * rejects with) KlingInputError. May be async, e.g. to read the item's binary data.
	 */
	body(ctx: IExecuteFunctions, itemIndex: number, credentials: ICredentialDataDecryptedObject): IDataObject | Promise<IDataObject>;
}

/** How often the slot keeper looks at the queue (deadlines, probes, items to let through). */
const KEEPER_TICK_MS = 250;
const PROBE_MAX_MS = 60_000;

interface ItemPlan {
	itemIndex: number;
	body: IDataObject;
	externalTaskId: string;
	/** The node made the ID (stable for this item of this node, execution and run), rather than the user. */
	generatedId: boolean;
	place: ItemPlace;
	wait: boolean;
	pollIntervalMs: number;
	/** With waiting: Max Wait; without: Max Queue Time. Counted from the item's start. */
	maxTimeMs: number;
	maxTries: number;
	maxConcurrentTasks?: number;
	simplify: boolean;
	download?: DownloadSettings;
}

function readBoolean(value: unknown, label: string): boolean {
	if (value === true || value === 'true') return true;
	if (value === false || value === 'false') return false;
	throw new KlingInputError(`${label} is ${JSON.stringify(value) ?? 'empty'}; it must be true or false`, `Set ${label} on or off.`);
}

async function readPlan(ctx: IExecuteFunctions, spec: CreateResource, itemIndex: number, credentials: ICredentialDataDecryptedObject): Promise<ItemPlan> {
	const body = await spec.body(ctx, itemIndex, credentials);
	const options = (ctx.getNodeParameter('options', itemIndex, {}) ?? {}) as IDataObject;

	const callbackUrl = options.callbackUrl === undefined || options.callbackUrl === null ? '' : String(options.callbackUrl).trim();
	if (callbackUrl !== '') {
		if (!/^https?:\/\/[^\s/]+\S*$/i.test(callbackUrl)) {
			throw new KlingInputError(
				`The callback URL "${callbackUrl.slice(0, 100)}" is not an http(s) URL`,
				'Use a full URL such as https://example.com/webhook, or leave Callback URL empty.',
			);
		}
		body.callback_url = callbackUrl;
	}

	const wait = readBoolean(ctx.getNodeParameter('waitForCompletion', itemIndex, true), 'Wait for Completion');
	const pollInterval = numberParameter(ctx, 'pollInterval', itemIndex, 'Poll Interval', { min: POLL_INTERVAL_MIN_S, max: POLL_INTERVAL_MAX_S, unit: 'seconds' }, POLL_INTERVAL_DEFAULT_S);
	const maxTime = wait
		? numberParameter(ctx, 'maxWait', itemIndex, 'Max Wait', { min: 1, max: MAX_WAIT_LIMIT_S, unit: 'seconds' }, MAX_WAIT_DEFAULT_S)
		: optionNumber(options, 'maxQueueTime', 'Max Queue Time', { min: 1, max: MAX_QUEUE_LIMIT_S, unit: 'seconds' }, MAX_QUEUE_DEFAULT_S);
	// Options added but given nothing by an expression are errors, not their defaults.
	const maxTries = optionNumber(options, 'maxTries', 'Max Tries', { min: 1, max: MAX_TRIES_LIMIT, integer: true }, DEFAULT_MAX_TRIES);
	const maxConcurrentTasks = optionNumber(options, 'maxConcurrentTasks', 'Max Concurrent Tasks', { min: 0, max: MAX_CONCURRENT_LIMIT, integer: true }, 0);
	const simplify = readBoolean(ctx.getNodeParameter('simplify', itemIndex, true), 'Simplify');

	let download: DownloadSettings | undefined;
	if (wait && readBoolean(ctx.getNodeParameter('downloadVideo', itemIndex, false), 'Download Video')) {
		download = readDownloadSettings((name, fallback) => ctx.getNodeParameter(name, itemIndex, fallback));
	}

	const place = itemPlace(ctx, itemIndex);
	const given = options.externalTaskId === undefined || options.externalTaskId === null ? '' : String(options.externalTaskId).trim();
	const externalTaskId = given || generatedExternalTaskId(place, body);
	body.external_task_id = externalTaskId;
	return {
		itemIndex,
		body,
		externalTaskId,
		generatedId: given === '',
		place,
		wait,
		pollIntervalMs: pollInterval * 1000,
		maxTimeMs: maxTime * 1000,
		maxTries,
		maxConcurrentTasks: maxConcurrentTasks > 0 ? maxConcurrentTasks : undefined,
		simplify,
		download,
	};
}

type Planned = { itemIndex: number; plan?: ItemPlan; error?: NodeOperationError };

export async function runCreate(ctx: IExecuteFunctions, spec: CreateResource): Promise<INodeExecutionData[][]> {
	const node = ctx.getNode();
	const credentials = await klingCredentials(ctx);
	const problem = customUrlProblem(credentials);
	if (problem) throw new NodeOperationError(node, problem.message, { description: `${problem.fix} Nothing was sent to Kling.` });

	// One item after the other, so that items with binary data are read one at a time.
	const planned: Planned[] = [];
	for (const itemIndex of ctx.getInputData().keys()) {
		try {
			planned.push({ itemIndex, plan: await readPlan(ctx, spec, itemIndex, credentials) });
		} catch (error) {
			if (!(error instanceof KlingInputError)) throw asNodeError(node, error, itemIndex);
			planned.push({ itemIndex, error: asNodeError(node, error, itemIndex) as NodeOperationError });
		}
	}
	// Bad input stops the run before any item is sent, so no paid task is created by a run that fails.
	const invalid = planned.find((entry) => entry.error);
	if (invalid?.error && !ctx.continueOnFail()) throw invalid.error;

	const first = planned.find((entry) => entry.plan)?.plan;
	const slots = new TaskSlots({
		cap: first?.maxConcurrentTasks,
		probeMs: Math.max(1000, first?.pollIntervalMs ?? POLL_INTERVAL_DEFAULT_S * 1000),
		probeMaxMs: PROBE_MAX_MS,
	});
	let unsettled = planned.length;
	let allSettled: () => void = () => {};
	const done = new Promise<void>((resolve) => (allSettled = resolve));
	if (unsettled === 0) allSettled(); // no input items: nothing to keep
	const runs = planned.map(async ({ plan, error }) => {
		try {
			if (error) throw error;
			return await createOne(ctx, spec.resource, plan!, slots);
		} finally {
			if (--unsettled === 0) allSettled();
		}
	});
	const keeper = keepSlots(ctx, spec.resource, slots, first?.pollIntervalMs ?? POLL_INTERVAL_DEFAULT_S * 1000, done);
	const settled = await Promise.allSettled(runs);
	await keeper;

	const results: INodeExecutionData[] = [];
	for (const [itemIndex, outcome] of settled.entries()) {
		if (outcome.status === 'fulfilled') {
			results.push(outcome.value);
			continue;
		}
		const error = namingItem(outcome.reason as NodeApiError | NodeOperationError, itemIndex);
		if (!ctx.continueOnFail()) throw withCreatedTasks(error, settled);
		// n8n shows item.error (message and description) and sets the json to { error: message }.
		results.push({ json: { error: error.message }, error, pairedItem: { item: itemIndex } });
	}
	return [results];
}

/**
 * Lets queued items through (see TaskSlots) while the run lasts: ends queue times at their deadline,
 * sends probes when due, and, while items wait for a slot, polls the tasks of items that did not
 * wait for completion, to see when their slots free up. Cancelling the execution empties the queue.
 */
async function keepSlots(ctx: IExecuteFunctions, resource: KlingResource, slots: TaskSlots, pollIntervalMs: number, done: Promise<void>) {
	const signal = cancelSignal(ctx);
	let finished = false;
	void done.then(() => (finished = true));
	let nextWatch = Date.now() + pollIntervalMs;
	while (!finished) {
		try {
			await Promise.race([abortableSleep(KEEPER_TICK_MS, signal), done]);
		} catch (error) {
			slots.cancelAll(error instanceof Error ? error : new ExecutionCancelledError());
			return;
		}
		if (finished) return;
		slots.tick();
		if (slots.waiting === 0 || Date.now() < nextWatch) continue;
		nextWatch = Date.now() + pollIntervalMs;
		for (const taskId of slots.unattended()) {
			const attempt = await sendOnce<KlingTask>(ctx, getTaskRequest(resource, taskId), 0);
			if (attempt.ok && isFinal(attempt.data)) slots.ended(taskId);
		}
	}
}

async function createOne(ctx: IExecuteFunctions, resource: KlingResource, plan: ItemPlan, slots: TaskSlots): Promise<INodeExecutionData> {
	const { itemIndex } = plan;
	const output = (task: KlingTask): INodeExecutionData => ({
		json: plan.simplify ? simplifyTask(task) : task,
		pairedItem: { item: itemIndex },
	});
	const deadline = Date.now() + plan.maxTimeMs;
	const created = await createIdempotently(ctx, resource, plan, slots, deadline);
	if (!plan.wait) return output(created);

	let outcome;
	try {
		outcome = await waitForTask(ctx, resource, created, itemIndex, { pollIntervalMs: plan.pollIntervalMs, deadline, maxWaitMs: plan.maxTimeMs });
	} catch (error) {
		slots.unattend(created.task_id);
		throw asNodeError(ctx.getNode(), error, itemIndex);
	}
	if (outcome.ended) slots.ended(created.task_id);
	else slots.unattend(created.task_id);
	const { task, error } = outcome;
	if (error) {
		// The task exists (and is paid for): with Continue On Fail its ID and last state stay in the item.
		namingItem(error, itemIndex);
		if (ctx.continueOnFail()) {
			const item = output(task);
			item.json.error = error.message;
			// No item.error here: n8n would replace the json (the task) with the message alone.
			item.json.error_description = error.description ?? null;
			return item;
		}
		throw error;
	}
	const item = output(task);
	if (plan.download) item.binary = await downloadVideos(ctx, task, plan.download, itemIndex);
	return item;
}

/** Kling's answer to a Create whose external task ID is taken. */
const isDuplicateId = (attempt: Attempt<unknown>) =>
	!attempt.ok && attempt.code === 1201 && /external[_ ]?task[_ ]?id|duplicate/i.test(attempt.klingMessage ?? '');

/**
 * Creates the item's task at most once.
 * - A refusal for concurrency (1303) means "no slot yet": the item waits for one (TaskSlots), for as
 *   long as Max Wait or Max Queue Time allows, and this does not count as a try.
 * - The rate limit (1302), server errors, dropped connections and garbled answers are tried again
 *   after a backoff, up to Max Tries.
 * - After an ambiguous failure (the request may have been carried out: a dropped connection, a time-out,
 *   a 5xxx) the task is looked up by its external task ID before anything is sent again, and carried
 *   on with if it is there. A task found under a user's own ID must be one this item created.
 */
async function createIdempotently(
	ctx: IExecuteFunctions,
	resource: KlingResource,
	plan: ItemPlan,
	slots: TaskSlots,
	deadline: number,
): Promise<KlingTask> {
	const { itemIndex, externalTaskId } = plan;
	const create = createTaskRequest(resource, plan.body);
	const lookup = getTaskRequest(resource, externalTaskId);
	const policy = { ...DEFAULT_RETRY, maxTries: plan.maxTries };
	let failures = 0;
	let mayExist = false;
	let sends = 0;
	let firstSentAt: number | undefined;
	// A user's own ID that this item has not sent before: a task already under it is someone else's,
	// found now rather than taken for this item's after an ambiguous failure (queries cost nothing).
	if (!plan.generatedId && earlierCreate(plan.place, externalTaskId) === undefined) {
		for (;;) {
			const found = await sendOnce<KlingTask>(ctx, lookup, itemIndex);
			if (found.ok) throw duplicateIdError(ctx, plan);
			if (found.code === 1203) break;
			failures++;
			if (!found.retryable || failures >= policy.maxTries) throw gaveUp(found.error, failures);
			await backoff(ctx, policy, failures, found.retryAfterMs);
		}
	}
	for (;;) {
		if (mayExist) {
			const found = await sendOnce<KlingTask>(ctx, lookup, itemIndex);
			if (found.ok) {
				if (!createdByThisItem(plan, found, firstSentAt)) throw duplicateIdError(ctx, plan);
				slots.adopted(found.data.task_id, plan.wait);
				return found.data;
			}
			if (found.code === 1203) {
				mayExist = false; // Not there: the earlier Create did not land, send it again.
			} else {
				failures++;
				if (!found.retryable || failures >= policy.maxTries) throw unconfirmed(ctx, plan, found.error, failures);
				await backoff(ctx, policy, failures, found.retryAfterMs);
				continue;
			}
		}

		try {
			await slots.acquire(itemIndex, deadline);
		} catch (error) {
			throw error instanceof SlotWaitTimeoutError ? noSlotError(ctx, plan) : asNodeError(ctx.getNode(), error, itemIndex);
		}
		const sentAt = Date.now();
		firstSentAt ??= plan.generatedId ? sentAt : rememberFirstCreate(plan.place, externalTaskId, sentAt);
		sends++;
		const sent = await sendOnce<KlingTask>(ctx, create, itemIndex);
		if (sent.ok) {
			slots.started(sent.data.task_id, plan.wait);
			return sent.data;
		}
		if (sent.code === 1303) {
			slots.refused();
			continue;
		}
		slots.released();
		if (isDuplicateId(sent)) {
			// The ID is taken. Under the node's own ID, or when this item sent its Create before (an
			// earlier send, or an earlier try of n8n's Retry On Fail), the task may be this item's: look.
			if (plan.generatedId || sends > 1 || firstSentAt < sentAt) {
				mayExist = true;
				continue;
			}
			throw duplicateIdError(ctx, plan);
		}
		if (!sent.retryable) throw sent.error;
		failures++;
		if (failures >= policy.maxTries) throw sent.ambiguous ? unconfirmed(ctx, plan, sent.error, failures) : gaveUp(sent.error, failures);
		mayExist = sent.ambiguous;
		await backoff(ctx, policy, failures, sent.retryAfterMs);
	}
}

/**
 * A task found under the item's external task ID is this item's when the node made the ID (it is
 * unique to this item), or when Kling created it after this item first sent its Create. Kling's
 * clock is read from the answer's Date header; without one, a minute of difference is allowed.
 */
function createdByThisItem(plan: ItemPlan, found: Attempt<KlingTask> & { ok: true }, firstSentAt: number | undefined): boolean {
	if (plan.generatedId) return true;
	const createdAt = found.data.created_at;
	if (firstSentAt === undefined || typeof createdAt !== 'number' || !Number.isFinite(createdAt)) return false;
	const skew = found.serverDate !== undefined ? found.serverDate - Date.now() : 0;
	const margin = found.serverDate !== undefined ? 2000 : 60_000;
	return createdAt - skew >= firstSentAt - margin;
}

function duplicateIdError(ctx: IExecuteFunctions, plan: ItemPlan) {
	return new NodeOperationError(ctx.getNode(), `Kling already has a task with the external task ID "${plan.externalTaskId}", made before this item`, {
		description: `External task IDs must be unique per account, and this one was used by an earlier task (which may have another prompt). Use Get with External Task ID "${plan.externalTaskId}" to see that task. To create a new one, give this item another ID (e.g. add the item index or a date) or leave External Task ID empty.`,
		itemIndex: plan.itemIndex,
	});
}

/** The Create may have reached Kling, and the look-up could not tell: the error says how to check before paying again. */
function unconfirmed(ctx: IExecuteFunctions, plan: ItemPlan, error: NodeApiError, tries: number): NodeApiError {
	gaveUp(error, tries);
	error.description = `${error.description ?? ''} The Create may have reached Kling: before running this item again, check with Get (Get By: External Task ID, "${plan.externalTaskId}") whether the task exists, so that it is not paid for twice.`.trim();
	return error;
}

function noSlotError(ctx: IExecuteFunctions, plan: ItemPlan) {
	const limit = plan.wait ? 'Max Wait' : 'Max Queue Time';
	return new NodeOperationError(
		ctx.getNode(),
		`The item never got a free Kling slot within ${Math.round(plan.maxTimeMs / 1000)} s: the account kept running as many tasks as it allows (code 1303)`,
		{
			description: `Nothing was created or paid for. Raise the account's concurrency (its resource pack), raise ${limit}, set Options → Max Concurrent Tasks to the account's limit so the items take turns, or split the batch.`,
			itemIndex: plan.itemIndex,
		},
	);
}

/** A failing run still tells where the tasks it created (and paid for) are. */
function withCreatedTasks<E extends NodeApiError | NodeOperationError>(error: E, settled: Array<PromiseSettledResult<INodeExecutionData>>) {
	const created = settled
		.map((outcome) => (outcome.status === 'fulfilled' ? (outcome.value.json.task_id as string | undefined) : undefined))
		.filter((id): id is string => typeof id === 'string');
	if (created.length > 0) {
		error.description = `${error.description ?? ''} The other items of this run created these tasks, which are not lost: ${created.join(', ')} (use Get with each ID).`.trim();
	}
	return error;
}
