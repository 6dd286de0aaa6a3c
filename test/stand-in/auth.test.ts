/**
 * The stand-in's authentication is as strict as Kling's: JWT claims, signature, clock, API keys, and the codes of each refusal.
 */
import { type KlingStandIn, type StandInOptions, signTestJwt } from '../../stand-in';
import { ACCESS_KEY, API_KEY, CREATE, SECRET_KEY, call, jwt, nowSec, useStandIn } from './helpers';

const suite = useStandIn();
const start = (options?: StandInOptions) => suite.start(options);
let api: KlingStandIn;
beforeAll(() => {
	api = suite.api;
});

describe('auth', () => {
	it('accepts a valid JWT and records its claims', async () => {
		const answer = await call(api.url, 'GET', CREATE);
		expect(answer.status).toBe(200);
		expect(answer.json).toMatchObject({ code: 0, message: 'SUCCEED', data: [] });
		expect(typeof answer.json.request_id).toBe('string');
		const [request] = api.requests;
		expect(request.auth.kind).toBe('jwt');
		expect(request.auth.header).toEqual({ alg: 'HS256', typ: 'JWT' });
		expect(request.auth.claims?.iss).toBe(ACCESS_KEY);
		expect(request.auth.claims!.exp - request.auth.claims!.nbf).toBe(1805);
	});

	it('accepts a configured plain API key', async () => {
		const answer = await call(api.url, 'GET', CREATE, { authorization: `Bearer ${API_KEY}` });
		expect(answer.status).toBe(200);
		expect(api.requests[0].auth).toMatchObject({ kind: 'apiKey', token: API_KEY });
	});

	const rejections: Array<[string, () => string | null, number]> = [
		['missing header', () => null, 1001],
		['not a Bearer header', () => `Token ${jwt()}`, 1002],
		['bad signature', () => `Bearer ${signTestJwt(ACCESS_KEY, 'wrong-secret')}`, 1002],
		['wrong iss', () => `Bearer ${signTestJwt('other-access-key', SECRET_KEY)}`, 1002],
		['wrong alg', () => `Bearer ${jwt({ header: { alg: 'HS512', typ: 'JWT' } })}`, 1002],
		['alg none', () => `Bearer ${jwt({ header: { alg: 'none', typ: 'JWT' } })}`, 1002],
		['lifetime not 1800 s', () => `Bearer ${jwt({ exp: nowSec() + 86400 })}`, 1002],
		['nbf in the future', () => `Bearer ${jwt({ now: nowSec() + 600 })}`, 1003],
		['expired', () => `Bearer ${jwt({ now: nowSec() - 3600 })}`, 1004],
		['unknown opaque key', () => 'Bearer sk-unknown', 1000],
	];
	it.each(rejections)('rejects %s', async (_name, makeHeader, code) => {
		const authorization = makeHeader();
		const answer = await call(api.url, 'GET', CREATE, { authorization });
		expect(answer.status).toBe(401);
		expect(answer.json.code).toBe(code);
		expect(answer.json.message).toEqual(expect.any(String));
		// never echo the token
		const token = authorization?.split(' ')[1];
		if (token) expect(answer.text).not.toContain(token);
		expect(api.requests[0]).toMatchObject({ status: 401, code });
	});

	it('judges nbf and exp by its own (skewed) clock', async () => {
		const behind = await start({ clockOffsetSec: -600 });
		expect((await call(behind.url, 'GET', CREATE)).json.code).toBe(1003);
		const ahead = await start({ clockOffsetSec: 3600 });
		expect((await call(ahead.url, 'GET', CREATE)).json.code).toBe(1004);
	});
});
