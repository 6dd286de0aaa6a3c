import { sleep } from 'n8n-workflow';

/** n8n-workflow's `sleep` took no signal before 2.34 and takes one since; both accept this call. */
const sleepFor = sleep as (ms: number, signal?: AbortSignal) => Promise<void>;

/** Thrown by abortableSleep when the execution is cancelled. */
export class ExecutionCancelledError extends Error {
	constructor() {
		super('The execution was cancelled');
		this.name = 'ExecutionCancelledError';
	}
}

/**
 * Waits `ms` milliseconds, or rejects at once when `signal` aborts. Written here because n8n-workflow
 * changed its abortable sleep between versions (a separate export up to 2.33, removed in 2.34, where
 * `sleep(ms, signal)` took over), and the node runs on whichever n8n-workflow the user's n8n has. The timer is n8n-workflow's
 * `sleep` (the community lint forbids timers of our own); on 2.34+ it is also cleared on abort.
 */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
	if (signal?.aborted) throw new ExecutionCancelledError();
	if (!signal) return await sleepFor(ms);
	let onAbort: (() => void) | undefined;
	const aborted = new Promise<never>((_, reject) => {
		onAbort = () => reject(new ExecutionCancelledError());
		signal.addEventListener('abort', onAbort, { once: true });
	});
	// On 2.34+ the timer itself rejects on abort: that rejection is expected, and superseded by ours.
	const timer = sleepFor(ms, signal).catch(() => undefined);
	try {
		await Promise.race([timer, aborted]);
	} finally {
		signal.removeEventListener('abort', onAbort!);
	}
	if (signal.aborted) throw new ExecutionCancelledError();
}
