/**
 * The end-to-end matrix: which n8n versions the package is tested in, on which Node, and how each is
 * installed. Each version has a manifest folder `e2e/n8n/<version>/` (package.json with the reasons for
 * its pins, and a committed package-lock.json).
 */
export type Suite = 'examples' | 'callback' | 'trigger' | 'retry' | 'editor' | 'queue';

export const SUITES: Readonly<Record<Suite, string>> = {
	examples: 'e2e/workflows.e2e.ts',
	callback: 'e2e/callback.e2e.ts',
	trigger: 'e2e/trigger.e2e.ts',
	retry: 'e2e/retry.e2e.ts',
	editor: 'e2e/editor.e2e.ts',
	// n8n in queue mode: PostgreSQL and Redis (Debian's packages), main, two workers, a webhook processor.
	queue: 'e2e/queue-mode.e2e.ts',
};

export interface N8nVersion {
	version: string;
	major: number;
	/** 20: the machine's Node (jest's); 24: npm's `node` package, only for the spawned n8n processes. */
	node: 20 | 24;
	/** Extra flags for `npm install --legacy-peer-deps`. */
	install: string[];
	/** `npm rebuild` runs after the install (native modules built against the version's Node). */
	rebuild: string[][];
	/** The suites that run on this version. */
	suites: Suite[];
	/** Binary data in items: 2.x stores it (filesystem mode, with `bytes`), 1.x keeps it inline as base64. */
	binaryData: 'filesystem' | 'inline';
	/** Where the editor check writes its screenshots: docs/ for the newest version only. */
	screenshots?: boolean;
}

// With scripts on, n8n 2.41's Kafka node's native client tries to download a binary and the whole install
// rolls back; so the Node 24 versions install without scripts and rebuild what n8n needs.
const NODE24_REBUILD = [['sqlite3'], ['@parcel/watcher', 'protobufjs', '@sentry/node-cpu-profiler', '@sentry/node-native-stacktrace', 'msgpackr-extract']];

export const VERSIONS: readonly N8nVersion[] = [
	{
		version: '2.8.4',
		major: 2,
		node: 20,
		install: [],
		rebuild: [],
		suites: ['examples', 'callback', 'trigger', 'retry', 'editor', 'queue'],
		binaryData: 'filesystem',
	},
	{
		version: '2.41.1',
		major: 2,
		node: 24,
		install: ['--ignore-scripts'],
		rebuild: NODE24_REBUILD,
		suites: ['examples', 'callback', 'trigger', 'retry', 'editor', 'queue'],
		binaryData: 'filesystem',
		screenshots: true,
	},
	{
		version: '1.123.81',
		major: 1,
		node: 24,
		install: ['--ignore-scripts'],
		rebuild: NODE24_REBUILD,
		suites: ['examples', 'callback', 'trigger', 'retry'],
		binaryData: 'inline',
	},
];

export const DEFAULT_VERSION = '2.8.4';

export function versionNamed(name: string): N8nVersion {
	const version = VERSIONS.find((v) => v.version === name);
	if (!version) throw new Error(`Unknown n8n version ${name}: the matrix has ${VERSIONS.map((v) => v.version).join(', ')} (e2e/versions.ts)`);
	return version;
}

/** The version a jest run tests: N8N_E2E_VERSION, default 2.8.4. */
export function currentVersion(): N8nVersion {
	return versionNamed(process.env.N8N_E2E_VERSION || DEFAULT_VERSION);
}
