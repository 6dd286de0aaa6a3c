/**
 * Image to Video under the faults the stand-in injects: Create goes through actions/common/create.ts,
 * so each item (with its base64 image) is created exactly once whatever happens on the way: dropped
 * connections after the task was made, server errors, rate and concurrency limits, garbage and slow
 * answers. Kept small (10 items, renders finish on the first poll) to keep the suite quick.
 */
import type { INodeExecutionData } from 'n8n-workflow';

import { runKlingNode } from '../../../../helpers/engine';
import { i2vParams, memoryBinary, testPng } from '../../../../helpers/image-kit';
import { jwtCredentials } from '../../../../helpers/kling-test-kit';
import { type Fault, startKlingStandIn, type StandInOptions } from '../../../../../stand-in';

const N = 10;
const images = Array.from({ length: N }, (_, n) => testPng(320, 320, `item-${n}`));
const items: INodeExecutionData[] = images.map((bytes, n) => ({ json: { n }, binary: { data: memoryBinary(bytes) } }));

// every row has all three cells: jest passes a `done` callback in place of a missing last argument
const SCENARIOS: Array<[string, Fault[], StandInOptions | undefined]> = [
	['drop after accept', [{ on: 'create', kind: 'drop-after-accept', times: 5 }], undefined],
	['5000 server errors', [{ on: 'create', kind: 'error', status: 500, code: 5000, times: 6 }], undefined],
	['1302 rate limit', [{ on: 'create', kind: 'error', status: 429, code: 1302, times: 6 }], undefined],
	['garbage and truncated answers', [{ on: 'create', kind: 'garbage', times: 3 }, { on: 'create', kind: 'truncate', afterBytes: 10, times: 3 }], undefined],
	['slow answers', [{ on: 'create', kind: 'slow', delayMs: 300, times: 4 }], undefined],
	['1303 concurrency limit of 3', [], { maxConcurrentTasks: 3, plan: () => ({ durationMs: 600 }) }],
];

describe('Image to Video Create under injected faults', () => {
	test.each(SCENARIOS)('%s: every item once, its own image, no duplicates', async (_name, faults, options) => {
		const standIn = await startKlingStandIn({ callbacks: false, plan: () => ({ completeAfterPolls: 1 }), ...options });
		try {
			for (const fault of faults) standIn.injectFault(fault);
			const result = await runKlingNode({
				parameters: i2vParams({ model: 'kling-v2-5-turbo', imageInputType: 'binary', imageBinaryProperty: 'data', waitForCompletion: true, pollInterval: 1, maxWait: 60 }),
				credentials: jwtCredentials(standIn),
				items,
			});
			expect(result.error).toBeUndefined();
			expect(result.items).toHaveLength(N);
			expect(result.items.every((item) => item.json.task_status === 'succeed')).toBe(true);
			expect(standIn.tasks.size).toBe(N);
			const byTask = new Map([...standIn.tasks.values()].map((task) => [task.task_id, task.body.image]));
			result.items.forEach((item, n) => expect(byTask.get(item.json.task_id as string)).toBe(images[n].toString('base64')));
			if (options?.maxConcurrentTasks) expect(standIn.stats().peakUnfinished).toBeLessThanOrEqual(3);
		} finally {
			await standIn.close();
		}
	});
});
