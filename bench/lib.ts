import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Seeded PRNG (mulberry32), so the drawn jitters are the same on every run. */
export function mulberry32(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export function median(values: number[]): number {
	if (values.length === 0) return NaN;
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export const max = (values: number[]) => (values.length ? Math.max(...values) : NaN);
export const min = (values: number[]) => (values.length ? Math.min(...values) : NaN);
export const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN);

export const MiB = 1024 * 1024;

export interface MachineInfo {
	cpu: string;
	cores: number;
	totalMemoryGiB: number;
	node: string;
	platform: string;
}

export function machineInfo(): MachineInfo {
	let cpu = os.cpus()[0]?.model?.trim() ?? '';
	try {
		const line = readFileSync('/proc/cpuinfo', 'utf8')
			.split('\n')
			.find((l) => l.startsWith('model name'));
		if (line && line.split(':')[1].trim().length > cpu.length) cpu = line.split(':')[1].trim();
	} catch {
		// not Linux: os.cpus() it is
	}
	return {
		cpu: cpu || 'unknown',
		cores: os.cpus().length,
		totalMemoryGiB: os.totalmem() / 1024 ** 3,
		node: process.version,
		platform: `${os.platform()} ${os.release()} ${os.arch()}`,
	};
}

export interface Row {
	measure: string;
	value: string;
	target?: string;
	/** undefined: no target for this row. */
	pass?: boolean;
	/** The run behind the figure failed: no PASS/MISS. */
	error?: boolean;
}

/** Plain-text table with aligned columns. */
export function formatTable(rows: Row[]): string {
	const header = { measure: 'Measure', value: 'Value', target: 'Target', result: 'Result' };
	const cells = rows.map((row) => ({
		measure: row.measure,
		value: row.value,
		target: row.target ?? '',
		result: row.error ? 'ERROR' : row.pass === undefined ? '' : row.pass ? 'PASS' : 'MISS',
	}));
	const all = [header, ...cells];
	const width = (key: keyof typeof header) => Math.max(...all.map((c) => c[key].length));
	const w = { measure: width('measure'), value: width('value'), target: width('target'), result: width('result') };
	const line = (c: typeof header) =>
		`${c.measure.padEnd(w.measure)}  ${c.value.padStart(w.value)}  ${c.target.padEnd(w.target)}  ${c.result}`.trimEnd();
	const rule = '-'.repeat(w.measure + w.value + w.target + w.result + 6);
	return [line(header), rule, ...cells.map(line)].join('\n');
}

export const s = (ms: number, digits = 3) => `${(ms / 1000).toFixed(digits)} s`;

/** The code measured: HEAD and any uncommitted changes to the node's sources. */
export function codeVersion(root: string): { commit: string; dirty: string[] } {
	try {
		const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trimEnd();
		const commit = git('rev-parse', '--short', 'HEAD').trim();
		const dirty = git('status', '--porcelain', '--', 'nodes', 'credentials')
			.split('\n')
			.filter(Boolean)
			.map((line) => line.slice(3));
		return { commit, dirty };
	} catch {
		return { commit: 'unknown', dirty: [] };
	}
}
