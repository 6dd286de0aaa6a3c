/**
 * The external task ID the node makes for every Create (helpers/externalTaskId.ts), seen where it
 * matters: in the Create requests the stand-in receives from the node run by n8n's engine. It must be
 * the same for the same item of the same node in the same execution and run (so n8n's Retry On Fail
 * finds the task its first try created), and different across executions, loops (run index), n8n
 * instances (instance ID) and nodes, so that unrelated items never share a task.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Container } from '@n8n/di';
import { InstanceSettings } from 'n8n-core';

import { runKlingNode, type RunOptions } from '../../../helpers/engine';
import { createBodies, createParams, jwtCredentials } from '../../../helpers/kling-test-kit';
import { type KlingStandIn, startKlingStandIn } from '../../../../stand-in';

let standIn: KlingStandIn;
beforeAll(async () => {
	standIn = await startKlingStandIn({ callbacks: false });
});
afterAll(async () => await standIn.close());
beforeEach(() => standIn.reset());

/** `n8n-<instance>-<execution>-<node>-<run>-<item>-<body>`, as the node documents it. */
const SHAPE = /^n8n-([0-9a-f]{8})-([A-Za-z0-9]+)-([A-Za-z0-9]{1,8})-(\d+)-(\d+)-([0-9a-f]{8})$/;

function parts(id: unknown) {
	const match = SHAPE.exec(String(id));
	if (!match) throw new Error(`not an external task ID the node makes: ${String(id)}`);
	const [, instance, execution, node, run, item, body] = match;
	return { instance, execution, node, run: Number(run), item: Number(item), body };
}

const sentIds = () => createBodies(standIn).map((body) => String(body.external_task_id));
const items = (count: number) => Array.from({ length: count }, () => ({ json: {} }));

async function create(extra: Partial<RunOptions> = {}) {
	const result = await runKlingNode({ parameters: createParams({ model: 'kling-v2-6' }), credentials: jwtCredentials(standIn), items: items(1), ...extra });
	expect(result.error).toBeUndefined();
	return result;
}

describe('the external task ID the node makes', () => {
	it("has its documented shape, and is the same on every try of n8n's Retry On Fail (same execution, run, node, item)", async () => {
		// The first Create to arrive is refused for good (content policy): the node throws, n8n runs it again.
		standIn.injectFault({ on: 'create', kind: 'error', status: 400, code: 1301, message: 'Failure to pass the risk control system', times: 1 });

		const result = await create({ items: items(3), executionId: 'exec-77', retryOnFail: { maxTries: 3, waitBetweenTries: 1 } });

		const ids = sentIds();
		// try 1 sent three Creates (one refused), try 2 sent the same three IDs again
		expect(ids).toHaveLength(6);
		expect(new Set(ids.slice(0, 3))).toEqual(new Set(ids.slice(3)));
		expect(new Set(ids).size).toBe(3);
		for (const id of ids) expect(parts(id)).toMatchObject({ execution: 'exec77', node: 'klingnod', run: 0 });
		expect(new Set(ids.map((id) => parts(id).item))).toEqual(new Set([0, 1, 2]));
		// one task per item, each item carrying on with its own
		expect(standIn.tasks.size).toBe(3);
		expect(result.items.map((item) => item.json.external_task_id)).toEqual([0, 1, 2].map((n) => ids.find((id) => parts(id).item === n)));
	}, 15_000);

	it('differs across executions, in the execution part only', async () => {
		await create({ executionId: 'exec-1' });
		await create({ executionId: 'exec-2' });

		const [first, second] = sentIds().map(parts);
		expect(first).toEqual({ ...second, execution: 'exec1' });
		expect(second.execution).toBe('exec2');
		expect(standIn.tasks.size).toBe(2);
	});

	it('differs across runs of the node in one execution (a loop), in the run index only', async () => {
		const result = await create({ executionId: 'exec-loop', runs: 2 });

		expect(result.runs).toHaveLength(2);
		const [run0, run1] = sentIds().map(parts);
		expect(run0.run).toBe(0);
		expect(run1).toEqual({ ...run0, run: 1 });
		expect(result.runs[0][0].json.task_id).not.toBe(result.runs[1][0].json.task_id);
		expect(standIn.tasks.size).toBe(2);
	});

	it('differs across nodes of one workflow, in the node part only', async () => {
		await create({ executionId: 'exec-n', nodeId: 'a1b2c3d4-node' });
		await create({ executionId: 'exec-n', nodeId: 'e5f6a7b8-node' });

		const [first, second] = sentIds().map(parts);
		expect(first).toEqual({ ...second, node: 'a1b2c3d4' });
		expect(second.node).toBe('e5f6a7b8');
	});

	it('differs across n8n instances sharing a Kling account (their execution IDs overlap), in the instance part only', async () => {
		const original = Container.get(InstanceSettings);
		const folder = mkdtempSync(path.join(tmpdir(), 'kling-other-instance-'));
		try {
			await create({ executionId: '1' });
			// A second n8n instance: its own user folder, so its own encryption key and instance ID.
			const config = (original as unknown as { config: object }).config;
			const logger = (original as unknown as { logger: unknown }).logger;
			const other = new InstanceSettings({ ...config, n8nFolder: folder, encryptionKey: '' } as never, logger as never);
			expect(other.instanceId).not.toBe(original.instanceId);
			Container.set(InstanceSettings, other);
			await create({ executionId: '1' });
		} finally {
			Container.set(InstanceSettings, original);
			rmSync(folder, { recursive: true, force: true });
		}

		const [first, second] = sentIds().map(parts);
		expect(first.instance).not.toBe(second.instance);
		expect(first).toEqual({ ...second, instance: first.instance });
		expect(standIn.tasks.size).toBe(2);
	});
});
