/**
 * Compatibility guard: the node runs against the n8n-workflow of the n8n it is installed in (n8n's
 * community-package installer drops peer dependencies), not the one this project builds with. So every
 * n8n-workflow export the compiled code uses at run time must exist in the n8n-workflow of every n8n
 * the package supports: from n8n 1.123.81 (n8n-workflow 1.120.31) to n8n 2.41.1 (n8n-workflow 2.41.0),
 * as pinned by the e2e matrix's lockfiles (e2e/n8n/<version>/package-lock.json). n8n-workflow 2.34
 * removed `sleepWithAbort`, and a node that used it crashed on n8n 2.34+: this test catches that kind
 * of break without installing n8n.
 *
 * The n8n-workflow versions are installed outside the project's lockfile (an aliased devDependency pulls
 * isolated-vm, whose native build breaks `npm ci` on Node 20): in ~/.cache/n8n-nodes-kling-compat/<version>
 * (N8N_COMPAT_CACHE overrides), with scripts off, once; their exports are read in a child process.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const cache = process.env.N8N_COMPAT_CACHE ?? path.join(homedir(), '.cache', 'n8n-nodes-kling-compat');

/** n8n-workflow exports used at run time by compiled CommonJS code, by file. */
export function n8nWorkflowUses(js: string): string[] {
	const used = new Set<string>();
	const module = String.raw`require\(\s*["']n8n-workflow["']\s*\)`;
	// const n8n_workflow_1 = require("n8n-workflow");  (also through __importStar / __importDefault)
	const aliases = [...js.matchAll(new RegExp(String.raw`(?:const|let|var)\s+([\w$]+)\s*=\s*(?:__import(?:Star|Default)\()?${module}`, 'g'))].map((m) => m[1]);
	for (const alias of aliases) {
		const escaped = alias.replace(/\$/g, '\\$');
		for (const m of js.matchAll(new RegExp(String.raw`(?<![\w$.])${escaped}\s*\.\s*([\w$]+)`, 'g'))) used.add(m[1]);
		for (const m of js.matchAll(new RegExp(String.raw`(?<![\w$.])${escaped}\s*\[\s*["']([\w$]+)["']\s*\]`, 'g'))) used.add(m[1]);
	}
	// const { sleep, NodeApiError: ApiError } = require("n8n-workflow");
	for (const m of js.matchAll(new RegExp(String.raw`(?:const|let|var)\s*\{([^}]*)\}\s*=\s*${module}`, 'g'))) {
		for (const part of m[1].split(',')) {
			const name = part.split(':')[0].trim();
			if (name) used.add(name);
		}
	}
	// require("n8n-workflow").sleep
	for (const m of js.matchAll(new RegExp(String.raw`${module}\s*\.\s*([\w$]+)`, 'g'))) used.add(m[1]);
	used.delete('__esModule');
	used.delete('default');
	return [...used].sort();
}

function jsFiles(dir: string): string[] {
	return readdirSync(dir).flatMap((entry) => {
		const file = path.join(dir, entry);
		if (statSync(file).isDirectory()) return jsFiles(file);
		return file.endsWith('.js') ? [file] : [];
	});
}

/** The n8n-workflow version an e2e manifest's lockfile pins. */
function pinnedBy(n8nVersion: string): string {
	const lock = JSON.parse(readFileSync(path.join(root, 'e2e', 'n8n', n8nVersion, 'package-lock.json'), 'utf8')) as {
		packages: Record<string, { version: string }>;
	};
	const version = lock.packages['node_modules/n8n-workflow']?.version;
	if (!version) throw new Error(`e2e/n8n/${n8nVersion}/package-lock.json pins no n8n-workflow`);
	return version;
}

/** npm's own variables from `npm test` (prefix, lifecycle, …) must not steer the cache's install. */
function cleanEnv(): NodeJS.ProcessEnv {
	return Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name)));
}

/** Installs n8n-workflow@version once into the cache (scripts off) and answers its export names. */
function exportsOf(version: string): Set<string> {
	const home = path.join(cache, version);
	if (!existsSync(path.join(home, '.installed'))) {
		const work = `${home}.partial-${process.pid}`;
		rmSync(work, { recursive: true, force: true });
		mkdirSync(work, { recursive: true });
		writeFileSync(path.join(work, 'package.json'), JSON.stringify({ private: true }));
		execFileSync('npm', ['install', `n8n-workflow@${version}`, '--ignore-scripts', '--legacy-peer-deps', '--no-audit', '--no-fund', '--loglevel=error'], {
			cwd: work,
			env: cleanEnv(),
			stdio: ['ignore', 'ignore', 'pipe'],
		});
		writeFileSync(path.join(work, '.installed'), new Date().toISOString());
		rmSync(home, { recursive: true, force: true });
		renameSync(work, home);
	}
	const names = execFileSync(process.execPath, ['-e', 'process.stdout.write(JSON.stringify(Object.keys(require("n8n-workflow"))))'], {
		cwd: home,
		env: cleanEnv(),
		encoding: 'utf8',
	});
	return new Set(JSON.parse(names) as string[]);
}

const SUPPORTED = [
	{ n8n: '1.123.81', role: 'oldest' },
	{ n8n: '2.8.4', role: 'the e2e default' },
	{ n8n: '2.41.1', role: 'newest' },
].map((s) => ({ ...s, workflow: pinnedBy(s.n8n) }));

let uses: Map<string, string[]>;
const exported = new Map<string, Set<string>>();

beforeAll(() => {
	// N8N_COMPAT_DIST checks an existing build instead (e.g. an older release's dist/).
	if (process.env.N8N_COMPAT_DIST) {
		const dist = path.resolve(process.env.N8N_COMPAT_DIST);
		uses = new Map(jsFiles(dist).map((file) => [path.relative(dist, file), n8nWorkflowUses(readFileSync(file, 'utf8'))]));
	} else {
		// Compiled into a folder of its own: package.test.ts builds dist/ at the same time in another worker.
		const out = mkdtempSync(path.join(tmpdir(), 'kling-compat-build-'));
		try {
			execFileSync(process.execPath, [path.join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', out], { cwd: root, stdio: 'pipe' });
			uses = new Map(jsFiles(out).map((file) => [path.relative(out, file), n8nWorkflowUses(readFileSync(file, 'utf8'))]));
		} finally {
			rmSync(out, { recursive: true, force: true });
		}
	}
	for (const { workflow } of SUPPORTED) exported.set(workflow, exportsOf(workflow));
}, 300_000);

describe('n8n-workflow exports the compiled package uses', () => {
	it('are found in the compiled code (the collector sees the usual imports)', () => {
		const all = new Set([...uses.values()].flat());
		expect([...all]).toEqual(expect.arrayContaining(['NodeApiError', 'NodeOperationError', 'NodeConnectionTypes']));
	});

	it.each(SUPPORTED.map((s) => [s.workflow, s.n8n, s.role] as const))('all exist in n8n-workflow %s (n8n %s, %s)', (workflow) => {
		const names = exported.get(workflow)!;
		const missing = [...uses].flatMap(([file, used]) => used.filter((name) => !names.has(name)).map((name) => `${file}: ${name}`));
		expect(missing).toEqual([]);
	});
});

describe('the guard itself', () => {
	it('collects member accesses, destructured requires and direct property reads', () => {
		const js = [
			'"use strict";',
			'const n8n_workflow_1 = require("n8n-workflow");',
			'const { sleep, NodeApiError: ApiError } = require(\'n8n-workflow\');',
			'const other = require("n8n-workflow").randomString;',
			'const star = __importStar(require("n8n-workflow"));',
			'async function wait(signal) { await (0, n8n_workflow_1.sleepWithAbort)(1000, signal); throw new n8n_workflow_1.NodeOperationError(); }',
			'star.jsonParse("{}"); not_n8n_workflow_1.ignored(); x.n8n_workflow_1.alsoIgnored;',
		].join('\n');
		expect(n8nWorkflowUses(js)).toEqual(['NodeApiError', 'NodeOperationError', 'jsonParse', 'randomString', 'sleep', 'sleepWithAbort']);
	});

	it('flags sleepWithAbort against the newest n8n-workflow, which removed it (and not against 1.x, which has it)', () => {
		const [oldest, , newest] = SUPPORTED;
		const snippet = n8nWorkflowUses('const n8n_workflow_1 = require("n8n-workflow");\n(0, n8n_workflow_1.sleepWithAbort)(1000, signal);');
		expect(snippet.filter((name) => !exported.get(newest.workflow)!.has(name))).toEqual(['sleepWithAbort']);
		expect(snippet.filter((name) => !exported.get(oldest.workflow)!.has(name))).toEqual([]);
	});
});
