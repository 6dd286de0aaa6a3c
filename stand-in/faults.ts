/**
 * Injected faults: a queue consumed in order by matching requests (`on` a request kind or 'any', `times`
 * each). Some faults answer instead of the stand-in (errors, malformed bodies, gateway and CDN pages, proxies
 * that echo secrets); some change how the real answer goes out (slow, dropped, truncated).
 */
import { STATUS_CODES } from 'node:http';

import { type RequestContext, drop, requestId, sendError, sendRaw } from './respond';
import type { StandInState } from './state';
import type { Fault, RecordedRequest } from './types';

export function injectFault(state: StandInState, fault: Fault): void {
	state.faults.push({ fault, remaining: fault.times ?? 1 });
}

/** Takes the first queued fault matching a request kind (and consumes one of its `times`). */
export function takeFault(state: StandInState, kind: RecordedRequest['kind']): Fault | undefined {
	const index = state.faults.findIndex((queued) => queued.fault.on === 'any' || queued.fault.on === kind);
	if (index < 0) return undefined;
	const queued = state.faults[index];
	queued.remaining--;
	if (queued.remaining <= 0) state.faults.splice(index, 1);
	return queued.fault;
}

const GATEWAY_502_PAGE =
	'<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

/** What a CDN serves, with HTTP 200, when the object is gone or the edge is misconfigured. */
const CDN_ERROR_PAGE =
	'<!DOCTYPE html>\n<html>\n<head><meta charset="utf-8"><title>Error</title></head>\n<body>\n<h1>Sorry, this page is not available</h1>\n<p>The requested object could not be retrieved. Reference #18.5c3b1402.1700000000.2a9f3c1</p>\n</body>\n</html>\n';

/** The received Authorization header and the token after "Bearer " (the whole header when not Bearer). */
function receivedSecrets(ctx: RequestContext): { authorization: string; token: string } {
	const header = ctx.req.headers.authorization ?? '';
	const match = /^Bearer\s+(.*)$/i.exec(header);
	return { authorization: header, token: match ? match[1] : header };
}

/**
 * Wait for 'slow' (false when the stand-in closed meanwhile: the request is then left unanswered).
 */
function delay(state: StandInState, ms: number): Promise<boolean> {
	return new Promise((resolve) => {
		const timer = setTimeout(() => {
			state.slowTimers.delete(timer);
			resolve(!state.closed);
		}, ms);
		state.slowTimers.set(timer, () => resolve(false));
	});
}

/**
 * Applies a fault after the body was read. Returns 'answered' when the fault answered (or abandoned) the
 * request, 'continue' when the stand-in should handle it (after a delay, or marked to be dropped or cut).
 * 'drop-before-accept' is handled by the server before reading the body.
 */
export async function applyFault(state: StandInState, ctx: RequestContext, fault: Fault): Promise<'answered' | 'continue'> {
	ctx.record.fault = fault.kind;
	switch (fault.kind) {
		case 'drop-before-accept':
			drop(ctx);
			return 'answered';
		case 'slow':
			if (!(await delay(state, fault.delayMs ?? 1000))) {
				ctx.record.status = 0;
				ctx.record.respondedAt = Date.now();
				return 'answered';
			}
			return 'continue';
		case 'drop-after-accept':
			ctx.dropInsteadOfAnswer = true;
			return 'continue';
		case 'truncate':
			ctx.truncateAfterBytes = Math.max(0, fault.afterBytes ?? 0);
			return 'continue';
		case 'error': {
			const headers: Record<string, string> = {};
			if (fault.retryAfterSec !== undefined) headers['retry-after'] = String(fault.retryAfterSec);
			sendError(ctx, fault.status ?? 500, fault.code ?? 5000, fault.message ?? 'Injected fault: server internal error', headers);
			return 'answered';
		}
		case 'garbage':
			sendRaw(ctx, 200, undefined, 'application/json; charset=utf-8', 'not json{{');
			return 'answered';
		case 'html':
			if (ctx.record.kind === 'download') {
				sendRaw(ctx, fault.status ?? 200, undefined, 'text/html; charset=utf-8', CDN_ERROR_PAGE);
			} else {
				sendRaw(ctx, fault.status ?? 502, undefined, 'text/html; charset=utf-8', GATEWAY_502_PAGE);
			}
			return 'answered';
		case 'empty':
			sendRaw(ctx, 200, undefined, undefined, '');
			return 'answered';
		case 'no-data':
			sendRaw(ctx, 200, 0, 'application/json; charset=utf-8', JSON.stringify({ code: 0, message: 'SUCCEED', request_id: requestId() }));
			return 'answered';
		case 'echo-secrets': {
			const { authorization, token } = receivedSecrets(ctx);
			const message = `${fault.message ?? 'Authentication failed: invalid credentials'} (Authorization: ${authorization}; api_key: ${token})`;
			sendError(ctx, fault.status ?? 401, fault.code ?? 1000, message, undefined, {
				detail: { authorization, api_key: token },
			});
			return 'answered';
		}
		case 'echo-auth-text': {
			const { authorization } = receivedSecrets(ctx);
			const status = fault.status ?? 502;
			const title = `${status} ${STATUS_CODES[status] ?? 'Error'}`;
			// an echoing gateway does not escape anything: the header appears byte for byte
			const lines = [
				'upstream request failed; request as received:',
				`${ctx.req.method ?? 'GET'} ${ctx.req.url ?? '/'} HTTP/1.1`,
				`Host: ${ctx.req.headers.host ?? ''}`,
				`Authorization: ${authorization}`,
				`Content-Type: ${ctx.req.headers['content-type'] ?? ''}`,
			];
			if (fault.format === 'line') {
				// a terse gateway or debug proxy: the echoed header is the whole answer
				sendRaw(ctx, status, undefined, 'text/plain; charset=utf-8', `Authorization: ${authorization}\n`);
			} else if (fault.format === 'html') {
				const page = `<html>\n<head><title>${title}</title></head>\n<body>\n<h1>${title}</h1>\n<pre>\n${lines.join('\n')}\n</pre>\n</body>\n</html>\n`;
				sendRaw(ctx, status, undefined, 'text/html; charset=utf-8', page);
			} else {
				sendRaw(ctx, status, undefined, 'text/plain; charset=utf-8', `${title}\n${lines.join('\n')}\n`);
			}
			return 'answered';
		}
	}
}
