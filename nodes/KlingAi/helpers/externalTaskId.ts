import { createHash } from 'crypto';
import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';
import { randomString } from 'n8n-workflow';

/**
 * Every Create carries an external task ID, so that after an ambiguous failure the node can look
 * the task up instead of paying for it twice. The ID the node makes is stable for the same item of
 * the same node in the same execution and run: when n8n runs the node again (Retry On Fail, a
 * re-run of the same execution, or n8n's Retry of a failed execution: see originExecution), the
 * Create finds the task that exists and carries on with it. It is unique
 * across n8n instances sharing a Kling account (it holds a hash of the instance ID, as execution IDs
 * are small integers per instance), across loops (the run index) and across different requests
 * from the same place (a hash of the body, e.g. an AI agent calling the node twice).
 */

const short = (text: string, length = 8) => createHash('sha256').update(text).digest('hex').slice(0, length);
/** JSON with the keys of every object sorted, so that equal bodies give equal text. */
const canonicalJson = (value: unknown) =>
	JSON.stringify(value, (_key, entry: unknown) =>
		entry && typeof entry === 'object' && !Array.isArray(entry)
			? Object.fromEntries(Object.entries(entry as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
			: entry,
	);
const clean = (text: string) => text.replace(/[^A-Za-z0-9]/g, '');

export interface ItemPlace {
	instance: string;
	execution: string;
	node: string;
	run: number;
	item: number;
}

/** Where the node keeps, in its execution context, the execution its external task IDs are named after. */
const ORIGIN_KEY = 'klingExternalIdExecution';

/**
 * The execution the item's external task ID names: this one, or the one it retries. The node writes
 * its execution ID into its node context (n8n's `contextData`, saved with the execution's data) the
 * first time it runs. n8n's Retry of a failed execution (the button, or POST /executions/:id/retry)
 * runs a new execution on the saved data, context included: the node then finds the first execution's
 * ID there, names its items as that one did, and finds the tasks it created instead of paying again.
 * A new run of the workflow (a trigger, a manual or partial run) starts with an empty context.
 */
function originExecution(ctx: IExecuteFunctions): string {
	const current = clean(String(ctx.getExecutionId?.() ?? ''));
	let context: IDataObject | undefined;
	try {
		context = ctx.getContext('node') as IDataObject;
	} catch {
		// no execution context (not seen in n8n): the ID names this execution
	}
	const stored = context?.[ORIGIN_KEY];
	if (typeof stored === 'string' && /^[A-Za-z0-9]{1,64}$/.test(stored)) return stored;
	if (context && current) context[ORIGIN_KEY] = current;
	return current;
}

export function itemPlace(ctx: IExecuteFunctions, itemIndex: number): ItemPlace {
	let run = 0;
	try {
		const value = ctx.getWorkflowDataProxy(itemIndex).$runIndex;
		if (typeof value === 'number' && Number.isInteger(value)) run = value;
	} catch {
		// run 0: the data proxy is always there in n8n; this only guards odd hosts
	}
	return {
		instance: short(String(ctx.getInstanceId?.() ?? '')),
		// Without an execution ID (not seen in n8n) the ID cannot be stable: it is then unique per run.
		execution: originExecution(ctx) || `x${randomString(10)}`,
		node: clean(ctx.getNode().id).slice(0, 8),
		run,
		item: itemIndex,
	};
}

/** The external task ID the node makes for an item: `n8n-<instance>-<execution>-<node>-<run>-<item>-<body>`. */
export function generatedExternalTaskId(place: ItemPlace, body: IDataObject): string {
	const content = short(canonicalJson(body));
	return `n8n-${place.instance}-${place.execution}-${place.node}-${place.run}-${place.item}-${content}`;
}

/**
 * When this item first sent its Create, remembered across n8n's Retry On Fail (which runs the node
 * again in the same process). A task found under a user's own external task ID is this item's only
 * if it was created after that; otherwise the ID was used before, by another task.
 */
const firstSent = new Map<string, number>();
const MEMORY_LIMIT = 10_000;
const MEMORY_MS = 24 * 3600_000;

const memoryKey = (place: ItemPlace, externalTaskId: string) =>
	`${place.instance}|${place.execution}|${place.node}|${place.run}|${place.item}|${externalTaskId}`;

/** When this item sent its first Create in this process (an earlier try of Retry On Fail), if it did. */
export function earlierCreate(place: ItemPlace, externalTaskId: string, now = Date.now()): number | undefined {
	const at = firstSent.get(memoryKey(place, externalTaskId));
	return at !== undefined && now - at < MEMORY_MS ? at : undefined;
}

export function rememberFirstCreate(place: ItemPlace, externalTaskId: string, now = Date.now()): number {
	const key = memoryKey(place, externalTaskId);
	const known = firstSent.get(key);
	if (known !== undefined && now - known < MEMORY_MS) return known;
	if (firstSent.size >= MEMORY_LIMIT) {
		for (const [oldKey, at] of firstSent) if (now - at >= MEMORY_MS || firstSent.size >= MEMORY_LIMIT) firstSent.delete(oldKey);
	}
	firstSent.set(key, now);
	return now;
}
