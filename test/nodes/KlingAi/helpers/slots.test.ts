/**
 * TaskSlots decides when a queued item may send its Create (the engine-level behaviour is in
 * actions/common/create.queue.test.ts). Here the rules themselves, with a clock the test moves.
 */
import { SlotWaitTimeoutError, TaskSlots } from '../../../../nodes/KlingAi/helpers/slots';

const flush = async () => await new Promise((resolve) => setImmediate(resolve));

/** Queues items and records which were let through. */
function queue(slots: TaskSlots, itemIndexes: number[], deadline = Infinity, now = 0) {
	const admitted: number[] = [];
	const failed: Array<[number, Error]> = [];
	for (const itemIndex of itemIndexes) {
		slots.acquire(itemIndex, deadline, now).then(
			() => admitted.push(itemIndex),
			(error: Error) => failed.push([itemIndex, error]),
		);
	}
	return { admitted, failed };
}

describe('TaskSlots', () => {
	it('lets every item through at once while no limit is known', async () => {
		const slots = new TaskSlots({ probeMs: 1000, probeMaxMs: 60_000 });
		const { admitted } = queue(slots, [0, 1, 2, 3]);
		await flush();
		expect(admitted).toEqual([0, 1, 2, 3]);
	});

	it('with a cap, keeps at most that many tasks in flight, and lets the next through in item order when one ends', async () => {
		const slots = new TaskSlots({ cap: 2, probeMs: 1000, probeMaxMs: 60_000 });
		const { admitted } = queue(slots, [0, 1, 3, 2]);
		await flush();
		expect(admitted).toEqual([0, 1]);
		slots.started('a', true);
		slots.started('b', true);
		await flush();
		expect(admitted).toEqual([0, 1]);
		slots.ended('a');
		await flush();
		expect(admitted).toEqual([0, 1, 2]);
	});

	it('after a 1303 keeps to the tasks it holds: one Create per task that ends', async () => {
		const slots = new TaskSlots({ probeMs: 1000, probeMaxMs: 60_000 });
		const { admitted } = queue(slots, [0, 1, 2, 3, 4]);
		await flush();
		slots.started('a', true);
		slots.started('b', true);
		slots.refused();
		slots.refused();
		slots.refused();
		const retry = queue(slots, [2, 3, 4]);
		await flush();
		expect(retry.admitted).toEqual([]);
		slots.tick(10_000); // no probe while our own tasks hold every slot we had
		await flush();
		expect(retry.admitted).toEqual([]);
		slots.ended('a');
		await flush();
		expect(retry.admitted).toEqual([2]);
		expect(slots.stats.refused).toBe(3);
		expect(admitted).toHaveLength(5);
	});

	it('probes at a growing pace when only other clients hold slots, and resets the pace after a success', async () => {
		const slots = new TaskSlots({ probeMs: 1000, probeMaxMs: 2000 });
		queue(slots, [0], Infinity, 0);
		await flush();
		slots.refused(0);
		const second = queue(slots, [0], Infinity, 0);
		slots.tick(999);
		await flush();
		expect(second.admitted).toEqual([]);
		slots.tick(1000);
		await flush();
		expect(second.admitted).toEqual([0]);
		slots.refused(1000);
		const third = queue(slots, [0], Infinity, 1000);
		slots.tick(2499);
		await flush();
		expect(third.admitted).toEqual([]);
		slots.tick(2500); // 1.5 x 1000
		await flush();
		expect(third.admitted).toEqual([0]);
		expect(slots.stats.probes).toBe(2);
	});

	it('ends the wait of an item at its deadline, and empties the queue on cancel', async () => {
		const slots = new TaskSlots({ cap: 1, probeMs: 1000, probeMaxMs: 60_000 });
		queue(slots, [0]);
		const late = queue(slots, [1], 5000, 0);
		const other = queue(slots, [2], Infinity, 0);
		slots.tick(5000);
		await flush();
		expect(late.failed).toHaveLength(1);
		expect(late.failed[0][1]).toBeInstanceOf(SlotWaitTimeoutError);
		slots.cancelAll(new Error('cancelled'));
		await flush();
		expect(other.failed.map(([, error]) => error.message)).toEqual(['cancelled']);
		expect(slots.waiting).toBe(0);
	});

	it('tracks unattended tasks (items that did not wait) until they end', () => {
		const slots = new TaskSlots({ probeMs: 1000, probeMaxMs: 60_000 });
		queue(slots, [0, 1]);
		slots.started('a', false);
		slots.started('b', true);
		expect(slots.unattended()).toEqual(['a']);
		slots.unattend('b');
		expect(slots.unattended()).toEqual(['a', 'b']);
		slots.ended('a');
		expect(slots.unattended()).toEqual(['b']);
	});
});
