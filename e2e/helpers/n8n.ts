/**
 * Real n8n for the end-to-end suite: installs n8n 2.8.4 (the newest that runs on Node 20) outside
 * the repository, cached by its lockfile; installs this package from its `npm pack` tarball the way
 * n8n installs community packages; and runs n8n's CLI in a fresh user folder per run.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';

export const REPO = path.resolve(__dirname, '..', '..');
const MANIFEST_DIR = path.join(REPO, 'e2e', 'n8n');
const PACKAGE_NAME = 'n8n-nodes-kling';

const log = (message: string) => process.stdout.write(`[e2e] ${message}\n`);

/** Where n8n is installed: a folder named after the lockfile's hash, so a changed lockfile reinstalls. */
export function n8nHome(): string {
	const lock = readFileSync(path.join(MANIFEST_DIR, 'package-lock.json'));
	const hash = createHash('sha256').update(lock).update(readFileSync(path.join(MANIFEST_DIR, 'package.json'))).digest('hex');
	const cache = process.env.N8N_E2E_CACHE ?? path.join(homedir(), '.cache', 'n8n-nodes-kling-e2e');
	return path.join(cache, `n8n-${hash.slice(0, 16)}`);
}

export function n8nBin(): string {
	return path.join(n8nHome(), 'node_modules', '.bin', 'n8n');
}

/** Installs n8n once per lockfile (about 3 minutes, 1.7 GB); later runs reuse it. */
export function ensureN8n(): { installed: boolean; seconds: number } {
	const home = n8nHome();
	const marker = path.join(home, '.installed');
	if (existsSync(marker) && existsSync(n8nBin())) return { installed: false, seconds: 0 };
	const started = Date.now();
	rmSync(home, { recursive: true, force: true });
	mkdirSync(home, { recursive: true });
	copyFileSync(path.join(MANIFEST_DIR, 'package.json'), path.join(home, 'package.json'));
	copyFileSync(path.join(MANIFEST_DIR, 'package-lock.json'), path.join(home, 'package-lock.json'));
	log(`installing n8n into ${home} (first run only)…`);
	// --legacy-peer-deps: without it npm spends 25+ minutes resolving langchain peers (see shared notes).
	// npm install (not ci): npm ci rejects this lockfile over optional platform packages it lists without versions.
	execFileSync('npm', ['install', '--legacy-peer-deps', '--no-audit', '--no-fund', '--loglevel=error'], {
		cwd: home,
		stdio: ['ignore', 'inherit', 'inherit'],
	});
	writeFileSync(marker, new Date().toISOString());
	const seconds = Math.round((Date.now() - started) / 1000);
	log(`n8n installed in ${seconds} s`);
	return { installed: true, seconds };
}

/** Builds and packs the package: the tarball n8n would download from npm. */
export function packPackage(): string {
	const out = mkdtempSync(path.join(tmpdir(), 'kling-pack-'));
	execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
	const json = execFileSync('npm', ['pack', '--json', '--pack-destination', out], { cwd: REPO, encoding: 'utf8' });
	const [info] = JSON.parse(json) as Array<{ filename: string; files: Array<{ path: string }> }>;
	return path.join(out, info.filename);
}

export function tarballFiles(tarball: string): string[] {
	return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' })
		.split('\n')
		.filter(Boolean)
		.map((file) => file.replace(/^package\//, ''));
}

export async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

export interface N8nUser {
	folder: string;
	env: NodeJS.ProcessEnv;
	outDir: string;
}

const userFolders: string[] = [];

/** Removes the user folders made by this process (each holds a database and binary data). */
export function removeN8nUsers() {
	for (const folder of userFolders.splice(0)) rmSync(folder, { recursive: true, force: true });
}

/** A fresh n8n user folder with the packed package installed as a community package. */
export async function newN8nUser(tarball: string): Promise<N8nUser> {
	const folder = mkdtempSync(path.join(tmpdir(), 'kling-n8n-user-'));
	userFolders.push(folder);
	const nodesDir = path.join(folder, '.n8n', 'nodes');
	const target = path.join(nodesDir, 'node_modules', PACKAGE_NAME);
	mkdirSync(target, { recursive: true });
	execFileSync('tar', ['-xzf', tarball, '-C', target, '--strip-components=1']);
	writeFileSync(path.join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { [PACKAGE_NAME]: '*' } }));
	const outDir = path.join(folder, 'out');
	mkdirSync(outDir);
	const env: NodeJS.ProcessEnv = {
		...process.env,
		N8N_USER_FOLDER: folder,
		N8N_ENCRYPTION_KEY: 'e2e-encryption-key-0123456789',
		DB_TYPE: 'sqlite',
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		N8N_RESTRICT_FILE_ACCESS_TO: outDir,
		N8N_SECURE_COOKIE: 'false',
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_OUTPUT: 'console',
	};
	// Under jest NODE_ENV is 'test', which silences n8n's logger (and with it --rawOutput).
	for (const name of ['NODE_OPTIONS', 'NODE_ENV', 'JEST_WORKER_ID']) delete env[name];
	return { folder, env, outDir };
}

/**
 * Runs an n8n CLI command. Asynchronous on purpose: the Kling stand-in runs in this process, and a
 * synchronous spawn would block it from answering n8n.
 */
export async function runN8n(user: N8nUser, args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
	return await new Promise((resolve, reject) => {
		const child = spawn(n8nBin(), args, { env: user.env, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk) => (stdout += chunk));
		child.stderr.on('data', (chunk) => (stderr += chunk));
		const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
		child.once('error', reject);
		child.once('close', (code) => {
			clearTimeout(timer);
			resolve({ status: code ?? -1, stdout, stderr });
		});
	});
}

export async function importCredentials(user: N8nUser, credentials: Array<{ id: string; name: string; type: string; data: object }>) {
	const file = path.join(user.folder, 'credentials.json');
	writeFileSync(file, JSON.stringify(credentials));
	const result = await runN8n(user, ['import:credentials', `--input=${file}`]);
	if (result.status !== 0) throw new Error(`import:credentials failed:\n${result.stdout}\n${result.stderr}`);
}

export async function importWorkflow(user: N8nUser, workflow: object) {
	const file = path.join(user.folder, `workflow-${(workflow as { id: string }).id}.json`);
	writeFileSync(file, JSON.stringify(workflow));
	const result = await runN8n(user, ['import:workflow', `--input=${file}`]);
	if (result.status !== 0) throw new Error(`import:workflow failed:\n${result.stdout}\n${result.stderr}`);
}

/**
 * Records the package in n8n's database the way n8n's community-package installer does
 * (installed_packages + installed_nodes). The CLI runs the package without it, but the editor's node
 * panel only lists community nodes of packages it knows as installed. Needs the database, so call
 * it after the first CLI command (which runs the migrations).
 */
export function registerCommunityPackage(user: N8nUser) {
	const manifest = JSON.parse(readFileSync(path.join(user.folder, '.n8n', 'nodes', 'node_modules', PACKAGE_NAME, 'package.json'), 'utf8')) as {
		version: string;
		author?: { name?: string; email?: string };
		n8n: { nodes: string[] };
	};
	const nodes = manifest.n8n.nodes.map((file) => {
		const className = path.basename(file).replace(/\.node\.js$/, '');
		const name = className.charAt(0).toLowerCase() + className.slice(1);
		return { name: `${PACKAGE_NAME}.${name}`, displayName: className };
	});
	const script = `
import json, sqlite3, sys
db, package, version, author, email, nodes = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], json.loads(sys.argv[6])
c = sqlite3.connect(db)
c.execute('insert into installed_packages ("packageName", "installedVersion", "authorName", "authorEmail") values (?, ?, ?, ?)', (package, version, author, email))
for node in nodes:
    c.execute('insert into installed_nodes ("name", "type", "latestVersion", "package") values (?, ?, 1, ?)', (node['displayName'], node['name'], package))
c.commit()
`;
	execFileSync('python3', [
		'-c',
		script,
		path.join(user.folder, '.n8n', 'database.sqlite'),
		PACKAGE_NAME,
		manifest.version,
		manifest.author?.name ?? '',
		manifest.author?.email ?? '',
		JSON.stringify(nodes),
	]);
}

export interface RunItem {
	json: Record<string, unknown>;
	binary?: Record<string, { fileName?: string; mimeType?: string; bytes?: number; id?: string }>;
}

export interface TaskRun {
	data?: { main: RunItem[][] };
	error?: { message: string };
}

export interface Execution {
	status: number;
	run: {
		data: { resultData: { runData: Record<string, TaskRun[]>; error?: { message: string; description?: string } } };
		status?: string;
	} | null;
	output: string;
}

/**
 * `n8n execute --id … --rawOutput`: the run's JSON comes through the logger at info level, after a
 * few log lines; it is parsed from the first line that starts with `{`. (`--file` is gone in 2.x and
 * exits 0 without running anything, so it is never used.)
 */
export async function executeWorkflow(user: N8nUser, id: string): Promise<Execution> {
	const result = await runN8n(user, ['execute', `--id=${id}`, '--rawOutput']);
	const output = `${result.stdout}\n${result.stderr}`;
	const lines = result.stdout.split('\n');
	const start = lines.findIndex((line) => line.startsWith('{'));
	let run: Execution['run'] = null;
	if (start >= 0) {
		const text = lines.slice(start).join('\n');
		const end = text.lastIndexOf('}');
		try {
			run = JSON.parse(text.slice(0, end + 1));
		} catch {
			run = null;
		}
	}
	return { status: result.status, run, output };
}

/** Items a node put out in the run. Throws (failing the suite) when the run or the node failed. */
export function nodeItems(execution: Execution, nodeName: string) {
	if (execution.status !== 0 || !execution.run) {
		throw new Error(`The workflow run failed (exit ${execution.status}):\n${execution.output.slice(-4000)}`);
	}
	const { resultData } = execution.run.data;
	if (resultData.error) throw new Error(`The workflow run failed: ${resultData.error.message}\n${resultData.error.description ?? ''}`);
	const task = resultData.runData[nodeName]?.[0];
	if (!task) throw new Error(`Node "${nodeName}" did not run. Nodes that ran: ${Object.keys(resultData.runData).join(', ')}`);
	if (task.error) throw new Error(`Node "${nodeName}" failed: ${task.error.message}`);
	return task.data?.main[0] ?? [];
}

export function filesIn(dir: string): string[] {
	return existsSync(dir) ? readdirSync(dir) : [];
}

/** Starts `n8n start` on loopback and resolves once the editor answers. */
export async function startN8nServer(user: N8nUser): Promise<{ url: string; stop: () => Promise<void>; output: () => string }> {
	const port = await freePort();
	const env = { ...user.env, N8N_PORT: String(port), N8N_HOST: '127.0.0.1', N8N_LISTEN_ADDRESS: '127.0.0.1', WEBHOOK_URL: `http://127.0.0.1:${port}/` };
	const child = spawn(n8nBin(), ['start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	child.stdout.on('data', (chunk) => (output += chunk));
	child.stderr.on('data', (chunk) => (output += chunk));
	const url = `http://127.0.0.1:${port}`;
	const deadline = Date.now() + 120_000;
	for (;;) {
		if (child.exitCode !== null) throw new Error(`n8n start exited (${child.exitCode}):\n${output.slice(-3000)}`);
		try {
			// Readiness comes before the REST routes are mounted: wait for the settings endpoint.
			// ("n8n is starting up" is answered with 200 too, as plain text.)
			const response = await fetch(`${url}/rest/settings`);
			if (response.ok && (response.headers.get('content-type') ?? '').includes('json')) break;
		} catch {
			// not up yet
		}
		if (Date.now() > deadline) throw new Error(`n8n did not come up in 120 s:\n${output.slice(-3000)}`);
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
	return {
		url,
		output: () => output,
		stop: async () => {
			if (child.exitCode !== null) return;
			child.kill('SIGTERM');
			await new Promise<void>((resolve) => {
				const timer = setTimeout(() => {
					child.kill('SIGKILL');
					resolve();
				}, 15_000);
				child.once('exit', () => {
					clearTimeout(timer);
					resolve();
				});
			});
		},
	};
}
