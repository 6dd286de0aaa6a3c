/**
 * The Kling stand-in in its own process, so the benchmark's RSS figures are the node's process only.
 *
 * Started as `node --import tsx bench/stand-in-server.ts '<json options>'`. Prints one line
 * `{"url": "..."}` on stdout when listening. Reads commands from stdin, one per line:
 *   report  -> prints one JSON line {requests, tasks} (request headers and bodies left out)
 * Closes and exits when stdin ends or on `quit`.
 */
import { createInterface } from 'node:readline';

import { startKlingStandIn } from '../stand-in';

interface ChildOptions {
	accessKey?: string;
	secretKey?: string;
	taskDurationMs: number;
	videoBytes: number;
	/** The first N tasks finish at once with small videos (warm-up runs). */
	warmupTasks?: number;
	warmupVideoBytes?: number;
}

async function main(): Promise<void> {
	const options = JSON.parse(process.argv[2] ?? '{}') as ChildOptions;
	const warmupTasks = options.warmupTasks ?? 0;
	const standIn = await startKlingStandIn({
		accessKey: options.accessKey,
		secretKey: options.secretKey,
		taskDurationMs: options.taskDurationMs,
		videoBytes: options.videoBytes,
		callbacks: false,
		plan: (_body, index) => (index < warmupTasks ? { durationMs: 0, videoBytes: options.warmupVideoBytes ?? 64 * 1024 } : {}),
	});
	process.stdout.write(`${JSON.stringify({ url: standIn.url, pid: process.pid })}\n`);

	const quit = async () => {
		await standIn.close();
		process.exit(0);
	};
	const lines = createInterface({ input: process.stdin });
	lines.on('line', (line) => {
		const command = line.trim();
		if (command === 'report') {
			const requests = standIn.requests.map(({ headers: _h, body: _b, auth, ...rest }) => ({ ...rest, auth: auth.kind }));
			const tasks = [...standIn.tasks.values()].map((task) => ({
				task_id: task.task_id,
				createdAt: task.createdAt,
				finishedAt: task.finishedAt,
				polls: task.polls,
				videoBytes: task.plan.videoBytes,
			}));
			process.stdout.write(`${JSON.stringify({ requests, tasks, rssMiB: process.memoryUsage().rss / 1024 / 1024 })}\n`);
		} else if (command === 'quit') {
			void quit();
		}
	});
	lines.on('close', () => void quit());
}

main().catch((error) => {
	process.stderr.write(`stand-in-server: ${(error as Error).stack}\n`);
	process.exit(1);
});
