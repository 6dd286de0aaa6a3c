/**
 * A download is checked on its way into n8n's binary store (filesystem mode, as on a server): an
 * HTML page served with 200 is not a video, a larger answer than Max Video Size is refused early (by
 * Content-Length) or stopped while streaming (chunked), and a stream cut short says which task, how
 * much arrived and what to do. Nothing partial becomes output.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Container } from '@n8n/di';
import { BinaryDataService } from 'n8n-core';

import { runKlingNode } from '../../../helpers/engine';
import { type RunError } from '../../../helpers/kling-test-kit';
import { startKlingStandIn, type KlingStandIn, type TaskPlan } from '../../../../stand-in';

const API_KEY = 'download-checks-key';
const MB = 1024 * 1024;
const storage = mkdtempSync(path.join(tmpdir(), 'kling-binary-checks-'));
let standIn: KlingStandIn;
let plan: Partial<TaskPlan> = {};

beforeAll(async () => {
	process.env.N8N_DEFAULT_BINARY_DATA_MODE = 'filesystem';
	process.env.N8N_BINARY_DATA_STORAGE_PATH = storage;
	await Container.get(BinaryDataService).init();
	standIn = await startKlingStandIn({ apiKeys: [API_KEY], callbacks: false, plan: () => ({ completeAfterPolls: 1, ...plan }) });
});
beforeEach(() => {
	standIn.reset();
	plan = {};
});
afterAll(async () => {
	await standIn.close();
	rmSync(storage, { recursive: true, force: true });
});

let runs = 0;
let executionId = '';
async function createAndDownload(maxVideoSize = 250, continueOnFail = false) {
	executionId = `download-checks-${++runs}`;
	return await runKlingNode({
		parameters: { resource: 'textToVideo', operation: 'create', prompt: 'A kite over the dunes', waitForCompletion: true, pollInterval: 1, downloadVideo: true, maxVideoSize },
		credentials: { authentication: 'apiKey', apiKey: API_KEY, region: 'custom', baseUrl: standIn.url },
		executionId,
		continueOnFail,
	});
}

/** The files n8n's filesystem binary store holds for the last run's execution. */
function storedFiles(): string[] {
	const dir = path.join(storage, 'workflows', 'wf-kling-test', 'executions', executionId, 'binary_data');
	return existsSync(dir) ? readdirSync(dir) : [];
}

describe('Download Video checks what comes back', () => {
	it('an HTML page served with 200 is refused as "not a video", and the item fails', async () => {
		standIn.injectFault({ on: 'download', kind: 'html' });
		const { items, error } = await createAndDownload();

		expect(items).toEqual([]);
		const e = error as RunError;
		expect(e.message).toMatch(/^The video URL of Kling task tk_\S+ answered with text\/html, not a video \[item 0\]$/);
		expect(e.description).toMatch(/Nothing was stored\.$/);
		expect(storedFiles()).toEqual([]);
	});

	it('a Content-Length over Max Video Size is refused before the body is read', async () => {
		plan = { videoBytes: 3 * MB };
		const { error } = await createAndDownload(1);

		const e = error as RunError;
		expect(e.message).toMatch(/is larger than Max Video Size \(3\.0 MB > 1\.0 MB\)/);
		expect(e.description).toMatch(/filesystem or S3 binary data mode/);
		expect(e.description).toMatch(/Nothing was stored\.$/);
		expect(storedFiles()).toEqual([]);
	});

	it('a chunked answer (no Content-Length) that grows past Max Video Size is stopped while streaming', async () => {
		plan = { videoBytes: 3 * MB, videoChunked: true };
		const { error } = await createAndDownload(1);

		expect((error as RunError).message).toMatch(/is larger than Max Video Size \(more than 1\.\d MB > 1\.0 MB\)/);
	});

	it('with Continue On Fail, an answer stopped while streaming leaves no partial file in the item, and does not claim nothing was stored', async () => {
		plan = { videoBytes: 3 * MB, videoChunked: true };
		const { items, error } = await createAndDownload(1, true);

		expect(error).toBeUndefined();
		expect(items).toHaveLength(1);
		expect(items[0].binary).toBeUndefined();
		expect(items[0].json.error).toMatch(/is larger than Max Video Size/);
		// n8n's store received what arrived before the stop; the node cannot delete it, so it must not say "Nothing was stored"
		expect(items[0].error?.description).not.toMatch(/Nothing was stored/);
		expect(items[0].error?.description).toMatch(/not put in the item/);
	});

	it('a stream cut short says which task, how much arrived, and what to do', async () => {
		plan = { videoBytes: 2 * MB };
		standIn.injectFault({ on: 'download', kind: 'truncate', afterBytes: 300_000 });
		const { error } = await createAndDownload();

		const e = error as RunError;
		expect(e.message).toMatch(/^The download of the video of Kling task tk_\S+ was cut short after 0\.\d MB of 2\.0 MB \[item 0\]$/);
		expect(e.description).toMatch(/Run again, or fetch the task later with Get and Download Video: the task and its video are not lost/);
	});

	it('with Continue On Fail, a stream cut short is an error item without binary data, naming the task, the bytes and what to do', async () => {
		plan = { videoBytes: 2 * MB };
		standIn.injectFault({ on: 'download', kind: 'truncate', afterBytes: 300_000 });
		const { items, error } = await createAndDownload(250, true);

		expect(error).toBeUndefined();
		expect(items).toHaveLength(1);
		expect(items[0].binary).toBeUndefined();
		const taskId = [...standIn.tasks.keys()][0];
		expect(items[0].json.error).toMatch(new RegExp(`^The download of the video of Kling task ${taskId} was cut short after 0\\.\\d MB of 2\\.0 MB \\[item 0\\]$`));
		expect(items[0].error?.description).toMatch(/the task and its video are not lost\. The part that arrived was not put in the item\.$/);
		expect(items[0].error?.description).toMatch(/Run again, or fetch the task later with Get and Download Video/);
		expect(items[0].error?.description).not.toMatch(/Nothing was stored/);
	});

	it('an answer that does not start like an MP4 is refused even when it says video/mp4', async () => {
		plan = { videoBytes: 4 };
		const { error } = await createAndDownload();

		expect((error as RunError).message).toMatch(/answered with something that is not an MP4/);
		expect((error as RunError).description).toMatch(/Nothing was stored\.$/);
		// refused on its first bytes, before n8n's store was given anything
		expect(storedFiles()).toEqual([]);
	});

});
