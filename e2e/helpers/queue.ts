/**
 * n8n in queue mode for the end-to-end suite, with real components started here and stopped after:
 * PostgreSQL and Redis as local processes (Debian's packages), an n8n main, two workers and one webhook
 * processor, each with the packed package installed as a community package in its own user folder.
 *
 * Which settings each process needs was read from n8n 2.8.4's source (`@n8n/config`, `commands/worker.ts`,
 * `commands/webhook.ts`, `abstract-server.ts`, `scaling/*`):
 * - every process: `EXECUTIONS_MODE=queue`, `QUEUE_BULL_REDIS_HOST/PORT`, `DB_TYPE=postgresdb` and
 *   `DB_POSTGRESDB_*`, the same `N8N_ENCRYPTION_KEY` (credentials are decrypted by the workers; the
 *   instance ID, which our external task IDs hash, derives from it), its own `N8N_RUNNERS_BROKER_PORT`;
 * - `WEBHOOK_URL` = the webhook processor on every process: workers compute `$execution.resumeUrl` from it;
 * - main: `N8N_DISABLE_PRODUCTION_MAIN_PROCESS=true`, so `/webhook/…` and `/webhook-waiting/…` are served by
 *   the webhook processor only (main keeps the editor, the REST API, activation and queue recovery);
 * - workers: `QUEUE_HEALTH_CHECK_ACTIVE=true` with a free `QUEUE_HEALTH_CHECK_PORT` each (the worker server
 *   defaults to 5678, so two workers with it on would clash) and `N8N_WORKER_SERVER_ADDRESS`;
 *   `N8N_CONCURRENCY_PRODUCTION_LIMIT` must stay unset: a worker takes it over `--concurrency`;
 * - the Bull lock settings (`QUEUE_WORKER_LOCK_DURATION` 60 s, `QUEUE_WORKER_STALLED_INTERVAL` 30 s by
 *   default) only decide how soon a dead worker's jobs are noticed; the suite shortens them.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { freePort, n8nBin, newN8nUser, nodeBinary, until as untilValue } from './n8n';

const log = (message: string) => process.stdout.write(`[queue] ${message}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const until = <T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs: number, details = () => '') =>
	untilValue(what, probe, timeoutMs, details);

function run(file: string, args: string[], options: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
	return new Promise((resolve, reject) => {
		execFile(file, args, { env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
			if (error) reject(new Error(`${file} ${args.join(' ')} failed: ${error.message}\n${stdout}\n${stderr}`));
			else resolve(stdout);
		});
	});
}

// ---------------------------------------------------------------------------------------------------
// PostgreSQL

/** Debian's PostgreSQL binaries (`/usr/lib/postgresql/<version>/bin`), newest first. */
export function postgresBin(): string | undefined {
	const root = '/usr/lib/postgresql';
	if (!existsSync(root)) return undefined;
	const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
	for (const version of versions) {
		const bin = path.join(root, version, 'bin');
		if (existsSync(path.join(bin, 'initdb'))) return bin;
	}
	return undefined;
}

export interface Postgres {
	port: number;
	database: string;
	user: string;
	/** Runs SQL and returns the rows as arrays of strings (psql's unaligned, tab-separated output). */
	query(sql: string): Promise<string[][]>;
	stop(): Promise<void>;
}

/**
 * A throwaway PostgreSQL cluster in a temporary folder, on a free port, with its unix socket in that
 * folder and trust authentication on loopback. PostgreSQL refuses to run as root, so as root it runs as
 * the `postgres` user, which owns the folder.
 */
export async function startPostgres(): Promise<Postgres> {
	const bin = postgresBin();
	if (!bin) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql; .ci/run does it)');
	const dir = mkdtempSync(path.join(tmpdir(), 'kling-pg-'));
	const asRoot = process.getuid?.() === 0;
	const as = (command: string, args: string[]): [string, string[]] => (asRoot ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args]);
	if (asRoot) {
		const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
		const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
		chownSync(dir, uid, gid);
	}
	const data = path.join(dir, 'data');
	const port = await freePort();
	await run(...as(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--no-sync']));
	// Durability off: this database lives for one test run.
	const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
	await run(...as(path.join(bin, 'pg_ctl'), ['-D', data, '-l', path.join(dir, 'postgres.log'), '-o', options, '-w', '-t', '60', 'start']));
	let stopped = false;
	const psql = async (database: string, sql: string) =>
		await run(path.join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', database, '-v', 'ON_ERROR_STOP=1', '-At', '-F', '\t', '-c', sql]);
	const stop = async () => {
		if (stopped) return;
		stopped = true;
		try {
			await run(...as(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop']));
		} catch (error) {
			log(`pg_ctl stop: ${(error as Error).message.split('\n')[0]}`);
		}
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		await psql('postgres', 'CREATE DATABASE n8n');
	} catch (error) {
		await stop();
		throw error;
	}
	log(`PostgreSQL on 127.0.0.1:${port} (${dir})`);
	return {
		port,
		database: 'n8n',
		user: 'postgres',
		query: async (sql) =>
			(await psql('n8n', sql))
				.split('\n')
				.filter((line) => line !== '')
				.map((line) => line.split('\t')),
		stop,
	};
}

// ---------------------------------------------------------------------------------------------------
// Redis

export interface Redis {
	port: number;
	stop(): Promise<void>;
}

async function redisPing(port: number): Promise<boolean> {
	return await new Promise((resolve) => {
		const socket = connect(port, '127.0.0.1');
		socket.setTimeout(1000);
		socket.once('connect', () => socket.write('PING\r\n'));
		socket.once('data', (chunk) => {
			socket.destroy();
			resolve(chunk.toString().startsWith('+PONG'));
		});
		socket.once('error', () => resolve(false));
		socket.once('timeout', () => {
			socket.destroy();
			resolve(false);
		});
	});
}

/** A Redis server as a local process on a free port, no persistence, its working folder in a temp folder. */
export async function startRedis(): Promise<Redis> {
	const dir = mkdtempSync(path.join(tmpdir(), 'kling-redis-'));
	const port = await freePort();
	const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], {
		stdio: ['ignore', 'pipe', 'pipe'],
	});
	let output = '';
	child.stdout.on('data', (chunk) => (output += chunk));
	child.stderr.on('data', (chunk) => (output += chunk));
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	child.once('error', (error) => (output += `\n${error.message}`));
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			child.kill('SIGTERM');
			await Promise.race([exited, sleep(10_000).then(() => child.kill('SIGKILL'))]);
		}
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		await until('redis-server', async () => ((await redisPing(port)) ? true : child.exitCode !== null ? false : undefined), 20_000, () => output);
	} catch (error) {
		await stop();
		throw error;
	}
	if (child.exitCode !== null) {
		await stop();
		throw new Error(`redis-server exited:\n${output}`);
	}
	log(`Redis on 127.0.0.1:${port}`);
	return { port, stop };
}

// ---------------------------------------------------------------------------------------------------
// n8n processes

export interface LogLine {
	at: number;
	text: string;
}

export interface N8nProcess {
	name: string;
	/** The port it serves HTTP on: main and webhook processor (N8N_PORT), worker (health check). */
	port: number;
	url: string;
	lines: LogLine[];
	output(): string;
	pid(): number | undefined;
	running(): boolean;
	/** SIGKILL, no shutdown: a crashed worker. */
	kill(): Promise<void>;
	/** SIGTERM, then SIGKILL after 20 s. */
	stop(): Promise<void>;
	/** Starts the same command again (after kill or stop), with the same settings plus `env` (kept for later restarts). */
	restart(env?: NodeJS.ProcessEnv): Promise<void>;
}

interface ProcessSpec {
	name: string;
	args: string[];
	env: NodeJS.ProcessEnv;
	port: number;
	readyPath: string;
}

function startProcess(spec: ProcessSpec): N8nProcess {
	let child: ChildProcess | undefined;
	let exited: Promise<void> = Promise.resolve();
	const lines: LogLine[] = [];
	let rest = '';
	const url = `http://127.0.0.1:${spec.port}`;
	const onData = (chunk: Buffer) => {
		const at = Date.now();
		const text = rest + chunk.toString();
		const parts = text.split('\n');
		rest = parts.pop() ?? '';
		for (const part of parts) lines.push({ at, text: part });
	};
	const launch = () => {
		child = spawn(nodeBinary(), [n8nBin(), ...spec.args], { env: spec.env, stdio: ['ignore', 'pipe', 'pipe'] });
		lines.push({ at: Date.now(), text: `--- [suite] started ${spec.name}: n8n ${spec.args.join(' ')} (pid ${child.pid})` });
		child.stdout!.on('data', onData);
		child.stderr!.on('data', onData);
		const current = child;
		exited = new Promise((resolve) => current.once('exit', (code, signal) => {
			lines.push({ at: Date.now(), text: `--- [suite] ${spec.name} exited (${signal ?? code})` });
			resolve();
		}));
	};
	const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
	const terminate = async (signal: NodeJS.Signals, graceMs: number) => {
		if (!running()) return;
		const current = child!;
		current.kill(signal);
		let timer: NodeJS.Timeout | undefined;
		await Promise.race([exited, new Promise<void>((resolve) => (timer = setTimeout(() => resolve(void current.kill('SIGKILL')), graceMs)))]);
		clearTimeout(timer);
		await exited;
	};
	launch();
	const handle: N8nProcess = {
		name: spec.name,
		port: spec.port,
		url,
		lines,
		output: () => lines.map((line) => line.text).join('\n') + (rest ? `\n${rest}` : ''),
		pid: () => child?.pid,
		running,
		kill: async () => await terminate('SIGKILL', 5_000),
		stop: async () => await terminate('SIGTERM', 20_000),
		restart: async (env) => {
			await terminate('SIGTERM', 20_000);
			if (env) spec.env = { ...spec.env, ...env };
			launch();
			await waitReady(handle, spec.readyPath);
		},
	};
	return handle;
}

async function waitReady(proc: N8nProcess, readyPath: string, timeoutMs = 180_000) {
	await until(
		`${proc.name} to be ready (${proc.url}${readyPath})`,
		async () => {
			if (!proc.running()) throw new Error(`${proc.name} exited:\n${proc.output().slice(-4000)}`);
			try {
				const response = await fetch(`${proc.url}${readyPath}`);
				return response.ok ? true : undefined;
			} catch {
				return undefined;
			}
		},
		timeoutMs,
		() => proc.output().slice(-4000),
	);
}

export interface QueueCluster {
	postgres: Postgres;
	redis: Redis;
	main: N8nProcess;
	webhook: N8nProcess;
	workers: N8nProcess[];
	/** Base URL for production webhooks and `$execution.resumeUrl` (the webhook processor). */
	webhookUrl: string;
	/** Environment for CLI commands against the cluster's database (import, publish). */
	cliEnv: NodeJS.ProcessEnv;
	cli(args: string[]): Promise<string>;
	stop(): Promise<void>;
}

export interface ClusterOptions {
	tarball: string;
	workers?: number;
	concurrency?: number;
	/** Runs after the database exists and before n8n starts: import credentials and workflows, publish. */
	prepare?: (cluster: Pick<QueueCluster, 'cli' | 'cliEnv' | 'postgres'>) => Promise<void>;
	/** Extra environment for every n8n process. */
	env?: NodeJS.ProcessEnv;
}

/**
 * Starts PostgreSQL, Redis, then n8n main, the webhook processor and the workers (in parallel, as
 * start-up is mostly CPU). On any failure everything already started is stopped again.
 */
export async function startQueueCluster(options: ClusterOptions): Promise<QueueCluster> {
	const started: Array<() => Promise<void>> = [];
	const stopAll = async () => {
		for (const stop of started.splice(0).reverse()) {
			try {
				await stop();
			} catch (error) {
				log(`stop failed: ${(error as Error).message}`);
			}
		}
	};
	try {
		const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
		started.push(postgres.stop, redis.stop);
		const webhookPort = await freePort();
		const webhookUrl = `http://127.0.0.1:${webhookPort}/`;
		const shared: NodeJS.ProcessEnv = {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(redis.port),
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(postgres.port),
			DB_POSTGRESDB_DATABASE: postgres.database,
			DB_POSTGRESDB_USER: postgres.user,
			DB_POSTGRESDB_PASSWORD: 'unused-trust-auth',
			WEBHOOK_URL: webhookUrl,
			N8N_HOST: '127.0.0.1',
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			N8N_PROTOCOL: 'http',
			// A dead worker's jobs are noticed once their lock expires and a stalled check runs (defaults 60 s / 30 s).
			QUEUE_WORKER_LOCK_DURATION: '15000',
			QUEUE_WORKER_LOCK_RENEW_TIME: '5000',
			QUEUE_WORKER_STALLED_INTERVAL: '5000',
			N8N_UNVERIFIED_PACKAGES_ENABLED: 'true',
			// n8n pings its database every 2 s and, when a ping takes over 5 s (N8N_DB_PING_TIMEOUT), answers every
			// request 503 "Database is not ready!" until a ping succeeds. Six busy Node processes on 2 cores can miss
			// that: a larger pool and ping timeout keep the webhook processor answering.
			DB_POSTGRESDB_POOL_SIZE: '4',
			N8N_DB_PING_TIMEOUT: '20000',
			...options.env,
		};
		const userEnv = async (name: string) => {
			const user = await newN8nUser(options.tarball);
			const env = { ...user.env, ...shared };
			delete env.N8N_CONCURRENCY_PRODUCTION_LIMIT;
			return { name, env };
		};

		const cliUser = await userEnv('cli');
		const cli = async (args: string[]) => await run(nodeBinary(), [n8nBin(), ...args], { env: cliUser.env });
		// The first CLI command runs n8n's migrations on the new database.
		await options.prepare?.({ cli, cliEnv: cliUser.env, postgres });

		const mainPort = await freePort();
		const main = startProcess({
			name: 'main',
			args: ['start'],
			env: { ...(await userEnv('main')).env, N8N_PORT: String(mainPort), N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true' },
			port: mainPort,
			readyPath: '/healthz/readiness',
		});
		started.push(main.stop);
		// Main first: it is the leader that activates the published workflows (their webhooks go to the database).
		await waitReady(main, '/healthz/readiness');

		const webhook = startProcess({
			name: 'webhook',
			args: ['webhook'],
			env: { ...(await userEnv('webhook')).env, N8N_PORT: String(webhookPort) },
			port: webhookPort,
			readyPath: '/healthz/readiness',
		});
		started.push(webhook.stop);
		const workers: N8nProcess[] = [];
		for (let index = 0; index < (options.workers ?? 2); index++) {
			const healthPort = await freePort();
			const worker = startProcess({
				name: `worker-${index + 1}`,
				args: ['worker', `--concurrency=${options.concurrency ?? 2}`],
				env: {
					...(await userEnv(`worker-${index + 1}`)).env,
					QUEUE_HEALTH_CHECK_ACTIVE: 'true',
					QUEUE_HEALTH_CHECK_PORT: String(healthPort),
					N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
				},
				port: healthPort,
				readyPath: '/healthz/readiness',
			});
			started.push(worker.stop);
			workers.push(worker);
		}
		await Promise.all([waitReady(webhook, '/healthz/readiness'), ...workers.map((worker) => waitReady(worker, '/healthz/readiness'))]);
		log(`n8n main ${main.url}, webhook processor ${webhook.url}, ${workers.length} workers`);
		return { postgres, redis, main, webhook, workers, webhookUrl, cliEnv: cliUser.env, cli, stop: stopAll };
	} catch (error) {
		await stopAll();
		throw error;
	}
}

/** Executions the worker's log says it started: `Worker started execution <id> (job <n>)`, with the time seen. */
/** Waits until the process's readiness endpoint answers 200 (it answers 503 while its database ping fails). */
export async function ready(proc: N8nProcess, timeoutMs = 60_000) {
	await waitReady(proc, '/healthz/readiness', timeoutMs);
}

export function workerJobs(worker: N8nProcess): Array<{ executionId: string; startedAt: number; finishedAt?: number }> {
	const jobs = new Map<string, { executionId: string; startedAt: number; finishedAt?: number }[]>();
	const result: Array<{ executionId: string; startedAt: number; finishedAt?: number }> = [];
	for (const line of worker.lines) {
		const started = /Worker started execution (\d+) \(job/.exec(line.text);
		if (started) {
			const job = { executionId: started[1], startedAt: line.at };
			result.push(job);
			jobs.set(started[1], [...(jobs.get(started[1]) ?? []), job]);
		}
		const finished = /Worker finished execution (\d+) \(job/.exec(line.text);
		if (finished) {
			const open = (jobs.get(finished[1]) ?? []).find((job) => job.finishedAt === undefined);
			if (open) open.finishedAt = line.at;
		}
	}
	return result;
}
