/**
 * Authentication as Kling checks it: `Authorization: Bearer <token>` where the token is either a configured
 * plain API key or a fresh HS256 JWT (iss = access key, exp = now + 1800 s, nbf = now - 5 s) signed with the
 * secret key, judged by the stand-in's own (possibly skewed) clock. Also `signTestJwt` for tests.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

import { ApiError, isPlainObject } from './respond';
import { type StandInState, standInNowMs } from './state';
import type { RecordedAuth } from './types';

/**
 * Signs a Kling-style JWT (HS256). Times are seconds since epoch: `now` defaults to the real clock,
 * `exp` to now + 1800 and `nbf` to now - 5. `header` replaces the whole JWT header.
 */
export function signTestJwt(
	accessKey: string,
	secretKey: string,
	opts: { now?: number; exp?: number; nbf?: number; header?: object } = {},
): string {
	const now = Math.floor(opts.now ?? Date.now() / 1000);
	const header = opts.header ?? { alg: 'HS256', typ: 'JWT' };
	const claims = { iss: accessKey, exp: opts.exp ?? now + 1800, nbf: opts.nbf ?? now - 5 };
	const signingInput = `${base64UrlJson(header)}.${base64UrlJson(claims)}`;
	const signature = createHmac('sha256', secretKey).update(signingInput).digest('base64url');
	return `${signingInput}.${signature}`;
}

function base64UrlJson(value: unknown): string {
	return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function decodeBase64UrlJson(part: string): unknown {
	if (!/^[A-Za-z0-9_-]+$/.test(part)) throw new Error('not base64url');
	return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
}

export interface AuthResult {
	auth: RecordedAuth;
	/** Set when the request must be refused (401); enforced on API routes only. */
	error?: ApiError;
}

/** Judges an Authorization header value. Never puts the token into an error message. */
export function checkAuth(state: StandInState, authorization: string | undefined): AuthResult {
	const { accessKey, secretKey, apiKeys } = state.config;
	if (authorization === undefined || authorization === '') {
		return {
			auth: { kind: 'none' },
			error: new ApiError(401, 1001, 'Authorization header is empty: send "Authorization: Bearer <token>"'),
		};
	}
	const match = /^Bearer (\S+)$/.exec(authorization);
	if (!match) {
		return {
			auth: { kind: 'invalid' },
			error: new ApiError(401, 1002, 'Authorization is invalid: expected the form "Bearer <token>"'),
		};
	}
	const token = match[1];
	if (apiKeys.has(token)) return { auth: { kind: 'apiKey', token } };

	const parts = token.split('.');
	if (parts.length !== 3) {
		return {
			auth: { kind: 'invalid', token },
			error: new ApiError(401, 1000, 'Authentication failed: the token is neither a known API key nor a JWT'),
		};
	}
	const invalid = (auth: RecordedAuth, code: number, message: string): AuthResult => ({
		auth: { ...auth, kind: 'invalid' },
		error: new ApiError(401, code, message),
	});
	let header: unknown;
	let claims: unknown;
	try {
		header = decodeBase64UrlJson(parts[0]);
		claims = decodeBase64UrlJson(parts[1]);
	} catch {
		return invalid({ kind: 'invalid', token }, 1002, 'Authorization is invalid: the JWT header or payload is not base64url JSON');
	}
	if (!isPlainObject(header) || !isPlainObject(claims)) {
		return invalid({ kind: 'invalid', token }, 1002, 'Authorization is invalid: the JWT header and payload must be JSON objects');
	}
	const auth: RecordedAuth = { kind: 'jwt', token, header, claims: claims as RecordedAuth['claims'] };
	if (header.alg !== 'HS256' || header.typ !== 'JWT') {
		return invalid(auth, 1002, 'Authorization is invalid: the JWT header must be {"alg":"HS256","typ":"JWT"}');
	}
	const expected = createHmac('sha256', secretKey).update(`${parts[0]}.${parts[1]}`).digest();
	const given = /^[A-Za-z0-9_-]+$/.test(parts[2]) ? Buffer.from(parts[2], 'base64url') : Buffer.alloc(0);
	const canonical = given.toString('base64url') === parts[2]; // rejects padding and non-canonical encodings
	if (!canonical || given.length !== expected.length || !timingSafeEqual(given, expected)) {
		return invalid(auth, 1002, 'Authorization is invalid: the JWT signature does not match (sign with the secret key, HMAC-SHA256)');
	}
	if (typeof claims.iss !== 'string' || claims.iss !== accessKey) {
		return invalid(auth, 1002, 'Authorization is invalid: the JWT "iss" claim must be the access key');
	}
	if (typeof claims.nbf !== 'number' || !Number.isFinite(claims.nbf) || typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) {
		return invalid(auth, 1002, 'Authorization is invalid: the JWT needs numeric "nbf" and "exp" claims (seconds since epoch)');
	}
	const nowSec = standInNowMs(state) / 1000;
	if (claims.nbf > nowSec) {
		return invalid(auth, 1003, 'Token is not yet valid (nbf is in the future): check the clock, and sign with nbf = now - 5 s');
	}
	if (claims.exp <= nowSec) {
		return invalid(auth, 1004, 'Token has expired (exp is in the past): sign a fresh token for every request');
	}
	const lifetime = claims.exp - claims.nbf;
	if (lifetime < 1700 || lifetime > 1900) {
		return invalid(auth, 1002, 'Authorization is invalid: the JWT must be fresh with exp = now + 1800 s and nbf = now - 5 s');
	}
	return { auth };
}
