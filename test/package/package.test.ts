/**
 * The package as npm would publish it: `npm pack` holds only dist/, README, LICENSE and
 * package.json, with both nodes, the credential, their codex files and both icons; package.json
 * keeps n8n's community-package rules (no runtime dependencies, n8n-workflow as the only peer).
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');
const manifest = require('../../package.json') as {
	dependencies?: Record<string, string>;
	peerDependencies?: Record<string, string>;
	files: string[];
	keywords: string[];
	license: string;
	n8n: { n8nNodesApiVersion: number; strict: boolean; nodes: string[]; credentials: string[] };
};

let files: string[];

beforeAll(() => {
	execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'ignore' });
	const [pack] = JSON.parse(execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: root, encoding: 'utf8' })) as Array<{
		files: Array<{ path: string }>;
	}>;
	files = pack.files.map((file) => file.path);
}, 120_000);

describe('the published package', () => {
	it('holds only dist/, README.md, LICENSE and package.json', () => {
		expect(files.filter((file) => !/^(dist\/|README\.md$|LICENSE$|package\.json$)/.test(file))).toEqual([]);
		expect(files).toEqual(expect.arrayContaining(['README.md', 'LICENSE', 'package.json']));
	});

	it('holds every node and credential n8n is told about, with codex files and both icons', () => {
		for (const entry of [...manifest.n8n.nodes, ...manifest.n8n.credentials]) {
			expect(files).toContain(entry);
			expect(existsSync(path.join(root, entry))).toBe(true);
		}
		for (const node of manifest.n8n.nodes) expect(files).toContain(node.replace(/\.js$/, '.json'));
		expect(files).toEqual(expect.arrayContaining(['dist/icons/kling.svg', 'dist/icons/kling.dark.svg']));
		expect(files.some((file) => /(^|\/)test\/|\.test\.|stand-in/.test(file))).toBe(false);
	});

	it('follows n8n\'s community-package rules', () => {
		expect(manifest.dependencies ?? {}).toEqual({});
		expect(manifest.peerDependencies).toEqual({ 'n8n-workflow': '*' });
		expect(manifest.keywords).toContain('n8n-community-node-package');
		expect(manifest.license).toBe('MIT');
		expect(manifest.files).toEqual(['dist']);
		expect(manifest.n8n).toMatchObject({ n8nNodesApiVersion: 1, strict: true });
	});
});
