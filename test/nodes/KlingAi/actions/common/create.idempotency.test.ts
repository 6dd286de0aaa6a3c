/**
 * Nothing paid for is created twice, also when n8n itself runs the node again: Retry On Fail (after
 * a thrown error, and after an item 0 with Continue On Fail), a re-run of the same execution, and
 * n8n's Retry of a failed execution (a new execution on the failed one's saved data). A task found under the user's own external task ID must be one this item
 * created. Through n8n's engine (its own retry loop) against the stand-in.
 */
import { runKlingNode } from '../../../../helpers/engine';
import { createTasksDirectly, jwtCredentials, type RunError } from '../../../../helpers/kling-test-kit';
import { type KlingStandIn, startKlingStandIn } from '../../../../../stand-in';

let standIn: KlingStandIn;
beforeAll(async () => {
	standIn = await startKlingStandIn({
		callbacks: false,
		// "Clip 1" always fails at Kling: the node then throws (or, with Continue On Fail, outputs an error item).
		plan: (body) => (String(body.prompt).endsWith('Clip 1') || String(body.prompt).endsWith('Clip 0 fails') ? { fail: 'Content policy' } : {}),
	});
});
afterAll(async () => await standIn.close());
beforeEach(() => standIn.reset());

const creates = () => standIn.requests.filter((r) => r.kind === 'create');
const params = (extra: Record<string, unknown> = {}) => ({
	resource: 'textToVideo',
	operation: 'create',
	model: 'kling-v2-6',
	prompt: '={{ "Clip " + $json.n }}',
	waitForCompletion: true,
	pollInterval: 1,
	maxWait: 30,
	...extra,
});
const items = (count: number, suffix: (n: number) => string = () => '') => Array.from({ length: count }, (_, n) => ({ json: { n: `${n}${suffix(n)}` } }));

describe("n8n's Retry On Fail", () => {
	it('3 items, one failing, 3 tries: 3 tasks at Kling, not 9', async () => {
		const result = await runKlingNode({ parameters: params(), credentials: jwtCredentials(standIn), items: items(3), retryOnFail: { maxTries: 3, waitBetweenTries: 1 } });

		expect(result.error?.message).toMatch(/Kling task .* failed: Content policy \[item 1\]/);
		// n8n ran the node 3 times: every try sent its Creates, and Kling kept one task per item.
		expect(creates().length).toBe(9);
		expect(creates().filter((r) => r.code === 0)).toHaveLength(3);
		expect(standIn.tasks.size).toBe(3);
	}, 30_000);

	it('with Continue On Fail and item 0 failing (n8n retries then too): 3 tasks, and the retries carry on with them', async () => {
		const result = await runKlingNode({
			parameters: params(),
			credentials: jwtCredentials(standIn),
			items: items(3, (n) => (n === 0 ? ' fails' : '')).map((item, n) => (n === 1 ? { json: { n: '1 ok' } } : item)),
			continueOnFail: true,
			retryOnFail: { maxTries: 3, waitBetweenTries: 1 },
		});

		expect(result.error).toBeUndefined();
		expect(result.items[0].json.error).toEqual(expect.stringMatching(/failed: Content policy/));
		expect(result.items.slice(1).map((item) => item.json.task_status)).toEqual(['succeed', 'succeed']);
		// n8n did run the node 3 times (item 0 kept its json.error): 9 Creates, 3 tasks
		expect(creates().length).toBe(9);
		expect(standIn.tasks.size).toBe(3);
	}, 30_000);
});

describe("n8n's Retry On Fail, an item that Kling refuses to create", () => {
	it('3 items, one refused at every Create (a model Kling does not know), 3 tries: the 2 that could be created, once each', async () => {
		const result = await runKlingNode({
			parameters: params({ waitForCompletion: false, model: '={{ $json.model }}' }),
			credentials: jwtCredentials(standIn),
			items: [{ json: { n: 0, model: 'kling-v2-6' } }, { json: { n: 1, model: 'kling-v9-imaginary' } }, { json: { n: 2, model: 'kling-v2-6' } }],
			retryOnFail: { maxTries: 3, waitBetweenTries: 1 },
		});

		expect(result.error?.message).toMatch(/\[item 1\]$/);
		// three tries of three Creates; the refused one never made a task, the others made one each
		expect(creates()).toHaveLength(9);
		expect(creates().filter((r) => r.code === 0)).toHaveLength(2);
		expect(standIn.tasks.size).toBe(2);
		expect(new Set([...standIn.tasks.values()].map((task) => task.external_task_id)).size).toBe(2);
		// and the error says where the two tasks are
		for (const task of standIn.tasks.values()) expect(result.error?.description).toContain(task.task_id);
	}, 15_000);
});

describe('a re-run of the same execution (a worker that crashed and ran it again)', () => {
	it('finds the task the first run created, also when the confirming look-up fails once', async () => {
		const first = await runKlingNode({ parameters: params({ waitForCompletion: false }), credentials: jwtCredentials(standIn), items: items(1), executionId: 'exec-42' });
		expect(first.error).toBeUndefined();
		standIn.injectFault({ on: 'get', kind: 'error', status: 500, code: 5000 });

		const again = await runKlingNode({ parameters: params({ waitForCompletion: false }), credentials: jwtCredentials(standIn), items: items(1), executionId: 'exec-42' });

		expect(again.error).toBeUndefined();
		expect(again.items[0].json.task_id).toBe(first.items[0].json.task_id);
		expect(standIn.tasks.size).toBe(1);
		expect(standIn.requests.slice(1).map((r) => `${r.kind} ${r.code}`)).toEqual(['create 1201', 'get 5000', 'get 0']);
	}, 30_000);

	it('another execution makes another task (the ID holds the execution)', async () => {
		await runKlingNode({ parameters: params({ waitForCompletion: false }), credentials: jwtCredentials(standIn), items: items(1), executionId: 'exec-1' });
		await runKlingNode({ parameters: params({ waitForCompletion: false }), credentials: jwtCredentials(standIn), items: items(1), executionId: 'exec-2' });

		const ids = [...standIn.tasks.values()].map((task) => task.external_task_id);
		expect(ids).toHaveLength(2);
		expect(ids[0]).not.toBe(ids[1]);
		expect(ids[0]).toMatch(/^n8n-[0-9a-f]{8}-exec1-/);
	});
});

describe('your own External Task ID', () => {
	it('used before by another task: after a transient 5000 the older task is not passed off as this item\'s', async () => {
		await createTasksDirectly(standIn, 1, () => ({ model_name: 'kling-v2-6', prompt: 'an older, other prompt', external_task_id: 'order-7' }));
		standIn.injectFault({ on: 'create', kind: 'error', status: 500, code: 5000 });

		const { items: out, error } = await runKlingNode({
			parameters: params({ waitForCompletion: false, options: { externalTaskId: 'order-7' } }),
			credentials: jwtCredentials(standIn),
			items: items(1),
		});

		expect(out).toEqual([]);
		const e = error as RunError;
		expect(e.message).toBe('Kling already has a task with the external task ID "order-7", made before this item [item 0]');
		expect(e.description).toMatch(/Use Get with External Task ID "order-7" to see that task/);
		expect(standIn.tasks.size).toBe(1);
		// found by the look-up before the first Create: no Create was sent at all
		expect(standIn.requests.slice(1).map((r) => `${r.kind} ${r.code}`)).toEqual(['get 0']);
	});

	it('used before, and Kling\'s look-up lags (the first look-up misses it): after a transient 5000 the look-up finds the older task, and the item fails with the duplicate-ID error', async () => {
		const [older] = await createTasksDirectly(standIn, 1, () => ({ model_name: 'kling-v2-6', prompt: 'an older, other prompt', external_task_id: 'order-9' }));
		// The older task was made an hour ago (its created_at says so).
		(standIn.tasks.get(older) as unknown as { createdAt: number }).createdAt -= 3600_000;
		standIn.injectFault({ on: 'get', kind: 'error', status: 404, code: 1203, message: 'Resource not found', times: 1 });
		standIn.injectFault({ on: 'create', kind: 'error', status: 500, code: 5000 });

		const { items: out, error } = await runKlingNode({
			parameters: params({ waitForCompletion: false, options: { externalTaskId: 'order-9' } }),
			credentials: jwtCredentials(standIn),
			items: items(1),
		});

		// look-up (missed), Create (5000: may have landed), look-up (finds the older task)
		expect(standIn.requests.slice(1).map((r) => `${r.kind} ${r.code}`)).toEqual(['get 1203', 'create 5000', 'get 0']);
		expect(out).toEqual([]);
		const e = error as RunError;
		expect(e.message).toBe('Kling already has a task with the external task ID "order-9", made before this item [item 0]');
		expect(e.description).toMatch(/Use Get with External Task ID "order-9" to see that task\. To create a new one, give this item another ID/);
		expect(JSON.stringify(error)).not.toContain(older);
		expect(standIn.tasks.size).toBe(1);
	}, 15_000);

	it('is checked before the first Create: a task already under it stops the item, nothing is created', async () => {
		await createTasksDirectly(standIn, 1, () => ({ model_name: 'kling-v2-6', prompt: 'earlier', external_task_id: 'order-8' }));
		const { error } = await runKlingNode({
			parameters: params({ waitForCompletion: false, options: { externalTaskId: 'order-8' } }),
			credentials: jwtCredentials(standIn),
			items: items(1),
		});

		expect((error as RunError).message).toMatch(/external task ID "order-8", made before this item/);
		expect(creates().filter((r) => r.receivedAt > 0)).toHaveLength(1);
	});
});

describe('a Create sent again after a look-up that found nothing', () => {
	it('answered 1201 (the first Create did land): the confirming look-up fails once, is tried again, and the item carries on with its task', async () => {
		// Your own ID: looked up first (nothing), Create dropped after Kling accepted it, the look-up
		// misses the task (Kling's index lags), so the Create is sent again and Kling answers 1201.
		standIn.injectFault({ on: 'get', kind: 'error', status: 404, code: 1203, message: 'Resource not found', times: 2 });
		standIn.injectFault({ on: 'get', kind: 'error', status: 500, code: 5000, times: 1 });
		standIn.injectFault({ on: 'create', kind: 'drop-after-accept' });

		const { items: out, error } = await runKlingNode({
			parameters: params({ waitForCompletion: false, options: { externalTaskId: 'order-11' } }),
			credentials: jwtCredentials(standIn),
			items: items(1),
		});

		expect(error).toBeUndefined();
		expect(standIn.requests.map((r) => `${r.kind} ${r.fault === 'drop-after-accept' ? 'dropped' : r.code}`)).toEqual([
			'get 1203',
			'create dropped',
			'get 1203',
			'create 1201',
			'get 5000',
			'get 0',
		]);
		expect(standIn.tasks.size).toBe(1);
		const [task] = standIn.tasks.values();
		expect(out.map((item) => [item.json.task_id, item.json.external_task_id])).toEqual([[task.task_id, 'order-11']]);
	}, 20_000);
});

describe('an ambiguous Create whose look-ups keep failing', () => {
	it('gives an error that names the external task ID and says to check with Get before running again', async () => {
		standIn.injectFault({ on: 'create', kind: 'drop-after-accept' });
		standIn.injectFault({ on: 'get', kind: 'error', status: 500, code: 5000, times: 5 });

		const { error } = await runKlingNode({
			parameters: params({ waitForCompletion: false, options: { maxTries: 2 } }),
			credentials: jwtCredentials(standIn),
			items: items(1),
		});

		const e = error as RunError;
		const id = [...standIn.tasks.values()][0].external_task_id;
		expect(e.description).toContain(`The Create may have reached Kling: before running this item again, check with Get (Get By: External Task ID, "${id}")`);
		expect(standIn.tasks.size).toBe(1);
	}, 30_000);
});

describe("n8n's Retry of a failed execution (a new execution ID on the saved data)", () => {
	let slow: KlingStandIn;
	beforeAll(async () => {
		// Renders of 2.5 s against a Max Wait of 1 s: the first execution fails with its tasks created and paid for.
		slow = await startKlingStandIn({ callbacks: false, taskDurationMs: 2500 });
	});
	afterAll(async () => await slow.close());
	beforeEach(() => slow.reset());

	it('the retry carries on with the tasks the failed execution created: 3 tasks, not 6', async () => {
		const failed = await runKlingNode({ parameters: params({ maxWait: 1 }), credentials: jwtCredentials(slow), items: items(3), executionId: '101' });
		expect((failed.error as RunError).message).toMatch(/Max Wait|did not finish|within 1 s/i);
		const paid = [...slow.tasks.values()];
		expect(paid).toHaveLength(3);
		expect(paid.every((task) => /^n8n-[0-9a-f]{8}-101-/.test(String(task.external_task_id)))).toBe(true);

		// The user raises Max Wait and retries with the saved workflow.
		const retry = await runKlingNode({ parameters: params({ maxWait: 30 }), credentials: jwtCredentials(slow), executionId: '102', retryOf: failed, retryWithSavedWorkflow: true });

		expect(retry.error).toBeUndefined();
		expect(retry.items.map((item) => item.json.task_status)).toEqual(['succeed', 'succeed', 'succeed']);
		expect(retry.items.map((item) => item.json.task_id)).toEqual(paid.map((task) => task.task_id));
		expect(slow.tasks.size).toBe(3);
		// The retry's Creates were refused as duplicates of the first execution's IDs, and the tasks looked up.
		expect(slow.requests.filter((r) => r.kind === 'create').map((r) => r.code)).toEqual([0, 0, 0, 1201, 1201, 1201]);
	}, 30_000);

	it('retried with the original workflow once the renders are done: the same tasks, downloaded by the retry', async () => {
		const failed = await runKlingNode({ parameters: params({ maxWait: 1 }), credentials: jwtCredentials(slow), items: items(2), executionId: '301' });
		expect(failed.error).toBeDefined();
		await new Promise((resolve) => setTimeout(resolve, 2600));

		const retry = await runKlingNode({ parameters: params({ maxWait: 1 }), credentials: jwtCredentials(slow), executionId: '302', retryOf: failed });

		expect(retry.error).toBeUndefined();
		expect(retry.items.map((item) => item.json.task_status)).toEqual(['succeed', 'succeed']);
		expect(slow.tasks.size).toBe(2);
	}, 30_000);

	it('a new execution with the same input (not a retry) makes new tasks', async () => {
		await runKlingNode({ parameters: params({ maxWait: 1 }), credentials: jwtCredentials(slow), items: items(2), executionId: '201' });
		const again = await runKlingNode({ parameters: params({ waitForCompletion: false }), credentials: jwtCredentials(slow), items: items(2), executionId: '202' });

		expect(again.error).toBeUndefined();
		expect(slow.tasks.size).toBe(4);
		expect(new Set(again.items.map((item) => item.json.task_id)).size).toBe(2);
	}, 30_000);
});
