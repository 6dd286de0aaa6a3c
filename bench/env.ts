/**
 * Must be the first import of the benchmark: n8n-core reads its binary-data settings from the
 * environment, so they are set here before anything loads n8n-core.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

const n8nCoreLoadedEarly = Object.keys(require.cache).some((file) => file.includes(`${path.sep}n8n-core${path.sep}`));

export const tempRoot = mkdtempSync(path.join(tmpdir(), 'kling-bench-'));
export const userFolder = path.join(tempRoot, 'n8n-user');
export const binaryStoragePath = path.join(tempRoot, 'binary-data');
// Removed however the process ends (normal end, process.exit, or a crash while loading modules).
process.on('exit', () => rmSync(tempRoot, { recursive: true, force: true }));
process.once('SIGINT', () => process.exit(130));
mkdirSync(userFolder, { recursive: true });
mkdirSync(binaryStoragePath, { recursive: true });

const previousMode = process.env.N8N_DEFAULT_BINARY_DATA_MODE;
process.env.N8N_USER_FOLDER = userFolder;
// A fixed key for the throw-away user folder (otherwise n8n-core generates one and says so on stdout).
process.env.N8N_ENCRYPTION_KEY ??= 'kling-bench-throwaway-key';
process.env.N8N_DEFAULT_BINARY_DATA_MODE = 'filesystem';
process.env.N8N_BINARY_DATA_STORAGE_PATH = binaryStoragePath;

export const envSetup = {
	n8nCoreLoadedEarly,
	previousMode: previousMode ?? null,
	how:
		'N8N_DEFAULT_BINARY_DATA_MODE=filesystem and N8N_BINARY_DATA_STORAGE_PATH=<temp> set in bench/env.ts ' +
		'before n8n-core was loaded, then Container.get(BinaryDataService).init()',
};
