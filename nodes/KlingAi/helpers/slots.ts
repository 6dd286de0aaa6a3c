/**
 * Kling runs a limited number of tasks per account at once; a task holds its slot from `submitted`
 * until it ends, and a Create over the limit is refused with code 1303. Renders take minutes, so a
 * batch larger than the limit has to queue. TaskSlots decides when an item of this run may send its
 * Create:
 * - With Max Concurrent Tasks (`cap`), never more than that many of our tasks run at once.
 * - Otherwise every item may try at once. After a 1303 the limit is known to be reached: the run
 *   keeps at most as many tasks as it holds, and sends the next Create only when one of its own
 *   tasks ends. When it holds fewer than it once did (another client took a slot), or none at all,
 *   it probes with one Create at a modest, growing pace.
 * Items are let through in item order. TaskSlots does no I/O: the runner tells it what happened and
 * calls tick() regularly, which also ends the queue time of items past their deadline.
 */

export class SlotWaitTimeoutError extends Error {
	constructor(readonly waitedMs: number) {
		super(`no Kling slot within ${Math.round(waitedMs / 1000)} s`);
		this.name = 'SlotWaitTimeoutError';
	}
}

export interface SlotOptions {
	/** Max Concurrent Tasks: the most of our tasks running at once. Undefined: learned from 1303. */
	cap?: number;
	/** The first pause before a probe; each refused probe makes the next pause 1.5 times longer. */
	probeMs: number;
	/** The longest pause between probes. */
	probeMaxMs: number;
}

interface Waiter {
	itemIndex: number;
	since: number;
	deadline: number;
	resolve: () => void;
	reject: (error: Error) => void;
}

export class TaskSlots {
	/** Our tasks that have not ended, and whether someone polls each (a waiting item does). */
	private readonly running = new Map<string, { attended: boolean }>();
	private sending = 0;
	/** A 1303 came back: Kling's limit is reached, the run keeps to `target` tasks. */
	private limited = false;
	private target = Infinity;
	private peak = 0;
	private probeDelay: number;
	private probeAt = Infinity;
	private probing = false;
	private waiters: Waiter[] = [];
	/** Creates refused with 1303, and probes sent: for the benchmark and the tests. */
	readonly stats = { refused: 0, probes: 0, admitted: 0 };

	constructor(private readonly options: SlotOptions) {
		this.probeDelay = options.probeMs;
	}

	get waiting(): number {
		return this.waiters.length;
	}

	/** Tasks of this run that have not ended and that nobody polls (their items did not wait). */
	unattended(): string[] {
		return [...this.running.entries()].filter(([, task]) => !task.attended).map(([id]) => id);
	}

	/** Resolves when the item may send its Create; rejects at its deadline (SlotWaitTimeoutError) or on cancel. */
	async acquire(itemIndex: number, deadline: number, now = Date.now()): Promise<void> {
		return await new Promise<void>((resolve, reject) => {
			const waiter: Waiter = { itemIndex, since: now, deadline, resolve, reject };
			const at = this.waiters.findIndex((other) => other.itemIndex > itemIndex);
			if (at < 0) this.waiters.push(waiter);
			else this.waiters.splice(at, 0, waiter);
			this.admit(now);
		});
	}

	/** The Create was accepted: the task holds a slot until ended() is called for it. */
	started(taskId: string, attended: boolean, now = Date.now()): void {
		this.sending = Math.max(0, this.sending - 1);
		this.running.set(taskId, { attended });
		this.peak = Math.max(this.peak, this.running.size);
		if (this.limited) this.target = Math.max(this.target, this.running.size);
		if (this.probing) {
			this.probing = false;
			this.probeDelay = this.options.probeMs;
		}
		this.admit(now);
	}

	/** A task found by look-up after an ambiguous failure holds a slot like a created one. */
	adopted(taskId: string, attended: boolean, now = Date.now()): void {
		this.sending += 1;
		this.started(taskId, attended, now);
	}

	/** One of our tasks ended (succeeded or failed): its slot is free. */
	ended(taskId: string, now = Date.now()): void {
		if (!this.running.delete(taskId)) return;
		this.admit(now);
	}

	/** The poller of a task gave up watching it (e.g. Max Wait passed): it still runs, unattended. */
	unattend(taskId: string): void {
		const task = this.running.get(taskId);
		if (task) task.attended = false;
	}

	/** The Create was refused with 1303: the account's limit is reached. */
	refused(now = Date.now()): void {
		this.sending = Math.max(0, this.sending - 1);
		this.stats.refused++;
		this.limited = true;
		this.target = this.running.size;
		if (this.probing) {
			this.probing = false;
			this.probeDelay = Math.min(this.options.probeMaxMs, this.probeDelay * 1.5);
		}
		this.admit(now);
	}

	/** The Create failed otherwise (it will be retried after a backoff, outside the queue). */
	released(now = Date.now()): void {
		this.sending = Math.max(0, this.sending - 1);
		this.probing = false;
		this.admit(now);
	}

	/** Ends the queue time of items past their deadline, and sends a probe when one is due. */
	tick(now = Date.now()): void {
		const expired = this.waiters.filter((waiter) => waiter.deadline <= now);
		if (expired.length > 0) {
			this.waiters = this.waiters.filter((waiter) => waiter.deadline > now);
			for (const waiter of expired) waiter.reject(new SlotWaitTimeoutError(now - waiter.since));
		}
		if (this.probeAt <= now && this.probeDue()) {
			this.probeAt = Infinity;
			this.probing = true;
			this.stats.probes++;
			this.target = this.running.size + 1;
		}
		this.admit(now);
	}

	/** Rejects every waiting item (the execution was cancelled). */
	cancelAll(error: Error): void {
		const waiters = this.waiters;
		this.waiters = [];
		for (const waiter of waiters) waiter.reject(error);
	}

	private inFlight() {
		return this.running.size + this.sending;
	}

	private mayAdmit(): boolean {
		if (this.options.cap !== undefined && this.inFlight() >= this.options.cap) return false;
		return !this.limited || this.inFlight() < this.target;
	}

	/** Only other clients hold slots, or fewer of ours run than once did, and nothing of ours is on its way. */
	private probeDue(): boolean {
		return (
			this.limited &&
			this.waiters.length > 0 &&
			this.sending === 0 &&
			this.inFlight() >= this.target &&
			(this.running.size === 0 || this.running.size < this.peak) &&
			(this.options.cap === undefined || this.inFlight() < this.options.cap)
		);
	}

	private admit(now: number): void {
		while (this.waiters.length > 0 && this.mayAdmit()) {
			const waiter = this.waiters.shift()!;
			this.sending++;
			this.stats.admitted++;
			waiter.resolve();
		}
		if (!this.probeDue()) this.probeAt = Infinity;
		else if (this.probeAt === Infinity) this.probeAt = now + this.probeDelay;
	}
}
