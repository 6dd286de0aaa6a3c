/**
 * The end-to-end matrix (`npm run test:e2e`): for each n8n version of `e2e/versions.ts`, one after
 * another, installs it (cached), then runs each of its suites in its own jest process. A failing
 * install or suite does not stop the others; the run exits 1 if anything failed, and ends with a
 * table of version × suite, pass/fail and time.
 *
 *   N8N_E2E_VERSIONS=2.41.1,1.123.81   only these versions
 *   N8N_E2E_SUITES=trigger,callback     only these suites
 *   N8N_E2E_CACHE=/some/dir             where n8n and Node 24 are installed (default ~/.cache/n8n-nodes-kling-e2e)
 *   N8N_E2E_SUMMARY=/some/file.json     also write the results as JSON
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

import { cacheRoot, ensureN8n, ensureNode24, packPackage, REPO } from './helpers/n8n';
import { SUITES, VERSIONS, type N8nVersion, type Suite } from './versions';

type Outcome = { result: 'pass' | 'FAIL' | 'skip' | 'n/a'; seconds: number; note?: string };

const wanted = (name: string, list: string | undefined) => !list || list.split(',').map((s) => s.trim()).includes(name);
const versions = VERSIONS.filter((v) => wanted(v.version, process.env.N8N_E2E_VERSIONS));
const suites = (Object.keys(SUITES) as Suite[]).filter((s) => wanted(s, process.env.N8N_E2E_SUITES));
if (versions.length === 0) throw new Error(`N8N_E2E_VERSIONS=${process.env.N8N_E2E_VERSIONS} matches no version of ${VERSIONS.map((v) => v.version).join(', ')}`);

const say = (text: string) => process.stdout.write(`\n[matrix] ${text}\n`);
const since = (started: number) => Math.round((Date.now() - started) / 1000);
const clock = (seconds: number) => (seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`);

function timed<T>(run: () => T): { value?: T; error?: unknown; seconds: number } {
	const started = Date.now();
	try {
		return { value: run(), seconds: since(started) };
	} catch (error) {
		return { error, seconds: since(started) };
	}
}

const wholeStarted = Date.now();
say(`cache: ${cacheRoot()}; versions: ${versions.map((v) => v.version).join(', ')}; suites: ${suites.join(', ')}`);

const rows: Array<{ version: N8nVersion; install: Outcome; suites: Partial<Record<Suite, Outcome>> }> = [];
let node24: Outcome | undefined;

say('build and pack the package once for all versions');
const pack = timed(() => packPackage());
if (pack.error) {
	process.stderr.write(`${String(pack.error)}\n`);
	process.exit(1);
}
const tarball = pack.value!;

for (const version of versions) {
	say(`n8n ${version.version} on Node ${version.node}: install (cached by lockfile hash)`);
	if (version.node === 24 && !node24) {
		const result = timed(() => ensureNode24());
		node24 = { result: result.error ? 'FAIL' : 'pass', seconds: result.seconds, note: result.value?.installed === false ? 'cached' : undefined };
		if (result.error) process.stderr.write(`[matrix] Node 24 install failed: ${String(result.error)}\n`);
	}
	const install = timed(() => ensureN8n(version));
	const row = {
		version,
		install: {
			result: install.error ? 'FAIL' : 'pass',
			seconds: install.seconds,
			note: install.value?.installed === false ? 'cached' : undefined,
		} as Outcome,
		suites: {} as Partial<Record<Suite, Outcome>>,
	};
	rows.push(row);
	if (install.error) process.stderr.write(`[matrix] n8n ${version.version} install failed: ${String(install.error)}\n`);
	for (const suite of suites) {
		if (!version.suites.includes(suite)) {
			row.suites[suite] = { result: 'n/a', seconds: 0 };
			continue;
		}
		if (install.error) {
			row.suites[suite] = { result: 'FAIL', seconds: 0, note: 'install failed' };
			continue;
		}
		say(`n8n ${version.version}: ${suite} (${SUITES[suite]})`);
		const started = Date.now();
		const jest = spawnSync(process.execPath, [path.join(REPO, 'node_modules', 'jest', 'bin', 'jest.js'), '-c', 'jest.e2e.config.js', '--runInBand', SUITES[suite]], {
			cwd: REPO,
			stdio: 'inherit',
			env: { ...process.env, N8N_E2E_VERSION: version.version, N8N_E2E_TARBALL: tarball },
		});
		row.suites[suite] = { result: jest.status === 0 ? 'pass' : 'FAIL', seconds: since(started) };
	}
}

const total = since(wholeStarted);
const header = ['n8n', 'Node', 'install', ...suites, 'total'];
const lines = rows.map(({ version, install, suites: outcomes }) => {
	const cells = suites.map((suite) => {
		const o = outcomes[suite]!;
		return o.result === 'n/a' ? '—' : `${o.result} ${clock(o.seconds)}${o.note ? ` (${o.note})` : ''}`;
	});
	const sum = install.seconds + suites.reduce((acc, suite) => acc + (outcomes[suite]?.seconds ?? 0), 0);
	return [version.version, String(version.node), `${install.result} ${install.note ?? clock(install.seconds)}`, ...cells, clock(sum)];
});
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
const format = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join(' | ');
const table = [
	format(header),
	widths.map((w) => '-'.repeat(w)).join('-|-'),
	...lines.map(format),
	`build + pack ${clock(pack.seconds)}${node24 ? `; Node 24 (npm's node package) ${node24.result} ${node24.note ?? clock(node24.seconds)}` : ''}; whole e2e part ${clock(total)}`,
].join('\n');
say('summary');
process.stdout.write(`${table}\n`);

const failed =
	node24?.result === 'FAIL' || rows.some((row) => row.install.result === 'FAIL' || Object.values(row.suites).some((o) => o?.result === 'FAIL'));
if (process.env.N8N_E2E_SUMMARY) {
	writeFileSync(
		process.env.N8N_E2E_SUMMARY,
		JSON.stringify({ table, total, pack: pack.seconds, node24, rows: rows.map((r) => ({ ...r, version: r.version.version })), failed }, null, 2),
	);
}
process.exit(failed ? 1 : 0);
