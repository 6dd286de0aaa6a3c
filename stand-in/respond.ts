/**
 * Answering a request: Kling's JSON envelopes, errors as exceptions, drops and truncation, and keeping the
 * request's record (status, code, time) in step with what was actually written.
 */
import { randomBytes } from 'node:crypto';
import type * as http from 'node:http';

import type { RecordedRequest } from './types';

/** An answer in Kling's error shape; thrown by validation and handlers, answered by the server. */
export class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: number,
		message: string,
	) {
		super(message);
	}
}

/** 400 / 1201: invalid parameter value. */
export function invalidValue(message: string): ApiError {
	return new ApiError(400, 1201, message);
}

/** 400 / 1200: invalid request parameters. */
export function invalidRequest(message: string): ApiError {
	return new ApiError(400, 1200, `Invalid request parameters: ${message}`);
}

export interface RequestContext {
	req: http.IncomingMessage;
	res: http.ServerResponse;
	record: RecordedRequest;
	/** 'drop-after-accept': do the work, then destroy the socket instead of answering. */
	dropInsteadOfAnswer: boolean;
	/** 'truncate': do the work, write this many body bytes, then destroy the socket. */
	truncateAfterBytes?: number;
}

export function requestId(): string {
	return `req_${randomBytes(8).toString('hex')}`;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function finishRecord(ctx: RequestContext, status: number, code: number | undefined): void {
	ctx.record.status = status;
	ctx.record.code = code;
	ctx.record.respondedAt = Date.now();
}

/** Destroys the connection without an answer (recorded as status 0). */
export function drop(ctx: RequestContext): void {
	finishRecord(ctx, 0, undefined);
	ctx.req.socket.destroy();
}

/** Writes a whole answer, or drops / truncates it as the request's fault says. */
export function sendRaw(
	ctx: RequestContext,
	status: number,
	code: number | undefined,
	contentType: string | undefined,
	body: string,
	extraHeaders: Record<string, string> = {},
): void {
	if (ctx.dropInsteadOfAnswer) {
		drop(ctx);
		return;
	}
	if (ctx.res.destroyed) return;
	const bytes = Buffer.from(body, 'utf8');
	const headers: Record<string, string | number> = { ...extraHeaders, 'content-length': bytes.length };
	if (contentType) headers['content-type'] = contentType;
	finishRecord(ctx, status, code);
	ctx.res.writeHead(status, headers);
	if (ctx.truncateAfterBytes !== undefined) {
		writeThenDestroy(ctx, bytes.subarray(0, Math.max(0, ctx.truncateAfterBytes)));
		return;
	}
	ctx.res.end(bytes);
}

/**
 * Writes the head (if not yet sent) and `chunk`, and destroys the socket once they have been handed to it:
 * the client gets a body shorter than announced, then a closed connection.
 */
export function writeThenDestroy(ctx: RequestContext, chunk: Buffer): void {
	const socket = ctx.req.socket;
	const done = () => {
		ctx.record.respondedAt = Date.now();
		socket.destroy();
	};
	if (chunk.length > 0) {
		ctx.res.write(chunk, () => done());
	} else {
		ctx.res.flushHeaders();
		socket.write(Buffer.alloc(0), () => done());
	}
}

export function sendSuccess(ctx: RequestContext, data: unknown): void {
	const body = { code: 0, message: 'SUCCEED', request_id: requestId(), data };
	sendRaw(ctx, 200, 0, 'application/json; charset=utf-8', JSON.stringify(body));
}

export function sendError(
	ctx: RequestContext,
	status: number,
	code: number,
	message: string,
	extraHeaders?: Record<string, string>,
	extraFields?: Record<string, unknown>,
): void {
	const body = { code, message, request_id: requestId(), ...extraFields };
	sendRaw(ctx, status, code, 'application/json; charset=utf-8', JSON.stringify(body), extraHeaders);
}
