import type {
	ICredentialDataDecryptedObject,
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
	IWebhookFunctions,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { customUrlProblem, klingSecrets } from '../../../credentials/common/kling';
import { abortableSleep } from '../helpers/sleep';
import { isRetryableKlingCode, klingApiError } from './errors';
import { redactError, redactValue } from './redact';

/**
 * The one way to the Kling API: every request of every operation and of the trigger goes through
 * sendOnce, which signs it with the credential (a fresh token each time), classifies the answer by
 * Kling's body code, and hands back errors that say what happened and how to fix it, with every
 * secret redacted. Retries (sendWithRetries) and their waits live here too.
 */

export const CREDENTIAL_TYPE = 'klingAiApi';

/** The node's `this`: an operation's (all items; n8n runs every operation as code) or the trigger's webhook's. */
export type KlingContext = IExecuteFunctions | IWebhookFunctions;

/** The execution's cancel signal (webhooks have none). */
export function cancelSignal(ctx: KlingContext): AbortSignal | undefined {
	return 'getExecutionCancelSignal' in ctx ? ctx.getExecutionCancelSignal() : undefined;
}

/** The credential as n8n decrypts it, read once per context (n8n makes a context per run or per webhook call). */
const credentialCache = new WeakMap<object, Promise<ICredentialDataDecryptedObject>>();
export async function klingCredentials(ctx: KlingContext): Promise<ICredentialDataDecryptedObject> {
	let credentials = credentialCache.get(ctx);
	if (!credentials) {
		credentials = ctx.getCredentials(CREDENTIAL_TYPE);
		credentialCache.set(ctx, credentials);
		credentials.catch(() => credentialCache.delete(ctx));
	}
	return await credentials;
}

/** Secret values an error must not show: the credential's, and the trigger's legacy URL secret. */
async function secretsOf(ctx: KlingContext): Promise<string[]> {
	const secrets = await klingCredentials(ctx).then(klingSecrets, (): string[] => []);
	const legacy = ctx.getNode().parameters?.secret;
	if (typeof legacy === 'string' && legacy.length >= 4) secrets.push(legacy);
	return secrets;
}

export interface KlingTask extends IDataObject {
	task_id: string;
	task_status: 'submitted' | 'processing' | 'succeed' | 'failed' | string;
	task_status_msg?: string;
	task_info?: { external_task_id?: string };
	created_at?: number;
	updated_at?: number;
	task_result?: { videos?: Array<{ id?: string; url: string; duration?: string; watermark_url?: string }> };
}

/** How many times a request is tried, and how the waits between tries grow. */
export interface RetryPolicy {
	maxTries: number;
	/** The first wait; each further wait doubles (plus jitter), up to maxDelayMs. At least 1 s. */
	baseDelayMs: number;
	maxDelayMs: number;
	/** The longest server-requested wait (Retry-After) to honour; unbounded when unset. */
	maxRetryAfterMs?: number;
}

export const DEFAULT_MAX_TRIES = 8;
export const MAX_TRIES_LIMIT = 30;
export const DEFAULT_RETRY: RetryPolicy = { maxTries: DEFAULT_MAX_TRIES, baseDelayMs: 1000, maxDelayMs: 60_000 };

/** One request's outcome. A failure says whether the same request can pass later, and whether it may have been carried out. */
export type Attempt<T> =
	| { ok: true; data: T; /** Kling's clock (the Date header), when the answer had one. */ serverDate?: number }
	| {
			ok: false;
			error: NodeApiError;
			/** Kling's body code, when there was one. */
			code?: number;
			/** Kling's own message, when there was one. */
			klingMessage?: string;
			/** The same request may pass if sent again (rate/concurrency limits, server errors, network). */
			retryable: boolean;
			/** The request may have been carried out although no success came back (dropped connection, time-out, 5xxx). */
			ambiguous: boolean;
			/** The wait the server asked for (Retry-After), if any. */
			retryAfterMs?: number;
	  };

const describeBody = (body: unknown): string => {
	if (body === undefined || body === null || body === '') return 'an empty body';
	if (typeof body === 'string') {
		const text = body.trim();
		if (/^<(!doctype|html)/i.test(text)) return 'an HTML page';
		return `text that is not JSON ("${text.slice(0, 60)}${text.length > 60 ? '…' : ''}")`;
	}
	if (Array.isArray(body)) return 'a JSON array';
	return `JSON with the keys ${Object.keys(body as object).slice(0, 8).join(', ') || '(none)'}`;
};

const parseBody = (body: unknown): unknown => {
	if (typeof body !== 'string') return body;
	try {
		return JSON.parse(body);
	} catch {
		return body;
	}
};

function retryAfterMs(headers: IN8nHttpFullResponse['headers'] | undefined): number | undefined {
	const raw = headers?.['retry-after'];
	const value = Array.isArray(raw) ? raw[0] : raw;
	if (typeof value !== 'string' || value.trim() === '') return undefined;
	const seconds = Number(value);
	if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
	const date = Date.parse(value);
	return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}

/**
 * The network failure behind an error from n8n's request helper, as a Node.js code. n8n wraps
 * axios's error in a NodeApiError that keeps only messages (and swaps well-known ones for prose),
 * so the code is read back from those. Undefined: not a network failure (e.g. no credential).
 */
function transportCode(error: unknown): string | undefined {
	const e = error as { message?: string; messages?: string[]; code?: unknown; name?: string; cause?: { code?: unknown; message?: string; name?: string } };
	const texts = [e?.message, ...(e?.messages ?? []), e?.cause?.message, String(e?.code ?? ''), String(e?.cause?.code ?? '')]
		.filter((text): text is string => typeof text === 'string' && text !== '')
		.join(' | ');
	if (/cancel|abort(ed)? by|AbortError|ERR_CANCELED/i.test(texts) || e?.name === 'AbortError') return 'ABORTED';
	const code = /\b(E[A-Z]{4,})\b/.exec(texts)?.[1];
	if (code) return code;
	const phrases: Array<[RegExp, string]> = [
		[/socket hang up|closed unexpectedly|stream has been aborted|premature close/i, 'ECONNRESET'],
		[/refused the connection/i, 'ECONNREFUSED'],
		[/time(d)? ?out/i, 'ETIMEDOUT'],
		[/connection was aborted/i, 'ECONNABORTED'],
		[/cannot be established/i, 'ENOTFOUND'],
		[/host is unreachable/i, 'EHOSTUNREACH'],
		[/DNS server/i, 'EAI_AGAIN'],
	];
	return phrases.find(([pattern]) => pattern.test(texts))?.[1];
}

/** Connection failures where the request never reached the server: nothing can have been created. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPROTO']);
/** …and of those, the ones that mean a wrong address rather than a passing fault: not worth retrying. */
const WRONG_ADDRESS_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EPROTO']);

function networkFix(code: string, options: IHttpRequestOptions): string {
	const request = `${options.method ?? 'GET'} ${options.url}`;
	if (code === 'EPROTO') {
		return `${request} failed in the TLS handshake: the server does not speak https on that address (or speaks it on another port). Check http:// versus https:// in the credential's Base URL.`;
	}
	if (code === 'ECONNREFUSED' || code === 'ENOTFOUND') {
		return `${request} could not connect (${code === 'ENOTFOUND' ? 'the host name is unknown' : 'nothing listens there'}). Check the credential's Region or Base URL.`;
	}
	return `${request} failed before Kling answered: the connection was reset or timed out. Check the network and the credential's Base URL, then run again.`;
}

function serverDate(headers: IN8nHttpFullResponse['headers'] | undefined): number | undefined {
	const raw = headers?.date;
	const value = Date.parse(String(Array.isArray(raw) ? raw[0] : raw ?? ''));
	return Number.isFinite(value) ? value : undefined;
}

/**
 * Sends one request to the Kling API with the node's credential (a fresh token each time) and
 * classifies the answer. Every failure carries a NodeApiError that says what happened and how to
 * fix it; none carries a key or a token.
 */
export async function sendOnce<T>(ctx: KlingContext, options: IHttpRequestOptions, itemIndex: number): Promise<Attempt<T>> {
	const attempt = await sendUnredacted<T>(ctx, options, itemIndex);
	const secrets = await secretsOf(ctx);
	if (attempt.ok) return { ...attempt, data: redactValue(attempt.data, secrets) };
	redactError(attempt.error, secrets);
	return attempt;
}

async function sendUnredacted<T>(ctx: KlingContext, options: IHttpRequestOptions, itemIndex: number): Promise<Attempt<T>> {
	const node = ctx.getNode();
	const problem = customUrlProblem(await klingCredentials(ctx));
	if (problem) {
		return {
			ok: false,
			retryable: false,
			ambiguous: false,
			error: new NodeApiError(node, { reason: 'request not sent' } as JsonObject, {
				message: problem.message,
				description: `${problem.fix} Nothing was sent to Kling.`,
				itemIndex,
			}),
		};
	}
	let response: IN8nHttpFullResponse;
	try {
		response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_TYPE, {
			...options,
			headers: { Accept: 'application/json', 'Content-Type': 'application/json', ...options.headers },
			json: true,
			abortSignal: cancelSignal(ctx),
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		})) as IN8nHttpFullResponse;
	} catch (error) {
		const code = transportCode(error);
		if (!code) {
			// Not a network failure (e.g. no credential selected): n8n's own error says it and holds no secret.
			const plain = error as Error;
			return {
				ok: false,
				retryable: false,
				ambiguous: false,
				error: new NodeApiError(node, { reason: 'request not sent' } as JsonObject, {
					message: plain.message,
					description: (plain as { description?: string }).description,
					itemIndex,
				}),
			};
		}
		const failure = new NodeApiError(node, { networkCode: code } as JsonObject, {
			message: 'The request to Kling got no answer',
			description: networkFix(code, options),
			itemIndex,
		});
		// Set after construction: NodeApiError swaps messages that mention ECONNRESET & co. for generic ones.
		failure.message = `The request to Kling got no answer (${code})`;
		return {
			ok: false,
			error: failure,
			retryable: code !== 'ABORTED' && !WRONG_ADDRESS_CODES.has(code),
			ambiguous: code !== 'ABORTED' && !NOT_SENT_CODES.has(code),
		};
	}

	const status = response.statusCode;
	const body = parseBody(response.body);
	const isEnvelope = typeof body === 'object' && body !== null && !Array.isArray(body) && 'code' in body;
	if (!isEnvelope) {
		// A gateway's error page (5xx) or a garbled or empty answer (2xx text) can pass later, and the
		// request may have reached Kling before it failed. A reshaped JSON body or a 4xx page will not
		// change on a retry (e.g. a wrong path prefix): fail at once.
		const transient = status >= 500 || (status < 300 && (typeof body === 'string' || body === undefined || body === null));
		return {
			ok: false,
			retryable: transient,
			ambiguous: transient,
			retryAfterMs: retryAfterMs(response.headers),
			error: new NodeApiError(node, { httpStatus: status } as JsonObject, {
				message: `Kling answered with ${describeBody(body)} (HTTP ${status})`,
				description:
					'Expected a JSON body with code, message and data. If the credential uses a custom URL, check the Base URL and Path Prefix: a proxy or gateway answered instead of the Kling API.',
				httpCode: String(status),
				itemIndex,
			}),
		};
	}
	const envelope = body as { code: unknown; message?: string; request_id?: string; data?: unknown };
	if (envelope.code !== 0 || status >= 400) {
		const code = typeof envelope.code === 'number' ? envelope.code : undefined;
		const retryable = code !== undefined && isRetryableKlingCode(code);
		return {
			ok: false,
			code,
			klingMessage: typeof envelope.message === 'string' ? envelope.message : undefined,
			retryable,
			// A server error may come after the work was done; a limit (1302/1303) means it was refused.
			ambiguous: retryable && code! >= 5000,
			retryAfterMs: retryAfterMs(response.headers),
			error: klingApiError(node, status, envelope as { code?: number }, itemIndex, options.url),
		};
	}
	if (envelope.data === undefined || envelope.data === null) {
		// "Success" without the data: the work may have been done; reading again can tell.
		return {
			ok: false,
			retryable: true,
			ambiguous: true,
			error: new NodeApiError(node, { httpStatus: status } as JsonObject, {
				message: 'Kling answered without data',
				description: `Expected code, message and data; got ${describeBody(body)}. A proxy may reshape Kling's answers: check the credential's Base URL and Path Prefix.`,
				httpCode: String(status),
				itemIndex,
			}),
		};
	}
	return { ok: true, data: envelope.data as T, serverDate: serverDate(response.headers) };
}

/** The wait before try number `tries + 1`: exponential with jitter, at least 1 s, or what the server asked. */
function backoffDelay(policy: RetryPolicy, tries: number, retryAfter?: number): number {
	const base = Math.max(1000, policy.baseDelayMs);
	const exponential = Math.min(policy.maxDelayMs, base * 2 ** (tries - 1));
	const jittered = exponential * (1 + Math.random() / 2);
	const asked = Math.min(retryAfter ?? 0, policy.maxRetryAfterMs ?? Infinity);
	return Math.max(Math.min(jittered, policy.maxDelayMs * 1.5), asked);
}

export async function backoff(ctx: KlingContext, policy: RetryPolicy, tries: number, retryAfter?: number) {
	await abortableSleep(backoffDelay(policy, tries, retryAfter), cancelSignal(ctx));
}

/**
 * Sends a request that is safe to repeat (a query), trying again while the failure can pass:
 * Kling's rate and concurrency limits (1302, 1303), its server errors (5000–5002) and dropped
 * connections. Failures that will not pass (keys, account, parameters, content) end at once.
 * Returns the last attempt and how many tries it took, for callers that treat some failures
 * (e.g. an unknown task) as an answer.
 */
export async function sendWithRetries<T>(
	ctx: KlingContext,
	options: IHttpRequestOptions,
	itemIndex: number,
	policy: RetryPolicy = DEFAULT_RETRY,
): Promise<Attempt<T> & { tries: number }> {
	for (let tries = 1; ; tries++) {
		const attempt = await sendOnce<T>(ctx, options, itemIndex);
		if (attempt.ok || !attempt.retryable || tries >= policy.maxTries) return { ...attempt, tries };
		await backoff(ctx, policy, tries, attempt.retryAfterMs);
	}
}

/** sendWithRetries, returning the data or throwing the last failure. */
export async function klingRequest<T = unknown>(
	ctx: KlingContext,
	options: IHttpRequestOptions,
	itemIndex: number,
	policy: RetryPolicy = DEFAULT_RETRY,
): Promise<T> {
	const attempt = await sendWithRetries<T>(ctx, options, itemIndex, policy);
	if (attempt.ok) return attempt.data;
	throw gaveUp(attempt.error, attempt.tries);
}

/** Says in the error how often the request was tried, when it was tried more than once. */
export function gaveUp(error: NodeApiError, tries: number): NodeApiError {
	if (tries > 1) {
		error.description = `${error.description ?? ''} (The node tried ${tries} times; raise Max Tries to keep trying longer.)`.trim();
	}
	return error;
}
