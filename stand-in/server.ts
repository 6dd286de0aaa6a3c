/**
 * The HTTP server: listens on 127.0.0.1, records every request, applies queued faults, routes to the
 * resource modules (text2video, image2video), to video downloads and to test images, and offers the control surface (faults, the
 * concurrency limit, stats, reset, close).
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

import { checkAuth } from './auth';
import { clearPendingCallbacks, postCallback, testCallbackBody } from './callbacks';
import { applyFault, injectFault, takeFault } from './faults';
import { image2video } from './image2video';
import { IMAGE_PATH_RE, serveImage } from './images';
import { DOWNLOAD_PATH_RE, serveDownload } from './media';
import { type ResourceModule, MAX_BODY_BYTES, handleCreate, handleGet, handleList, matchGetPath } from './resource';
import { ApiError, type RequestContext, finishRecord, requestId, sendError } from './respond';
import { type StandInState, checkLimit, createState } from './state';
import { stats } from './tasks';
import { DEFAULT_MODELS, text2video } from './text2video';
import type { KlingStandIn, RecordedRequest, StandInOptions, StandInTask } from './types';

/** The resource modules served, each under its own path. */
const RESOURCES: readonly ResourceModule[] = [text2video, image2video];

interface Route {
	kind: RecordedRequest['kind'];
	resource?: ResourceModule;
	/** For 'get': the id segment as sent (still percent-encoded). */
	rawId?: string;
}

/**
 * Splits a request target into path and query without normalising the path: `/text2video/..` stays as sent
 * (WHATWG URL parsing would turn it into `/v1/videos/` and answer the wrong thing).
 */
function splitTarget(rawUrl: string): { path: string; query: Record<string, string> } {
	const withoutFragment = rawUrl.split('#', 1)[0];
	const questionMark = withoutFragment.indexOf('?');
	const path = questionMark < 0 ? withoutFragment : withoutFragment.slice(0, questionMark);
	const query: Record<string, string> = {};
	if (questionMark >= 0) {
		for (const [key, value] of new URLSearchParams(withoutFragment.slice(questionMark + 1))) query[key] = value;
	}
	return { path: path || '/', query };
}

function classify(method: string, apiPath: string, isDownload: boolean, insidePrefix: boolean): Route {
	if (isDownload) return { kind: method === 'GET' || method === 'HEAD' ? 'download' : 'other' };
	if (!insidePrefix) return { kind: 'other' };
	for (const resource of RESOURCES) {
		if (apiPath === resource.path) {
			if (method === 'POST') return { kind: 'create', resource };
			if (method === 'GET') return { kind: 'list', resource };
			return { kind: 'other' };
		}
		const rawId = matchGetPath(resource, apiPath);
		if (rawId !== undefined) return method === 'GET' ? { kind: 'get', resource, rawId } : { kind: 'other' };
	}
	return { kind: 'other' };
}

function readBody(req: http.IncomingMessage, maxBytes: number): Promise<{ text: string; tooLarge: boolean }> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let bytes = 0;
		let tooLarge = false;
		req.on('data', (chunk: Buffer) => {
			bytes += chunk.length;
			if (bytes > maxBytes) tooLarge = true;
			else chunks.push(chunk);
		});
		req.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge }));
		req.on('error', reject);
		req.on('aborted', () => reject(new Error('request aborted')));
	});
}

async function handleRequest(state: StandInState, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
	const receivedAt = Date.now();
	const method = req.method ?? 'GET';
	const rawUrl = req.url ?? '/';
	const { path, query } = splitTarget(rawUrl);
	const { prefix } = state.config;

	const isImage = IMAGE_PATH_RE.test(path);
	const isDownload = DOWNLOAD_PATH_RE.test(path) || isImage; // downloads and test images are never under the prefix
	let apiPath = path;
	let insidePrefix = true;
	if (!isDownload && prefix) {
		if (path === prefix || path.startsWith(`${prefix}/`)) apiPath = path.slice(prefix.length) || '/';
		else insidePrefix = false;
	}
	const route = classify(method, apiPath, isDownload, insidePrefix);

	const record: RecordedRequest = {
		seq: ++state.seq,
		method,
		url: rawUrl,
		path,
		apiPath,
		query,
		headers: { ...req.headers },
		body: undefined,
		auth: { kind: 'none' },
		kind: route.kind,
		status: 0,
		receivedAt,
		respondedAt: 0,
	};
	if (route.resource) record.resource = route.resource.name;
	state.requests.push(record);
	const ctx: RequestContext = { req, res, record, dropInsteadOfAnswer: false };

	const fault = takeFault(state, route.kind);
	if (fault?.kind === 'drop-before-accept') {
		await applyFault(state, ctx, fault);
		return;
	}

	let bodyText: string;
	let bodyTooLarge: boolean;
	try {
		({ text: bodyText, tooLarge: bodyTooLarge } = await readBody(req, route.resource?.maxBodyBytes ?? MAX_BODY_BYTES));
	} catch {
		finishRecord(ctx, 0, undefined);
		return;
	}
	let bodyIsJson = false;
	if (bodyText.length > 0) {
		try {
			record.body = JSON.parse(bodyText);
			bodyIsJson = true;
		} catch {
			record.body = bodyText;
		}
	}
	let authResult = checkAuth(state, req.headers.authorization);
	if (!isDownload) record.auth = authResult.auth;

	if (fault) {
		if ((await applyFault(state, ctx, fault)) === 'answered') return;
		if (fault.kind === 'slow') {
			// the token is judged when the request is finally handled
			authResult = checkAuth(state, req.headers.authorization);
			if (!isDownload) record.auth = authResult.auth;
		}
	}

	try {
		if (route.kind === 'download') {
			if (isImage) serveImage(ctx, path);
			else serveDownload(state, ctx, path);
			return;
		}
		if (route.kind === 'other' || !route.resource) {
			if (!insidePrefix) throw new ApiError(404, 1202, `Invalid path: ${path} is outside the API prefix ${prefix}`);
			throw new ApiError(404, 1202, `Invalid method or path: ${method} ${apiPath}`);
		}
		if (authResult.error) throw authResult.error; // auth is enforced on API routes only

		if (route.kind === 'create') handleCreate(state, ctx, route.resource, { bodyIsJson, bodyTooLarge });
		else if (route.kind === 'get') handleGet(state, ctx, route.resource, route.rawId!);
		else handleList(state, ctx, route.resource, query);
	} catch (error) {
		if (error instanceof ApiError) sendError(ctx, error.status, error.code, error.message);
		else sendError(ctx, 500, 5000, `stand-in internal error: ${(error as Error).message}`);
	}
}

export async function startKlingStandIn(options: StandInOptions = {}): Promise<KlingStandIn> {
	const state = createState(options, DEFAULT_MODELS);

	const server = http.createServer((req, res) => {
		handleRequest(state, req, res).catch((error: Error) => {
			// last resort: never leave a request hanging
			if (!res.headersSent && !res.destroyed) {
				res.writeHead(500, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ code: 5000, message: `stand-in internal error: ${error.message}`, request_id: requestId() }));
			}
		});
	});
	server.keepAliveTimeout = 5000;
	server.on('connection', (socket: Socket) => {
		state.sockets.add(socket);
		socket.on('close', () => state.sockets.delete(socket));
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	const port = (server.address() as AddressInfo).port;
	state.baseUrl = `http://127.0.0.1:${port}`;

	return {
		url: state.baseUrl,
		port,
		requests: state.requests,
		tasks: state.tasks as Map<string, StandInTask>,
		callbacksSent: state.callbacksSent,
		sendCallback(url, body, options) {
			return postCallback(state, url, body, options);
		},
		sendTestCallback(url, options) {
			return postCallback(state, url, testCallbackBody(state), options);
		},
		injectFault(fault) {
			injectFault(state, fault);
		},
		clearFaults() {
			state.faults = [];
		},
		setMaxConcurrentTasks(n) {
			state.maxConcurrentTasks = checkLimit(n);
		},
		stats() {
			return stats(state);
		},
		reset() {
			state.generation++;
			clearPendingCallbacks(state);
			state.requests.length = 0;
			state.callbacksSent.length = 0;
			state.tasks.clear();
			state.tasksByExternalId.clear();
			state.faults = [];
			state.seq = 0;
			state.createdSinceReset = 0;
			state.createsAccepted = 0;
			state.createsRefused1303 = 0;
		},
		close() {
			if (state.closed) return Promise.resolve();
			state.closed = true;
			state.generation++;
			clearPendingCallbacks(state);
			for (const [timer, cancel] of state.slowTimers) {
				clearTimeout(timer);
				cancel();
			}
			state.slowTimers.clear();
			return new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
				for (const socket of state.sockets) socket.destroy();
				state.sockets.clear();
			});
		},
	};
}
