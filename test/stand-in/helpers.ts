/**
 * Shared by the stand-in's own suites (test/stand-in/*.test.ts): raw HTTP calls with a fresh JWT by default,
 * and a per-file stand-in (`api`, reset before each test) plus extra ones started with other options.
 */
import * as http from 'node:http';

import { type KlingStandIn, type StandInOptions, signTestJwt, startKlingStandIn } from '../../stand-in';

export const ACCESS_KEY = 'test-access-key';
export const SECRET_KEY = 'test-secret-key';
export const API_KEY = 'sk-proxy-key';
export const CREATE = '/v1/videos/text2video';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const jwt = (opts?: Parameters<typeof signTestJwt>[2]) => signTestJwt(ACCESS_KEY, SECRET_KEY, opts);
export const nowSec = () => Math.floor(Date.now() / 1000);

export interface Answer {
	status: number;
	headers: Headers;
	text: string;
	json: any; // parsed body, undefined when not JSON
}

export interface CallOptions {
	body?: unknown;
	rawBody?: string;
	/** Full Authorization header; null = none; default a fresh valid JWT. */
	authorization?: string | null;
	contentType?: string;
}

export async function call(base: string, method: string, path: string, opts: CallOptions = {}): Promise<Answer> {
	const headers: Record<string, string> = {};
	const authorization = opts.authorization === undefined ? `Bearer ${jwt()}` : opts.authorization;
	if (authorization !== null) headers.authorization = authorization;
	let body: string | undefined;
	if (opts.rawBody !== undefined || opts.body !== undefined) {
		body = opts.rawBody ?? JSON.stringify(opts.body);
		headers['content-type'] = opts.contentType ?? 'application/json';
	}
	const response = await fetch(`${base}${path}`, { method, headers, body });
	const text = await response.text();
	let json: unknown;
	try {
		json = JSON.parse(text);
	} catch {
		json = undefined;
	}
	return { status: response.status, headers: response.headers, text, json };
}

export interface RawAnswer {
	status: number;
	headers: http.IncomingHttpHeaders;
	body: Buffer;
	/** The connection closed before the whole body arrived. */
	aborted: boolean;
}

/**
 * A request through node:http, which sends the path exactly as given (fetch normalises `/..` away) and
 * reports a body cut short instead of throwing.
 */
export function rawRequest(base: string, method: string, path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
	return new Promise((resolve, reject) => {
		const request = http.request(`${base}${path}`, { method, headers, agent: false });
		request.setHeader('authorization', headers.authorization ?? `Bearer ${jwt()}`);
		// node:http would resolve nothing in the path; `path` is passed as-is
		request.path = path;
		request.on('error', reject);
		request.on('response', (response) => {
			const chunks: Buffer[] = [];
			let aborted = false;
			response.on('data', (chunk: Buffer) => chunks.push(chunk));
			response.on('aborted', () => (aborted = true));
			response.on('error', () => (aborted = true));
			response.on('close', () =>
				resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks), aborted: aborted || !response.complete }),
			);
		});
		request.end();
	});
}

/**
 * Starts one stand-in per test file (`suite.api`, reset before each test); `suite.start` starts extra ones
 * with other options. All are closed after the file.
 */
export function useStandIn(options: StandInOptions = { apiKeys: [API_KEY] }) {
	const started: KlingStandIn[] = [];
	const suite = {
		api: undefined as unknown as KlingStandIn,
		async start(startOptions?: StandInOptions): Promise<KlingStandIn> {
			const standIn = await startKlingStandIn(startOptions);
			started.push(standIn);
			return standIn;
		},
	};
	beforeAll(async () => {
		suite.api = await suite.start(options);
	});
	beforeEach(() => suite.api.reset());
	afterAll(async () => {
		await Promise.all(started.map((standIn) => standIn.close()));
	});
	return suite;
}
