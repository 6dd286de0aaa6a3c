/**
 * The transport, through n8n's engine: secrets echoed back by a proxy or a gateway never reach an
 * error, the run data or n8n's log; a wrong address fails at once and says what to check; a custom
 * Base URL that cannot work is refused before anything is sent; Stop ends Get's retries.
 */
import tls from 'node:tls';

import { LoggerProxy } from 'n8n-workflow';

import { runKlingNode, startKlingNode } from '../../../helpers/engine';
import { API_KEY, apiKeyCredentials, createParams, getManyParams, getParams, jwtCredentials, SECRET_KEY, type RunError } from '../../../helpers/kling-test-kit';
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
	type Case = [string, Fault['kind'], 'create' | 'get', 'jwt' | 'apiKey', Partial<Fault>?];
	const cases: Case[] = [
		['JSON error echoing the Authorization header, Create, JWT', 'echo-secrets', 'create', 'jwt'],
		['JSON error echoing the API key, Create, API key', 'echo-secrets', 'create', 'apiKey'],
		['JSON error echoing the Authorization header, Get, JWT', 'echo-secrets', 'get', 'jwt'],
		['JSON error echoing the API key, Get, API key', 'echo-secrets', 'get', 'apiKey'],
		// 502: a gateway error the node retries (Max Tries 2), then gives up
		['gateway page echoing "Authorization: Bearer <jwt>", Create, JWT', 'echo-auth-text', 'create', 'jwt'],
		['gateway page echoing the API key, Create, API key', 'echo-auth-text', 'create', 'apiKey'],
		// 401: a gateway that refuses and echoes (Get is tried 8 times on a 502: too slow for this suite)
		['gateway page echoing "Authorization: Bearer <jwt>", Get, JWT', 'echo-auth-text', 'get', 'jwt', { status: 401 }],
		['gateway page echoing the API key, Get, API key', 'echo-auth-text', 'get', 'apiKey', { status: 401 }],
		['gateway HTML page echoing the API key, Get, API key', 'echo-auth-text', 'get', 'apiKey', { status: 401, format: 'html' }],
		['gateway HTML page echoing "Authorization: Bearer <jwt>", Create, JWT', 'echo-auth-text', 'create', 'jwt', { status: 401, format: 'html' }],
		// only the echoed line: it is what the error's excerpt of a text answer shows
		['gateway answering just "Authorization: Bearer <jwt>", Create, JWT', 'echo-auth-text', 'create', 'jwt', { format: 'line' }],
		['gateway answering just "Authorization: Bearer <key>", Create, API key', 'echo-auth-text', 'create', 'apiKey', { status: 401, format: 'line' }],
		['gateway answering just "Authorization: Bearer <jwt>", Get, JWT', 'echo-auth-text', 'get', 'jwt', { status: 401, format: 'line' }],
		['gateway answering just "Authorization: Bearer <key>", Get, API key', 'echo-auth-text', 'get', 'apiKey', { status: 403, format: 'line' }],
	];
	test.each(cases)('%s: nothing secret in the error, the run data or the log', async (_label, kind, on, auth, extra = {}) => {
		standIn.injectFault({ on, kind, times: 10, ...extra });
		const logStart = logged.length;
		const credentials = auth === 'jwt' ? jwtCredentials(standIn) : apiKeyCredentials(standIn);
		const parameters = on === 'create' ? createParams({ options: { maxTries: 2 } }) : getParams({ taskId: 'tk_1' });
		const result = await runKlingNode({ parameters, credentials });

		// the stand-in did echo them: every request it answered with the fault carried the secret it echoed
		const echoed = standIn.requests.filter((r) => r.fault === kind);
		expect(echoed.length).toBeGreaterThan(0);
		const tokens = echoed.map((r) => r.auth.token ?? '');
		expect(tokens.every((token) => (auth === 'jwt' ? token.split('.').length === 3 : token === API_KEY))).toBe(true);
		const e = result.error as RunError;
		expect(e).toBeDefined();
		const texts: Record<string, string> = {
			message: e.message,
			description: String(e.description),
			'error JSON': JSON.stringify(e),
			'run data': JSON.stringify(result.run.data),
			log: logged.slice(logStart).join('\n'),
		};
		for (const [where, text] of Object.entries(texts)) {
			expect([where, leaks(text)]).toEqual([where, []]);
			// every token the node sent, whole or any of its three parts (the signature does not start with eyJ)
			for (const token of tokens) for (const part of [token, ...token.split('.')]) expect([where, text.includes(part)]).toEqual([where, false]);
		}
	});
});

describe('a wrong address', () => {
	it('https to an http server (EPROTO) fails at once and says to check http/https in the Base URL', async () => {
		// Every TLS connection Node.js opens (n8n's request helper goes through https, then tls.connect).
		const handshakes = jest.spyOn(tls, 'connect');
		const started = Date.now();
		const { error } = await runKlingNode({ parameters: createParams(), credentials: jwtCredentials(standIn, { baseUrl: `https://127.0.0.1:${standIn.port}` }) });
		const tries = handshakes.mock.calls.length;
		handshakes.mockRestore();

		// one request at most: not retried (a retry would also wait 1 s or more first)
		expect(tries).toBe(1);
		expect(standIn.requests).toHaveLength(0);

		const e = error as RunError;
		expect(e.message).toMatch(/^The request to Kling got no answer \(EPROTO\)/);
		expect(e.description).toMatch(/Check http:\/\/ versus https:\/\/ in the credential's Base URL/);
		expect(Date.now() - started).toBeLessThan(3000); // no retries with backoff
	});

	const BASE_URLS: Array<[string, string, RegExp, Record<string, string>?]> = [
		['empty', '', /^The credential's Base URL is empty/],
		['without a scheme', 'api.example.com', /^The credential's Base URL "api.example.com" is not a URL/],
		['with user:password', 'https://user:pw@api.example.com', /^The credential's Base URL holds a user name or password/],
		['with a query', 'https://api.example.com/?key=1', /^The credential's Base URL holds a query/],
		['with a fragment', 'https://api.example.com/#v2', /^The credential's Base URL holds a query \(\?…\) or fragment \(#…\)/],
		['with an empty query', 'https://api.example.com/?', /^The credential's Base URL holds a query \(\?…\) or fragment \(#…\)/],
		['ending in /v1/', 'https://api.example.com/v1/', /^The credential's Base URL or Path Prefix ends in \/v1/],
		['whose Path Prefix ends in /v1', 'https://api.example.com', /^The credential's Base URL or Path Prefix ends in \/v1/, { pathPrefix: '/kling/v1' }],
		['ending in /v1', 'https://api.example.com/kling/v1', /^The credential's Base URL or Path Prefix ends in \/v1/],
	];
	test.each(BASE_URLS)('a custom Base URL %s is refused before anything is sent, naming the field', async (_label, baseUrl, message, extra = {}) => {
		const { error } = await runKlingNode({ parameters: createParams(), credentials: jwtCredentials(standIn, { baseUrl, ...extra }) });
		const e = error as RunError;
		expect(e.message).toMatch(message);
		expect(e.description).toMatch(/Nothing was sent to Kling\.$/);
		expect(standIn.requests).toHaveLength(0);

		// Get and Get Many too, with the API-key credential
		for (const parameters of [getParams({ taskId: 'tk_1' }), getManyParams()]) {
			const other = await runKlingNode({ parameters, credentials: apiKeyCredentials(standIn, { baseUrl, ...extra }) });
			expect((other.error as RunError).message).toMatch(message);
			expect((other.error as RunError).description).toMatch(/Nothing was sent to Kling\.$/);
		}
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
