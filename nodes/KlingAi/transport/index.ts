import type {
	IDataObject,
	IExecuteFunctions,
	IExecuteSingleFunctions,
	IHttpRequestOptions,
	IN8nHttpFullResponse,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { klingApiError } from './errors';

export const CREDENTIAL_TYPE = 'klingAiApi';

/** The node's `this`: a routed operation's (one item) or a custom operation's (all items). */
export type KlingContext = IExecuteFunctions | IExecuteSingleFunctions;

export const TEXT2VIDEO_PATH = '/v1/videos/text2video';

export interface KlingTask extends IDataObject {
	task_id: string;
	task_status: 'submitted' | 'processing' | 'succeed' | 'failed' | string;
	task_status_msg?: string;
	task_info?: { external_task_id?: string };
	created_at?: number;
	updated_at?: number;
	task_result?: { videos?: Array<{ id?: string; url: string; duration?: string; watermark_url?: string }> };
}

/** What a request that never got a usable answer looks like: a dropped connection, a time-out. */
export class KlingNetworkError extends NodeApiError {
	networkCode = 'NETWORK';
}

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

/**
 * Sends one request to the Kling API with the node's credential (a fresh token each time) and
 * returns the `data` of a successful answer. Every failure becomes a NodeApiError that says what
 * happened and how to fix it; none carries a key or a token.
 */
export async function klingRequest<T = unknown>(
	ctx: KlingContext,
	options: IHttpRequestOptions,
	itemIndex: number,
): Promise<T> {
	const node = ctx.getNode();
	let response: IN8nHttpFullResponse;
	try {
		response = (await ctx.helpers.httpRequestWithAuthentication.call(ctx, CREDENTIAL_TYPE, {
			...options,
			headers: { Accept: 'application/json', ...options.headers },
			json: true,
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
		})) as IN8nHttpFullResponse;
	} catch (error) {
		throw networkError(ctx, error, options, itemIndex);
	}

	const status = response.statusCode;
	const body = parseBody(response.body);
	const isEnvelope = typeof body === 'object' && body !== null && !Array.isArray(body) && 'code' in body;
	if (!isEnvelope) {
		throw new NodeApiError(node, { httpStatus: status } as JsonObject, {
			message: `Kling answered with ${describeBody(body)} (HTTP ${status})`,
			description:
				'Expected a JSON body with code, message and data. If the credential uses a custom URL, check the Base URL and Path Prefix: a proxy or gateway answered instead of the Kling API.',
			httpCode: String(status),
			itemIndex,
		});
	}
	const envelope = body as { code: unknown; message?: string; request_id?: string; data?: unknown };
	if (envelope.code !== 0 || status >= 400) {
		throw klingApiError(node, status, envelope as { code?: number }, itemIndex);
	}
	if (envelope.data === undefined || envelope.data === null) {
		throw new NodeApiError(node, { httpStatus: status } as JsonObject, {
			message: 'Kling answered without data',
			description: `Expected code, message and data; got ${describeBody(body)}. A proxy may reshape Kling's answers: check the credential's Base URL and Path Prefix.`,
			httpCode: String(status),
			itemIndex,
		});
	}
	return envelope.data as T;
}

/** The error (axios's, usually wrapped by n8n) that says why a request got no answer, if there is one. */
function findTransportCause(error: unknown): { code?: string; name?: string } | undefined {
	let current = error as { code?: unknown; name?: string; isAxiosError?: boolean; cause?: unknown } | undefined;
	for (let depth = 0; current && depth < 5; depth++) {
		if (current.isAxiosError || (typeof current.code === 'string' && /^E[A-Z_]+$/.test(current.code))) {
			return current as { code?: string; name?: string };
		}
		if (current.name === 'AbortError' || current.name === 'CanceledError') return { code: 'ABORTED', name: current.name };
		current = current.cause as typeof current;
	}
	return undefined;
}

function networkError(ctx: KlingContext, error: unknown, options: IHttpRequestOptions, itemIndex: number) {
	const cause = findTransportCause(error);
	if (!cause) {
		// Not a network failure (e.g. no credential selected): n8n's own error says it well and holds no secret.
		return error as Error;
	}
	const code = cause.code ?? 'NETWORK';
	const failure = new KlingNetworkError(ctx.getNode(), { networkCode: code } as JsonObject, {
		description: `${options.method ?? 'GET'} ${options.url} failed before Kling answered: the connection was reset, refused or timed out. Check the network and the credential's Base URL, then run again.`,
		itemIndex,
	});
	// Set after construction: NodeApiError swaps messages that mention ECONNRESET & co. for generic ones.
	failure.message = `The request to Kling got no answer (${code})`;
	failure.networkCode = code;
	return failure;
}
