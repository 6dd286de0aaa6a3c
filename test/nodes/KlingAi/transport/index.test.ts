/**
 * The transport, through n8n's engine: secrets echoed back by a proxy or a gateway never reach an
 * error, the run data or n8n's log; a wrong address fails at once and says what to check; a custom
 * Base URL that cannot work is refused before anything is sent; Stop ends Get's retries.
 */
import { LoggerProxy } from 'n8n-workflow';

import { runKlingNode, startKlingNode } from '../../../helpers/engine';
import { API_KEY, apiKeyCredentials, createParams, getParams, jwtCredentials, SECRET_KEY, type RunError } from '../../../helpers/kling-test-kit';
import { type Fault, type KlingStandIn, startKlingStandIn } from '../../../../stand-in';

let standIn: KlingStandIn;
const logged: string[] = [];
beforeAll(async () => {
	standIn = await startKlingStandIn({ callbacks: false, apiKeys: [API_KEY] });
	const record = (level: string) => (message: string, meta?: object) => logged.push(`${level} ${message} ${meta ? JSON.stringify(meta) : ''}`);
	LoggerProxy.init({
		error: record('error'),
		warn: record('warn'),
		info: record('info'),
		debug: record('debug'),
		verbose: record('verbose'),
		scoped: () => LoggerProxy,
	} as unknown as Parameters<typeof LoggerProxy.init>[0]);
});
afterAll(async () => await standIn.close());
beforeEach(() => standIn.reset());

/** Every secret form: the keys, any JWT or its beginning, any Bearer value. */
function leaks(text: string): string[] {
	const found: string[] = [];
	if (text.includes(SECRET_KEY)) found.push('secret key');
	if (text.includes(API_KEY)) found.push('API key');
	if (/eyJ[A-Za-z0-9_-]{4,}/.test(text)) found.push('JWT');
	if (/Bearer\s+(?!\[redacted\])[A-Za-z0-9._~+/=-]{8,}/.test(text)) found.push('Bearer value');
	return found;
}

describe('a proxy or gateway that echoes secrets', () => {
	const cases: Array<[string, Fault['kind'], 'create' | 'get', 'jwt' | 'apiKey']> = [
		['JSON error echoing the Authorization header, Create, JWT', 'echo-secrets', 'create', 'jwt'],
		['JSON error echoing the API key, Get, API key', 'echo-secrets', 'get', 'apiKey'],
		['gateway page echoing "Authorization: Bearer <jwt>", Create, JWT', 'echo-auth-text', 'create', 'jwt'],
		['gateway page echoing the API key, Create, API key', 'echo-auth-text', 'create', 'apiKey'],
		['JSON error echoing the Authorization header, Get, JWT', 'echo-secrets', 'get', 'jwt'],
	];
	test.each(cases)('%s: nothing secret in the error, the run data or the log', async (_label, kind, on, auth) => {
		standIn.injectFault({ on, kind, times: 10 });
		const logStart = logged.length;
		const credentials = auth === 'jwt' ? jwtCredentials(standIn) : apiKeyCredentials(standIn);
		const parameters = on === 'create' ? createParams({ options: { maxTries: 2 } }) : getParams({ taskId: 'tk_1' });
		const result = await runKlingNode({ parameters, credentials });

		// the stand-in did echo them
		expect(standIn.requests[0].fault).toBe(kind);
		const e = result.error as RunError;
		expect(e).toBeDefined();
		expect(leaks(e.message)).toEqual([]);
		expect(leaks(String(e.description))).toEqual([]);
		expect(leaks(JSON.stringify(e))).toEqual([]);
		expect(leaks(JSON.stringify(result.run.data))).toEqual([]);
		expect(leaks(logged.slice(logStart).join('\n'))).toEqual([]);
	});
});

describe('a wrong address', () => {
	it('https to an http server (EPROTO) fails at once and says to check http/https in the Base URL', async () => {
		const started = Date.now();
		const { error } = await runKlingNode({ parameters: createParams(), credentials: jwtCredentials(standIn, { baseUrl: `https://127.0.0.1:${standIn.port}` }) });

		const e = error as RunError;
		expect(e.message).toMatch(/^The request to Kling got no answer \(EPROTO\)/);
		expect(e.description).toMatch(/Check http:\/\/ versus https:\/\/ in the credential's Base URL/);
		expect(Date.now() - started).toBeLessThan(3000); // no retries with backoff
	});

	const BASE_URLS: Array<[string, string, RegExp]> = [
		['empty', '', /^The credential's Base URL is empty/],
		['without a scheme', 'api.example.com', /^The credential's Base URL "api.example.com" is not a URL/],
		['with user:password', 'https://user:pw@api.example.com', /^The credential's Base URL holds a user name or password/],
		['with a query', 'https://api.example.com/?key=1', /^The credential's Base URL holds a query/],
		['ending in /v1', 'https://api.example.com/kling/v1', /^The credential's Base URL or Path Prefix ends in \/v1/],
	];
	test.each(BASE_URLS)('a custom Base URL %s is refused before anything is sent, naming the field', async (_label, baseUrl, message) => {
		const { error } = await runKlingNode({ parameters: createParams(), credentials: jwtCredentials(standIn, { baseUrl }) });
		const e = error as RunError;
		expect(e.message).toMatch(message);
		expect(e.description).toMatch(/Nothing was sent to Kling\.$/);
		expect(standIn.requests).toHaveLength(0);
	});
});

describe('Stop', () => {
	it('ends Get\'s retries at once: no request after it', async () => {
		standIn.injectFault({ on: 'get', kind: 'error', status: 500, code: 5000, times: 20 });
		const handle = startKlingNode({ parameters: getParams({ taskId: 'tk_1' }), credentials: jwtCredentials(standIn) });
		await new Promise((resolve) => setTimeout(resolve, 1500)); // two tries, now in the backoff
		const cancelledAt = Date.now();
		handle.cancel();
		const result = await handle.promise;

		expect(result.nodeFinishedAt - cancelledAt).toBeLessThan(1000);
		await new Promise((resolve) => setTimeout(resolve, 3000));
		expect(standIn.requests.filter((r) => r.receivedAt > cancelledAt + 50)).toHaveLength(0);
	}, 15_000);
});
