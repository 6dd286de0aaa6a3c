/**
 * Kling's error answers become NodeApiErrors that say what happened (message, with the code) and
 * how to fix it (description), for every code of the API, for answers that are not Kling's JSON at
 * all, and without ever showing a key or a token.
 *
 * The node retries (with a backoff of 1 s and more) the failures that can pass: codes 1302, 1303 and
 * 5000–5002, and bodies a gateway may garble for a moment. Those are checked through Create with
 * Max Tries 1, which fails at the first answer; Get and Get Many have no Max Tries and would keep
 * trying for minutes, so for them only a single fault that a retry gets past is used.
 */
import { isRetryableKlingCode, KLING_ERRORS } from '../../../../nodes/KlingAi/transport/errors';
import { runKlingNode } from '../../../helpers/engine';
import {
	ACCESS_KEY,
	API_KEY,
	apiKeyCredentials,
	createParams,
	createTasksDirectly,
	expectNoSecrets,
	getManyParams,
	getParams,
	jwtCredentials,
	SECRET_KEY,
	type RunError,
} from '../../../helpers/kling-test-kit';
import { type Fault, type KlingStandIn, startKlingStandIn } from '../../../../stand-in';

/** HTTP status of each body code, from the error table of the API (kling-api-facts.md). */
const HTTP_STATUS_OF_CODE: Record<number, number> = {
	1000: 401,
	1001: 401,
	1002: 401,
	1003: 401,
	1004: 401,
	1100: 429,
	1101: 429,
	1102: 429,
	1103: 403,
	1200: 400,
	1201: 400,
	1202: 404,
	1203: 404,
	1300: 400,
	1301: 400,
	1302: 429,
	1303: 429,
	1304: 429,
	5000: 500,
	5001: 503,
	5002: 504,
};

/** The codes the facts table marks "retry: yes". */
const RETRYABLE_CODES = [1302, 1303, 5000, 5001, 5002];

/** What n8n's RoutingNode puts in place of the message of any error with statusCode 429. */
const N8N_429_MESSAGE = "Try spacing your requests out using the batching settings under 'Options'";

describe('Kling error answers', () => {
	let standIn: KlingStandIn;

	beforeAll(async () => {
		standIn = await startKlingStandIn({ apiKeys: [API_KEY], callbacks: false });
	});
	afterAll(async () => {
		await standIn.close();
	});
	beforeEach(() => standIn.reset());

	/** Runs Get with one injected fault and returns the run's error. */
	async function getWithFault(fault: Fault, credentials = jwtCredentials(standIn)): Promise<RunError> {
		standIn.injectFault(fault);
		const result = await runKlingNode({ parameters: getParams({ taskId: 'task-1' }), credentials });
		expect(result.items).toEqual([]);
		expect(result.error).toBeDefined();
		return result.error as RunError;
	}

	/** Runs Create with Max Tries 1 (no retry) and one injected fault; returns the run's error. */
	async function createWithFault(fault: Fault, credentials = jwtCredentials(standIn)): Promise<RunError> {
		standIn.injectFault(fault);
		const result = await runKlingNode({
			parameters: createParams({ model: 'kling-v1', options: { maxTries: 1 } }),
			credentials,
		});
		expect(result.items).toEqual([]);
		expect(result.error).toBeDefined();
		expect(standIn.requests).toHaveLength(1);
		return result.error as RunError;
	}

	/** The fault's answer, through the operation that shows it without retrying. */
	const failWith = (code: number, fault: Fault) =>
		RETRYABLE_CODES.includes(code) ? createWithFault({ ...fault, on: 'create' }) : getWithFault(fault);

	it('knows every code of the API error table', () => {
		expect(Object.keys(KLING_ERRORS).map(Number).sort()).toEqual(Object.keys(HTTP_STATUS_OF_CODE).map(Number).sort());
	});

	it('retries exactly the codes the table marks as retryable, by body code and not by HTTP status', () => {
		const retried = Object.keys(HTTP_STATUS_OF_CODE).map(Number).filter(isRetryableKlingCode);
		expect(retried).toEqual(RETRYABLE_CODES);
	});

	// 1303 on Create is not a failure but a wait for a free slot (see the queue suite); the others fail.
	describe.each(Object.keys(KLING_ERRORS).map(Number).filter((code) => code !== 1303))('code %i', (code) => {
		const status = HTTP_STATUS_OF_CODE[code];
		const klingSaid = `stand-in says ${code} happened`;

		const via = RETRYABLE_CODES.includes(code) ? 'Create with Max Tries 1' : 'Get';

		it(`(HTTP ${status}, through ${via}) fails with a NodeApiError: what happened and the code, the fix, and no secret`, async () => {
			const error = await failWith(code, { on: 'get', kind: 'error', status, code, message: klingSaid });

			expect(error.name).toBe('NodeApiError');
			expect(error.httpCode).toBe(String(status));
			// the node's own words for this code, then the code (Create adds the item)
			expect(error.message.replace(/ \[item 0\]$/, '')).toBe(`${KLING_ERRORS[code].message} (code ${code})`);
			expect(error.message).not.toContain(klingSaid);
			expect(error.message).not.toBe(N8N_429_MESSAGE);
			// the fix, then what Kling said and the request ID for support
			expect(error.description).toMatch(new RegExp(`^${escape(KLING_ERRORS[code].fix)}`));
			expect(error.description).toContain(`Kling said: "${klingSaid}"`);
			expect(error.description).toMatch(/request ID req_[0-9a-f]+/);
			expectNoSecrets(error, [SECRET_KEY, API_KEY, ACCESS_KEY]);
		});
	});

	it('gives each code its own message', () => {
		const messages = Object.values(KLING_ERRORS).map((info) => info.message);
		expect(new Set(messages).size).toBe(messages.length);
		for (const info of Object.values(KLING_ERRORS)) expect(info.fix.length).toBeGreaterThan(15);
	});

	describe('wording users rely on', () => {
		it('1004 (token expired) points at the host clock', async () => {
			const error = await getWithFault({ on: 'get', kind: 'error', status: 401, code: 1004, message: 'token expired' });
			expect(error.message).toMatch(/expired/i);
			expect(error.description).toMatch(/clock/i);
		});

		it('1003 (token not yet valid) points at the host clock', async () => {
			const error = await getWithFault({ on: 'get', kind: 'error', status: 401, code: 1003, message: 'nbf' });
			expect(error.description).toMatch(/clock/i);
		});

		it('1102 talks about the resource pack', async () => {
			const error = await getWithFault({ on: 'get', kind: 'error', status: 429, code: 1102, message: 'pack' });
			expect(error.message).toMatch(/resource pack/i);
			expect(error.description).toMatch(/resource pack/i);
		});

		it('1301 talks about content safety and the prompt', async () => {
			const error = await getWithFault({ on: 'get', kind: 'error', status: 400, code: 1301, message: 'risk' });
			expect(error.message).toMatch(/content[- ]safety/i);
			expect(`${error.message} ${error.description}`).toMatch(/prompt/i);
		});

		it('1201 about a duplicate external_task_id says external task IDs must be unique', async () => {
			const error = await getWithFault({
				on: 'get',
				kind: 'error',
				status: 400,
				code: 1201,
				message: 'duplicate external_task_id: "order-1" is already used',
			});
			expect(error.message).toMatch(/external task ID/i);
			expect(error.message).toContain('(code 1201)');
			expect(error.description).toMatch(/unique/i);
		});

		it('1201 about another value keeps the general wording', async () => {
			const error = await getWithFault({ on: 'get', kind: 'error', status: 400, code: 1201, message: 'cfg_scale out of range' });
			expect(error.description).not.toMatch(/unique/i);
		});

		it('1202 says to check the Base URL and Path Prefix', async () => {
			const error = await getWithFault({ on: 'get', kind: 'error', status: 404, code: 1202, message: 'bad path' });
			expect(error.description).toMatch(/Base URL/);
			expect(error.description).toMatch(/Path Prefix/);
		});
	});

	it('treats HTTP 200 with a non-zero code as an error', async () => {
		const error = await getWithFault({ on: 'get', kind: 'error', status: 200, code: 1301, message: 'blocked' });

		expect(error.name).toBe('NodeApiError');
		expect(error.message).toContain('(code 1301)');
		expect(error.httpCode).toBe('200');
	});

	it('gives a clear error for a code it does not know', async () => {
		const error = await getWithFault({ on: 'get', kind: 'error', status: 400, code: 4242, message: 'brand new failure' });

		expect(error.name).toBe('NodeApiError');
		expect(error.message).toMatch(/Kling answered with an error \(HTTP 400\)/);
		expect(error.message).toContain('(code 4242)');
		expect(error.description).toContain('Kling said: "brand new failure"');
		expect(error.description).toMatch(/Check/);
	});

	describe('answers that are not Kling JSON', () => {
		test.each([
			['garbage', /^Kling answered with text that is not JSON \("not json\{\{"\) \(HTTP 200\)/],
			['html', /^Kling answered with an HTML page \(HTTP 502\)/],
			['empty', /^Kling answered with an empty body \(HTTP 200\)/],
			['no-data', /^Kling answered without data/],
		] as const)('%s: a NodeApiError that says what came back, never a TypeError', async (kind, what) => {
			const error = await createWithFault({ on: 'create', kind });

			expect(error.name).toBe('NodeApiError');
			expect(error.message).toMatch(what);
			expect(error.message).not.toMatch(/TypeError|Cannot read|undefined/);
			expect(error.description).toMatch(/Base URL|Path Prefix|proxy/);
			expectNoSecrets(error);
		});

		test.each([
			['get', 'html'],
			['list', 'garbage'],
		] as const)('a garbled answer to a %s (%s) is retried and the run succeeds', async (on, kind) => {
			const ids = await createTasksDirectly(standIn, 1);
			standIn.requests.length = 0;
			standIn.injectFault({ on, kind });
			const parameters = on === 'get' ? getParams({ taskId: ids[0] }) : getManyParams({ returnAll: true });

			const result = await runKlingNode({ parameters, credentials: jwtCredentials(standIn) });

			expect(result.error).toBeUndefined();
			expect(result.items[0].json.task_id).toBe(ids[0]);
			expect(standIn.requests.map((r) => r.kind)).toEqual([on, on]);
		});
	});

	it('code 1303 on Create waits for a slot instead of failing, and the item is created once', async () => {
		standIn.injectFault({ on: 'create', kind: 'error', status: 429, code: 1303, message: 'over the limit' });
		const result = await runKlingNode({ parameters: createParams({ model: 'kling-v1', pollInterval: 1, options: { maxTries: 1 } }), credentials: jwtCredentials(standIn) });

		expect(result.error).toBeUndefined();
		expect(result.items[0].json.task_id).toEqual(expect.any(String));
		expect(standIn.requests.filter((r) => r.kind === 'create').map((r) => r.code)).toEqual([1303, 0]);
		expect(standIn.tasks.size).toBe(1);
	});

	describe('HTTP 429', () => {
		// n8n's own 429 text ("batching settings") must never replace the node's message; the
		// non-retryable 429 codes fail at once and show that ours survives.
		test.each([1100, 1101, 1102, 1304])('code %i on Get keeps the node\'s own message, without a retry', async (code) => {
			const error = await getWithFault({ on: 'get', kind: 'error', status: 429, code, message: 'account issue' });

			expect(error.message).toBe(`${KLING_ERRORS[code].message} (code ${code}) [item 0]`);
			expect(error.message).not.toContain('batching settings');
			expect(standIn.requests).toHaveLength(1);
		});

		it('code 1102 on Get Many keeps the node\'s own message', async () => {
			standIn.injectFault({ on: 'list', kind: 'error', status: 429, code: 1102, message: 'pack used up' });
			const result = await runKlingNode({ parameters: getManyParams({ returnAll: true }), credentials: jwtCredentials(standIn) });

			expect(result.error?.message).toBe(`${KLING_ERRORS[1102].message} (code 1102) [item 0]`);
			expect(result.error?.description).toContain('Kling said: "pack used up"');
		});

		test.each([1302])('code %i on Create keeps the node\'s own message', async (code) => {
			const error = await createWithFault({ on: 'create', kind: 'error', status: 429, code, message: 'too many' });

			expect(error.message).toBe(`${KLING_ERRORS[code].message} (code ${code}) [item 0]`);
			expect(error.description).toContain('Kling said: "too many"');
		});

		it('code 1302 on Get is sent again after a wait, and the run succeeds', async () => {
			const [id] = await createTasksDirectly(standIn, 1);
			standIn.requests.length = 0;
			standIn.injectFault({ on: 'get', kind: 'error', status: 429, code: 1302, message: 'slow down' });

			const result = await runKlingNode({ parameters: getParams({ taskId: id }), credentials: jwtCredentials(standIn) });

			expect(result.error).toBeUndefined();
			expect(standIn.requests.map((r) => r.code)).toEqual([1302, 0]);
			expect(standIn.requests[1].receivedAt - standIn.requests[0].receivedAt).toBeGreaterThanOrEqual(900);
		});
	});

	describe('no secret in any error', () => {
		const faults: Array<[string, Fault, boolean]> = [
			// label, fault, whether Get and Get Many would retry it (then only Create is run)
			['401 / 1000', { on: 'any', kind: 'error', status: 401, code: 1000, message: 'auth failed' }, false],
			['400 / 1201', { on: 'any', kind: 'error', status: 400, code: 1201, message: 'bad value' }, false],
			['403 / 1103', { on: 'any', kind: 'error', status: 403, code: 1103, message: 'no permission' }, false],
			['500 / 5000', { on: 'any', kind: 'error', status: 500, code: 5000, message: 'boom' }, true],
			['HTML', { on: 'any', kind: 'html' }, true],
			['garbage', { on: 'any', kind: 'garbage' }, true],
		];

		test.each(faults)('%s, for each operation it fails and both kinds of credential', async (_label, fault, retried) => {
			const runs = [
				{ parameters: createParams({ model: 'kling-v1', options: { maxTries: 1 } }) },
				...(retried
					? []
					: [{ parameters: getParams({ taskId: 'task-1' }) }, { parameters: getManyParams({ returnAll: true }) }]),
			];
			for (const credentials of [jwtCredentials(standIn), apiKeyCredentials(standIn)]) {
				for (const run of runs) {
					standIn.reset();
					standIn.injectFault(fault);
					const result = await runKlingNode({ ...run, credentials });
					expect(result.error).toBeDefined();
					expectNoSecrets(result.error, [SECRET_KEY, API_KEY]);
					// nor the very token that was sent
					const sent = String(standIn.requests[0].headers.authorization).slice('Bearer '.length);
					expect(JSON.stringify(result.error)).not.toContain(sent);
				}
			}
		});
	});
});

function escape(text: string) {
	return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
