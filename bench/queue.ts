/**
 * Phase 4: a batch larger than the account's concurrency. 50 items, an account that runs 5 tasks at
 * once (over it the stand-in answers 429 / 1303), renders of T: the ideal is ceil(50 / 5) x T. Run
 * once without a cap (the node learns the limit from the refusals) and once with Max Concurrent
 * Tasks = 5. The stand-in's log gives every request, refusal and task start and end.
 */
import { runKlingNode } from '../test/helpers/engine';
import { startKlingStandIn } from '../stand-in';
import { ACCESS_KEY, credentialsFor, SECRET_KEY } from './polling';

export interface QueueRun {
	label: string;
	items: number;
	limit: number;
	taskMs: number;
	wallMs: number;
	idealMs: number;
	ratio: number;
	refusedPerItem: number;
	requestsPerItem: number;
	failures: number;
	duplicates: number;
	peakConcurrency: number;
}

export async function runQueue(opts: { label: string; items: number; limit: number; taskMs: number; cap?: number }): Promise<QueueRun> {
	const standIn = await startKlingStandIn({ accessKey: ACCESS_KEY, secretKey: SECRET_KEY, maxConcurrentTasks: opts.limit, taskDurationMs: opts.taskMs, callbacks: false });
	try {
		const started = Date.now();
		const { items, error } = await runKlingNode({
			parameters: {
				resource: 'textToVideo',
				operation: 'create',
				model: 'kling-v2-6',
				prompt: '={{ "Clip " + $json.n }}',
				waitForCompletion: true,
				pollInterval: 1,
				maxWait: 3600,
				options: opts.cap ? { maxConcurrentTasks: opts.cap } : {},
			},
			credentials: credentialsFor(standIn.url),
			items: Array.from({ length: opts.items }, (_, n) => ({ json: { n } })),
			continueOnFail: true,
		});
		const wallMs = Date.now() - started;
		const idealMs = Math.ceil(opts.items / opts.limit) * opts.taskMs;
		const tasks = [...standIn.tasks.values()];
		const peak = standIn.stats().peakUnfinished;
		const prompts = tasks.map((task) => task.body.prompt);
		return {
			label: opts.label,
			items: opts.items,
			limit: opts.limit,
			taskMs: opts.taskMs,
			wallMs,
			idealMs,
			ratio: wallMs / idealMs,
			refusedPerItem: standIn.requests.filter((r) => r.code === 1303).length / opts.items,
			requestsPerItem: standIn.requests.length / opts.items,
			failures: (error ? opts.items : 0) + items.filter((item) => item.json.error !== undefined || item.json.task_status !== 'succeed').length,
			duplicates: prompts.length - new Set(prompts).size,
			peakConcurrency: peak,
		};
	} finally {
		await standIn.close();
	}
}
