/**
 * Phase 4: peak RSS while one node run downloads 20 large videos into n8n's filesystem binary store.
 * The stand-in serves the videos from a child process, so this process's RSS is the node's alone.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';

import { Container } from '@n8n/di';
import { BinaryDataConfig, BinaryDataService } from 'n8n-core';
import type { IBinaryData } from 'n8n-workflow';

import { runKlingNode } from '../test/helpers/engine';
import { videoContent } from '../stand-in';
import { binaryStoragePath, envSetup } from './env';
import { MiB, max } from './lib';
import { ACCESS_KEY, credentialsFor, SECRET_KEY } from './polling';

const PACKAGE_ROOT = path.resolve(__dirname, '..');

/** A forced GC before the baseline, so garbage of earlier work is not counted as headroom. */
function collectGarbage(): boolean {
	try {
		setFlagsFromString('--expose-gc');
		const gc = runInNewContext('gc') as () => void;
		gc();
		gc();
		return true;
	} catch {
		return false;
	}
}

/** Kernel's peak-RSS mark (VmHWM), reset through /proc/self/clear_refs where Linux allows it. */
function resetPeakRss(): boolean {
	try {
		writeFileSync('/proc/self/clear_refs', '5');
		return true;
	} catch {
		return false;
	}
}

function kernelPeakRssBytes(): number | undefined {
	try {
		const line = readFileSync('/proc/self/status', 'utf8')
			.split('\n')
			.find((l) => l.startsWith('VmHWM:'));
		return line ? Number(line.replace(/\D+/g, '')) * 1024 : undefined;
	} catch {
		return undefined;
	}
}

interface ChildStandIn {
	url: string;
	pid: number;
	report(): Promise<{ requests: Array<{ kind: string; taskId?: string; receivedAt: number; respondedAt: number; status: number }>; rssMiB: number }>;
	close(): Promise<void>;
}

async function startChildStandIn(options: object): Promise<ChildStandIn> {
	const child: ChildProcessWithoutNullStreams = spawn(
		process.execPath,
		['--import', 'tsx', path.join(__dirname, 'stand-in-server.ts'), JSON.stringify(options)],
		{ cwd: PACKAGE_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
	);
	let stderr = '';
	child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
	const lines: Interface = createInterface({ input: child.stdout });
	const waiting: Array<(line: string) => void> = [];
	lines.on('line', (line) => waiting.shift()?.(line));
	const nextLine = () =>
		new Promise<string>((resolve, reject) => {
			const onExit = (code: number | null) => reject(new Error(`stand-in child exited (${code}): ${stderr}`));
			child.once('exit', onExit);
			waiting.push((line) => {
				child.off('exit', onExit);
				resolve(line);
			});
		});
	const hello = JSON.parse(await nextLine()) as { url: string; pid: number };
	return {
		url: hello.url,
		pid: hello.pid,
		async report() {
			const line = nextLine();
			child.stdin.write('report\n');
			return JSON.parse(await line);
		},
		close: () =>
			new Promise<void>((resolve) => {
				if (child.exitCode !== null) return resolve();
				child.once('exit', () => resolve());
				child.stdin.end();
				setTimeout(() => child.kill('SIGKILL'), 3000).unref();
			}),
	};
}

async function sha256OfFile(file: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(file, { highWaterMark: MiB })) hash.update(chunk as Buffer);
	return hash.digest('hex');
}

export interface DownloadFigures {
	items: number;
	videoBytes: number;
	taskMs: number;
	binaryMode: { configured: string; serviceMode: string; storagePath: string; how: string };
	baselineMiB: number;
	peakMiB: number;
	growthMiB: number;
	kernelPeakGrowthMiB?: number;
	samples: number;
	maxSampleGapMs: number;
	gcBeforeBaseline: boolean;
	wallMs: number;
	downloadMBps: number;
	files: Array<{ taskId: string; id: string; bytes: number; onDisk: number; byteCheck?: 'match' | 'MISMATCH' }>;
	verified: { allFilesystem: boolean; allSizesRight: boolean; byteChecked: number; byteMismatches: number };
	failures: string[];
	standInRssMiB: number;
}

export async function runDownload(opts: { items: number; videoBytes: number; taskMs: number; intervalS: number; byteCheck: number }): Promise<DownloadFigures> {
	const { items, videoBytes, taskMs, intervalS } = opts;
	const service = Container.get(BinaryDataService);
	await service.init();
	const config = Container.get(BinaryDataConfig);
	const failures: string[] = [];

	const standIn = await startChildStandIn({ accessKey: ACCESS_KEY, secretKey: SECRET_KEY, taskDurationMs: taskMs, videoBytes, warmupTasks: 1, warmupVideoBytes: 256 * 1024 });
	try {
		const parameters = {
			resource: 'textToVideo',
			operation: 'create',
			model: 'kling-v2-6',
			prompt: 'A red fox running through fresh snow at sunrise, cinematic',
			waitForCompletion: true,
			pollInterval: intervalS,
			downloadVideo: true,
		};
		const credentials = credentialsFor(standIn.url);
		// Warm-up: one small download, so lazily loaded code and the binary store's first use are not counted.
		const warm = await runKlingNode({ parameters, credentials, items: [{ json: {} }] });
		if (warm.error || !warm.items[0]?.binary?.data) failures.push(`warm-up failed: ${warm.error?.message ?? 'no binary'}`);

		const gcBeforeBaseline = collectGarbage();
		await new Promise((resolve) => setTimeout(resolve, 200));
		const baseline = process.memoryUsage().rss;
		const hwmReset = resetPeakRss();
		let peak = baseline;
		let samples = 0;
		let lastSample = Date.now();
		let maxGap = 0;
		const sampler = setInterval(() => {
			const now = Date.now();
			maxGap = Math.max(maxGap, now - lastSample);
			lastSample = now;
			samples++;
			const rss = process.memoryUsage().rss;
			if (rss > peak) peak = rss;
		}, 20);

		const startedAt = Date.now();
		const result = await runKlingNode({ parameters, credentials, items: Array.from({ length: items }, (_, i) => ({ json: { i } })) });
		const wallMs = Date.now() - startedAt;
		clearInterval(sampler);
		const last = process.memoryUsage().rss;
		if (last > peak) peak = last;
		const kernelPeak = hwmReset ? kernelPeakRssBytes() : undefined;

		if (result.error) failures.push(`run error: ${result.error.message}`);
		if (result.items.length !== items) failures.push(`expected ${items} items, got ${result.items.length}`);

		const files: DownloadFigures['files'] = [];
		for (const item of result.items) {
			const binary = item.binary?.data as IBinaryData | undefined;
			const taskId = String(item.json.task_id);
			if (!binary) {
				failures.push(`item for ${taskId}: no binary data (${String(item.json.error ?? '')})`);
				continue;
			}
			const id = binary.id ?? '';
			const fileId = id.slice(id.indexOf(':') + 1);
			let onDisk = -1;
			try {
				onDisk = statSync(path.join(binaryStoragePath, fileId)).size;
			} catch {
				failures.push(`${taskId}: stored file missing (${id})`);
			}
			files.push({ taskId, id, bytes: binary.bytes ?? -1, onDisk });
		}

		// After the measurement: compare files with the bytes the stand-in served (SHA-256).
		const toCheck = files.filter((f) => f.onDisk === videoBytes).slice(0, opts.byteCheck);
		for (const file of toCheck) {
			const expected = createHash('sha256').update(videoContent(file.taskId, 1, videoBytes)).digest('hex');
			const actual = await sha256OfFile(path.join(binaryStoragePath, file.id.slice(file.id.indexOf(':') + 1)));
			file.byteCheck = actual === expected ? 'match' : 'MISMATCH';
		}

		const report = await standIn.report();
		const downloads = report.requests.filter((r) => r.kind === 'download' && r.status === 200).slice(1); // skip warm-up
		const downloadSpan = downloads.length ? max(downloads.map((d) => d.respondedAt)) - Math.min(...downloads.map((d) => d.receivedAt)) : NaN;

		return {
			items,
			videoBytes,
			taskMs,
			binaryMode: { configured: String(config.mode), serviceMode: String((service as unknown as { mode: string }).mode), storagePath: binaryStoragePath, how: envSetup.how },
			baselineMiB: baseline / MiB,
			peakMiB: peak / MiB,
			growthMiB: (peak - baseline) / MiB,
			kernelPeakGrowthMiB: kernelPeak === undefined ? undefined : (kernelPeak - baseline) / MiB,
			samples,
			maxSampleGapMs: maxGap,
			gcBeforeBaseline,
			wallMs,
			downloadMBps: (downloads.length * videoBytes) / MiB / (downloadSpan / 1000),
			files,
			verified: {
				allFilesystem: files.length === items && files.every((f) => f.id.startsWith('filesystem')),
				allSizesRight: files.length === items && files.every((f) => f.bytes === videoBytes && f.onDisk === videoBytes),
				byteChecked: toCheck.length,
				byteMismatches: toCheck.filter((f) => f.byteCheck !== 'match').length,
			},
			failures,
			standInRssMiB: report.rssMiB,
		};
	} finally {
		await standIn.close();
	}
}
