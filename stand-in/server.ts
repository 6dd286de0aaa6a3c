/**
 * A local HTTP stand-in for the Kling text-to-video API (node:http only, no dependencies).
 *
 * Real HTTP on 127.0.0.1, strict about authentication and parameters (per the official text-to-video
 * reference), and it records every request, task and callback so tests, demos and benchmarks can check
 * exactly what a client sent. See the spec files in /work/shared/spec for the behaviour it imitates.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

export interface StandInOptions {
	/** Access key expected as the JWT `iss` claim (default 'test-access-key'). */
	accessKey?: string;
	/** Secret key the JWTs must be signed with, HS256 (default 'test-secret-key'). */
	secretKey?: string;
	/** Plain Bearer keys accepted as-is (default []). */
	apiKeys?: string[];
	/** Path prefix like '/kling' (default ''); API paths outside it answer 404 code 1202. */
	prefix?: string;
	/**
	 * Which body field names the model (default 'model_name' = official behaviour):
	 * - 'model_name': reads only model_name; a body with only `model` silently runs kling-v1.
	 * - 'model': a proxy that reads only `model` (missing -> 400/1200; model_name -> 400/1200 unknown field).
	 * - 'either': accepts model, model_name or both (both and different -> 400/1201).
	 */
	modelField?: 'model_name' | 'model' | 'either';
	/** Models accepted (default the six text-to-video models of the doc); unknown -> 400/1201. */
	knownModels?: string[];
	/** The stand-in's clock = real clock + offset (simulates skew for nbf/exp checks). */
	clockOffsetSec?: number;
	/** Plan per created task (index = 0-based count of tasks created since start or reset). */
	plan?: (body: Record<string, unknown>, index: number) => Partial<TaskPlan>;
	/** Default task duration when plan gives none (default 0: a Get right after Create sees succeed). */
	taskDurationMs?: number;
	/** Default size of each video file (default 64 KiB). */
	videoBytes?: number;
	/** Unfinished tasks that may exist at once; over it Create answers 429/1303 (default Infinity). */
	maxConcurrentTasks?: number;
	/** POST status changes to callback_url (default true). */
	callbacks?: boolean;
}

export interface TaskPlan {
	/** Time from creation to the final status. */
	durationMs: number;
	/** submitted -> processing (default min(durationMs / 4, 1000)). */
	processingAfterMs: number;
	/**
	 * If set, the task finishes on the Nth GET of that task instead of by time: GET 1 answers
	 * 'submitted', GETs 2..N-1 'processing', GET N (and later) the final status.
	 */
	completeAfterPolls?: number;
	/** If set, the final status is 'failed' with this task_status_msg. */
	fail?: string;
	/** Default 1. */
	videoCount: number;
	videoBytes: number;
}

export interface RecordedAuth {
	kind: 'jwt' | 'apiKey' | 'none' | 'invalid';
	claims?: { iss: string; exp: number; nbf: number; [k: string]: unknown };
	header?: Record<string, unknown>;
	token?: string;
}

export interface RecordedRequest {
	seq: number;
	method: string;
	url: string;
	/** Path without query, with prefix. */
	path: string;
	/** Path with the prefix removed (same as path for downloads and paths outside the prefix). */
	apiPath: string;
	query: Record<string, string>;
	headers: Record<string, string | string[] | undefined>;
	/** Parsed JSON, or the raw string when it is not JSON, or undefined when empty. */
	body: unknown;
	auth: RecordedAuth;
	kind: 'create' | 'get' | 'list' | 'download' | 'other';
	/** For get/create/download when known. */
	taskId?: string;
	/** HTTP status answered; 0 while unanswered and for dropped connections. */
	status: number;
	/** Body code answered (undefined for non-JSON answers and drops). */
	code?: number;
	/** Date.now() ms (real clock). */
	receivedAt: number;
	/** Date.now() ms when the answer was written (for downloads: when the last byte was written). */
	respondedAt: number;
}

export type TaskStatus = 'submitted' | 'processing' | 'succeed' | 'failed';

export interface StandInTask {
	task_id: string;
	external_task_id?: string;
	model: string;
	body: Record<string, unknown>;
	plan: TaskPlan;
	/** Real clock ms. */
	createdAt: number;
	/** When it reaches its final status (real clock ms); Infinity for completeAfterPolls until it happens. */
	finishedAt: number;
	polls: number;
	status(): TaskStatus;
}

export interface Fault {
	on: 'create' | 'get' | 'list' | 'download' | 'any';
	/** How many matching requests get this fault (default 1). */
	times?: number;
	kind: 'error' | 'drop-after-accept' | 'drop-before-accept' | 'garbage' | 'html' | 'empty' | 'no-data' | 'slow';
	/** For 'error' (defaults 500 / 5000); HTTP 200 with a non-zero code is allowed too. */
	status?: number;
	code?: number;
	message?: string;
	/** Sets a Retry-After header on 'error'. */
	retryAfterSec?: number;
	/** For 'slow': answer normally after this delay. */
	delayMs?: number;
}

export interface SentCallback {
	url: string;
	body: unknown;
	status?: number;
	error?: string;
	/** When it was sent (real clock ms); the entry is recorded once the answer (or error) is in. */
	at: number;
}

export interface KlingStandIn {
	/** e.g. http://127.0.0.1:43123 (no trailing slash, no prefix). */
	url: string;
	port: number;
	requests: RecordedRequest[];
	/** By task_id, in creation order. */
	tasks: Map<string, StandInTask>;
	callbacksSent: SentCallback[];
	/** Queue a fault; faults are consumed in order by matching requests. */
	injectFault(f: Fault): void;
	clearFaults(): void;
	/** Forget requests, tasks, faults and callbacks (pending callback timers are cleared). */
	reset(): void;
	/** Closes the server and all sockets, clears timers. */
	close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Model support (official text-to-video reference)
// ---------------------------------------------------------------------------------------------

export interface ModelSupport {
	cfgScale: boolean;
	modes: readonly string[];
	/** 'pro-only': `sound` allowed in mode 'pro' only; 'yes': always; 'no': never. */
	sound: 'no' | 'pro-only' | 'yes';
	/** 'v1-std-5s': only with mode std and duration '5'. */
	cameraControl: 'no' | 'v1-std-5s' | 'yes';
	durations: readonly string[];
}

const STANDARD_DURATIONS = ['5', '10'] as const;

export const MODEL_SUPPORT: Readonly<Record<string, ModelSupport>> = {
	'kling-v1': { cfgScale: true, modes: ['std', 'pro'], sound: 'no', cameraControl: 'v1-std-5s', durations: STANDARD_DURATIONS },
	'kling-v1-6': { cfgScale: true, modes: ['std', 'pro'], sound: 'no', cameraControl: 'no', durations: STANDARD_DURATIONS },
	'kling-v2-master': { cfgScale: false, modes: [], sound: 'no', cameraControl: 'no', durations: STANDARD_DURATIONS },
	'kling-v2-1-master': { cfgScale: false, modes: [], sound: 'no', cameraControl: 'no', durations: STANDARD_DURATIONS },
	'kling-v2-5-turbo': { cfgScale: false, modes: ['std', 'pro'], sound: 'no', cameraControl: 'no', durations: STANDARD_DURATIONS },
	'kling-v2-6': { cfgScale: false, modes: ['std', 'pro'], sound: 'pro-only', cameraControl: 'no', durations: STANDARD_DURATIONS },
};

/**
 * Support assumed for models added through `knownModels` that are not in MODEL_SUPPORT (newer models):
 * only types and ranges are checked, and durations '3'..'15' are accepted (as kling-v3 does).
 */
export const NEW_MODEL_SUPPORT: ModelSupport = {
	cfgScale: true,
	modes: ['std', 'pro'],
	sound: 'yes',
	cameraControl: 'yes',
	durations: Array.from({ length: 13 }, (_, i) => String(i + 3)),
};

export const DEFAULT_MODELS: readonly string[] = Object.keys(MODEL_SUPPORT);

const CREATE_FIELDS = [
	'prompt',
	'negative_prompt',
	'sound',
	'cfg_scale',
	'mode',
	'camera_control',
	'aspect_ratio',
	'duration',
	'callback_url',
	'external_task_id',
];
const CAMERA_TYPES = ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'];
const CAMERA_AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'];
const ASPECT_RATIOS = ['16:9', '9:16', '1:1'];
const MAX_PROMPT_CHARS = 2500;
const MAX_BODY_BYTES = 5 * 1024 * 1024;
const DOWNLOAD_CHUNK_BYTES = 64 * 1024;
const CREATE_PATH = '/v1/videos/text2video';
const GET_PATH_RE = /^\/v1\/videos\/text2video\/([^/]+)$/;
const DOWNLOAD_PATH_RE = /^\/files\/([^/]+)\/(\d+)\.mp4$/;

// ---------------------------------------------------------------------------------------------
// JWT helpers
// ---------------------------------------------------------------------------------------------

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

function isPlainObject(value: unknown): value is Record<string, unknown> {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// ---------------------------------------------------------------------------------------------
// Deterministic video bytes
// ---------------------------------------------------------------------------------------------

// ftyp box (32 bytes): size, 'ftyp', major brand 'isom', minor version 0x200, four compatible brands.
const FTYP_BOX = Buffer.concat([
	Buffer.from([0, 0, 0, 32]),
	Buffer.from('ftypisom', 'latin1'),
	Buffer.from([0, 0, 2, 0]),
	Buffer.from('isomiso2avc1mp41', 'latin1'),
]);

/** Produces the bytes of one video sequentially, in chunks, without holding the whole file. */
class VideoByteGenerator {
	private s0: number;
	private s1: number;
	private s2: number;
	private s3: number;
	private offset = 0;
	private readonly header: Buffer;

	constructor(taskId: string, n: number, readonly size: number) {
		const seed = createHash('sha256').update(`kling-stand-in\0${taskId}\0${n}`).digest();
		this.s0 = seed.readUInt32LE(0);
		this.s1 = seed.readUInt32LE(4);
		this.s2 = seed.readUInt32LE(8);
		this.s3 = seed.readUInt32LE(12) | 1; // never an all-zero state
		// ftyp box, then an mdat box header covering the rest of the file
		const mdat = Buffer.alloc(8);
		mdat.writeUInt32BE(Math.max(0, Math.min(size - 32, 0xffffffff)), 0);
		mdat.write('mdat', 4, 'latin1');
		this.header = Buffer.concat([FTYP_BOX, mdat]);
	}

	get done(): boolean {
		return this.offset >= this.size;
	}

	/** Next chunk of at most `max` bytes; only the final chunk may have a length that is not a multiple of 4. */
	next(max: number): Buffer {
		const remaining = this.size - this.offset;
		let length = Math.min(max, remaining);
		if (length < remaining) length = Math.max(4, length - (length % 4));
		const words = new Uint32Array(Math.ceil(length / 4));
		for (let i = 0; i < words.length; i++) words[i] = this.nextWord();
		const chunk = Buffer.from(words.buffer, 0, length);
		if (this.offset < this.header.length) {
			this.header.copy(chunk, 0, this.offset, Math.min(this.header.length, this.offset + length));
		}
		this.offset += length;
		return chunk;
	}

	// xoshiro128**
	private nextWord(): number {
		const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
		const t = this.s1 << 9;
		this.s2 ^= this.s0;
		this.s3 ^= this.s1;
		this.s1 ^= this.s2;
		this.s0 ^= this.s3;
		this.s2 ^= t;
		this.s3 = rotl(this.s3, 11);
		return result;
	}
}

function rotl(x: number, k: number): number {
	return (x << k) | (x >>> (32 - k));
}

/** Deterministic bytes of video n (1-based, as in the served URLs) of a task; identical to what is served. */
export function videoContent(taskId: string, n: number, size: number): Buffer {
	const generator = new VideoByteGenerator(taskId, n, size);
	const chunks: Buffer[] = [];
	while (!generator.done) chunks.push(generator.next(DOWNLOAD_CHUNK_BYTES));
	return Buffer.concat(chunks, size);
}

// ---------------------------------------------------------------------------------------------
// Internals
// ---------------------------------------------------------------------------------------------

class ApiError extends Error {
	constructor(
		readonly status: number,
		readonly code: number,
		message: string,
	) {
		super(message);
	}
}

function invalidValue(message: string): ApiError {
	return new ApiError(400, 1201, message);
}

class Task implements StandInTask {
	polls = 0;
	finishedAt: number;
	/** Real clock ms when it enters 'processing' (Infinity until known for poll-driven tasks). */
	processingAt: number;

	constructor(
		readonly task_id: string,
		readonly external_task_id: string | undefined,
		readonly model: string,
		readonly body: Record<string, unknown>,
		readonly plan: TaskPlan,
		readonly createdAt: number,
	) {
		if (plan.completeAfterPolls === undefined) {
			this.finishedAt = createdAt + plan.durationMs;
			this.processingAt = createdAt + Math.min(plan.processingAfterMs, plan.durationMs);
		} else if (plan.completeAfterPolls <= 0) {
			this.finishedAt = createdAt;
			this.processingAt = createdAt;
		} else {
			this.finishedAt = Infinity;
			this.processingAt = Infinity;
		}
	}

	get finalStatus(): 'succeed' | 'failed' {
		return this.plan.fail === undefined ? 'succeed' : 'failed';
	}

	status(): TaskStatus {
		const now = Date.now();
		if (now >= this.finishedAt) return this.finalStatus;
		if (now >= this.processingAt) return 'processing';
		return 'submitted';
	}

	/** Counts a GET; moves poll-driven tasks along. */
	registerPoll(): void {
		this.polls++;
		const target = this.plan.completeAfterPolls;
		if (target === undefined) return;
		const now = Date.now();
		if (this.polls >= target && this.finishedAt === Infinity) {
			this.finishedAt = now;
			if (this.processingAt === Infinity) this.processingAt = now;
		} else if (this.polls >= 2 && this.processingAt === Infinity) {
			this.processingAt = now;
		}
	}

	/** Real clock ms of the last status change for a given status. */
	changedAt(status: TaskStatus): number {
		if (status === 'submitted') return this.createdAt;
		if (status === 'processing') return this.processingAt === Infinity ? this.createdAt : this.processingAt;
		return this.finishedAt === Infinity ? this.createdAt : this.finishedAt;
	}
}

interface RequestContext {
	req: http.IncomingMessage;
	res: http.ServerResponse;
	record: RecordedRequest;
	/** 'drop-after-accept': do the work, then destroy the socket instead of answering. */
	dropInsteadOfAnswer: boolean;
}

interface QueuedFault {
	fault: Fault;
	remaining: number;
}

function normalizePrefix(prefix: string | undefined): string {
	if (!prefix) return '';
	let normalized = prefix.startsWith('/') ? prefix : `/${prefix}`;
	while (normalized.endsWith('/')) normalized = normalized.slice(0, -1);
	return normalized;
}

function requestId(): string {
	return `req_${randomBytes(8).toString('hex')}`;
}

// ---------------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------------

export async function startKlingStandIn(options: StandInOptions = {}): Promise<KlingStandIn> {
	const accessKey = options.accessKey ?? 'test-access-key';
	const secretKey = options.secretKey ?? 'test-secret-key';
	const apiKeys = new Set(options.apiKeys ?? []);
	const prefix = normalizePrefix(options.prefix);
	const modelField = options.modelField ?? 'model_name';
	const knownModels = new Set(options.knownModels ?? DEFAULT_MODELS);
	const clockOffsetMs = (options.clockOffsetSec ?? 0) * 1000;
	const defaultDurationMs = options.taskDurationMs ?? 0;
	const defaultVideoBytes = options.videoBytes ?? 64 * 1024;
	const maxConcurrentTasks = options.maxConcurrentTasks ?? Infinity;
	const callbacksEnabled = options.callbacks ?? true;

	const requests: RecordedRequest[] = [];
	const tasks = new Map<string, Task>();
	const tasksByExternalId = new Map<string, Task>();
	const callbacksSent: SentCallback[] = [];
	let faults: QueuedFault[] = [];
	let seq = 0;
	let taskCounter = 0;
	let createdSinceReset = 0;
	let generation = 0; // bumped by reset(): late callback results of an earlier generation are dropped
	let closed = false;

	const sockets = new Set<Socket>();
	const callbackTimers = new Set<NodeJS.Timeout>();
	const slowTimers = new Map<NodeJS.Timeout, () => void>();
	const callbackRequests = new Set<http.ClientRequest>();

	const server = http.createServer((req, res) => {
		handleRequest(req, res).catch((error: Error) => {
			// last resort: never leave a request hanging
			if (!res.headersSent && !res.destroyed) {
				res.writeHead(500, { 'content-type': 'application/json' });
				res.end(JSON.stringify({ code: 5000, message: `stand-in internal error: ${error.message}`, request_id: requestId() }));
			}
		});
	});
	server.keepAliveTimeout = 5000;
	server.on('connection', (socket: Socket) => {
		sockets.add(socket);
		socket.on('close', () => sockets.delete(socket));
	});

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			server.off('error', reject);
			resolve();
		});
	});
	const port = (server.address() as AddressInfo).port;
	const baseUrl = `http://127.0.0.1:${port}`;

	const standInNowMs = () => Date.now() + clockOffsetMs;
	const toStandInClock = (realMs: number) => Math.round(realMs + clockOffsetMs);

	// --- answering -------------------------------------------------------------------------

	function finishRecord(ctx: RequestContext, status: number, code: number | undefined): void {
		ctx.record.status = status;
		ctx.record.code = code;
		ctx.record.respondedAt = Date.now();
	}

	function drop(ctx: RequestContext): void {
		finishRecord(ctx, 0, undefined);
		ctx.req.socket.destroy();
	}

	function sendRaw(
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
		const headers: Record<string, string | number> = { ...extraHeaders, 'content-length': Buffer.byteLength(body) };
		if (contentType) headers['content-type'] = contentType;
		finishRecord(ctx, status, code);
		ctx.res.writeHead(status, headers);
		ctx.res.end(body);
	}

	function sendSuccess(ctx: RequestContext, data: unknown): void {
		const body = { code: 0, message: 'SUCCEED', request_id: requestId(), data };
		sendRaw(ctx, 200, 0, 'application/json; charset=utf-8', JSON.stringify(body));
	}

	function sendError(ctx: RequestContext, status: number, code: number, message: string, extraHeaders?: Record<string, string>): void {
		const body = { code, message, request_id: requestId() };
		sendRaw(ctx, status, code, 'application/json; charset=utf-8', JSON.stringify(body), extraHeaders);
	}

	// --- request flow ----------------------------------------------------------------------

	function classify(method: string, apiPath: string, isDownload: boolean, insidePrefix: boolean): RecordedRequest['kind'] {
		if (isDownload) return method === 'GET' || method === 'HEAD' ? 'download' : 'other';
		if (!insidePrefix) return 'other';
		if (apiPath === CREATE_PATH) {
			if (method === 'POST') return 'create';
			if (method === 'GET') return 'list';
			return 'other';
		}
		if (GET_PATH_RE.test(apiPath) && method === 'GET') return 'get';
		return 'other';
	}

	function takeFault(kind: RecordedRequest['kind']): Fault | undefined {
		const index = faults.findIndex((queued) => queued.fault.on === 'any' || queued.fault.on === kind);
		if (index < 0) return undefined;
		const queued = faults[index];
		queued.remaining--;
		if (queued.remaining <= 0) faults.splice(index, 1);
		return queued.fault;
	}

	function readBody(req: http.IncomingMessage): Promise<{ text: string; tooLarge: boolean }> {
		return new Promise((resolve, reject) => {
			const chunks: Buffer[] = [];
			let bytes = 0;
			let tooLarge = false;
			req.on('data', (chunk: Buffer) => {
				bytes += chunk.length;
				if (bytes > MAX_BODY_BYTES) tooLarge = true;
				else chunks.push(chunk);
			});
			req.on('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), tooLarge }));
			req.on('error', reject);
			req.on('aborted', () => reject(new Error('request aborted')));
		});
	}

	function delay(ms: number): Promise<boolean> {
		return new Promise((resolve) => {
			const timer = setTimeout(() => {
				slowTimers.delete(timer);
				resolve(!closed);
			}, ms);
			slowTimers.set(timer, () => resolve(false));
		});
	}

	async function handleRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const receivedAt = Date.now();
		const method = req.method ?? 'GET';
		const rawUrl = req.url ?? '/';
		const parsed = new URL(rawUrl, 'http://127.0.0.1');
		const path = parsed.pathname;
		const query: Record<string, string> = {};
		for (const [key, value] of parsed.searchParams) query[key] = value;

		const isDownload = DOWNLOAD_PATH_RE.test(path); // downloads are never under the prefix
		let apiPath = path;
		let insidePrefix = true;
		if (!isDownload && prefix) {
			if (path === prefix || path.startsWith(`${prefix}/`)) apiPath = path.slice(prefix.length) || '/';
			else insidePrefix = false;
		}
		const kind = classify(method, apiPath, isDownload, insidePrefix);

		const record: RecordedRequest = {
			seq: ++seq,
			method,
			url: rawUrl,
			path,
			apiPath,
			query,
			headers: { ...req.headers },
			body: undefined,
			auth: { kind: 'none' },
			kind,
			status: 0,
			receivedAt,
			respondedAt: 0,
		};
		requests.push(record);
		const ctx: RequestContext = { req, res, record, dropInsteadOfAnswer: false };

		const fault = takeFault(kind);
		if (fault?.kind === 'drop-before-accept') {
			drop(ctx);
			return;
		}

		let bodyText: string;
		let bodyTooLarge: boolean;
		try {
			({ text: bodyText, tooLarge: bodyTooLarge } = await readBody(req));
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
		let authResult = checkAuth(req.headers.authorization);
		if (!isDownload) record.auth = authResult.auth;

		if (fault) {
			switch (fault.kind) {
				case 'slow':
					if (!(await delay(fault.delayMs ?? 1000))) {
						finishRecord(ctx, 0, undefined);
						return;
					}
					// the token is judged when the request is finally handled
					authResult = checkAuth(req.headers.authorization);
					if (!isDownload) record.auth = authResult.auth;
					break;
				case 'error': {
					const headers: Record<string, string> = {};
					if (fault.retryAfterSec !== undefined) headers['retry-after'] = String(fault.retryAfterSec);
					sendError(ctx, fault.status ?? 500, fault.code ?? 5000, fault.message ?? 'Injected fault: server internal error', headers);
					return;
				}
				case 'garbage':
					sendRaw(ctx, 200, undefined, 'application/json; charset=utf-8', 'not json{{');
					return;
				case 'html':
					sendRaw(
						ctx,
						502,
						undefined,
						'text/html; charset=utf-8',
						'<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n',
					);
					return;
				case 'empty':
					sendRaw(ctx, 200, undefined, undefined, '');
					return;
				case 'no-data':
					sendRaw(ctx, 200, 0, 'application/json; charset=utf-8', JSON.stringify({ code: 0, message: 'SUCCEED', request_id: requestId() }));
					return;
				case 'drop-after-accept':
					ctx.dropInsteadOfAnswer = true;
					break;
			}
		}

		try {
			route(ctx, kind, authResult.error, { insidePrefix, apiPath, path, method, query, bodyIsJson, bodyTooLarge });
		} catch (error) {
			if (error instanceof ApiError) sendError(ctx, error.status, error.code, error.message);
			else sendError(ctx, 500, 5000, `stand-in internal error: ${(error as Error).message}`);
		}
	}

	interface RouteInput {
		insidePrefix: boolean;
		apiPath: string;
		path: string;
		method: string;
		query: Record<string, string>;
		bodyIsJson: boolean;
		bodyTooLarge: boolean;
	}

	function route(ctx: RequestContext, kind: RecordedRequest['kind'], authError: ApiError | undefined, input: RouteInput): void {
		if (kind === 'download') {
			serveDownload(ctx, input.path);
			return;
		}
		if (kind === 'other') {
			if (!input.insidePrefix) {
				throw new ApiError(404, 1202, `Invalid path: ${input.path} is outside the API prefix ${prefix}`);
			}
			throw new ApiError(404, 1202, `Invalid method or path: ${input.method} ${input.apiPath}`);
		}
		if (authError) throw authError; // auth is enforced on API routes only

		if (kind === 'create') handleCreate(ctx, input);
		else if (kind === 'get') handleGet(ctx, decodeURIComponent(GET_PATH_RE.exec(input.apiPath)![1]));
		else handleList(ctx, input.query);
	}

	// --- auth ------------------------------------------------------------------------------

	function checkAuth(authorization: string | undefined): { auth: RecordedAuth; error?: ApiError } {
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
		const invalid = (auth: RecordedAuth, code: number, message: string) => ({
			auth: { ...auth, kind: 'invalid' as const },
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
		const nowSec = standInNowMs() / 1000;
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

	// --- create ----------------------------------------------------------------------------

	function handleCreate(ctx: RequestContext, input: RouteInput): void {
		const contentType = String(ctx.req.headers['content-type'] ?? '');
		if (!/^application\/json\b/i.test(contentType)) {
			throw new ApiError(400, 1200, 'Invalid request parameters: Content-Type must be application/json');
		}
		if (input.bodyTooLarge) throw new ApiError(400, 1200, `Invalid request parameters: body is larger than ${MAX_BODY_BYTES} bytes`);
		if (!input.bodyIsJson) throw new ApiError(400, 1200, 'Invalid request parameters: the body is not valid JSON');
		const body = ctx.record.body;
		if (!isPlainObject(body)) throw new ApiError(400, 1200, 'Invalid request parameters: the body must be a JSON object');

		const model = validateCreateBody(body);

		const externalTaskId = body.external_task_id as string | undefined;
		if (externalTaskId !== undefined && tasksByExternalId.has(externalTaskId)) {
			throw invalidValue(`duplicate external_task_id: "${externalTaskId}" is already used by another task`);
		}
		const unfinished = () =>
			[...tasks.values()].filter((task) => {
				const status = task.status();
				return status === 'submitted' || status === 'processing';
			}).length;
		if (maxConcurrentTasks !== Infinity && unfinished() >= maxConcurrentTasks) {
			throw new ApiError(
				429,
				1303,
				`Concurrent tasks over the resource pack's limit (${maxConcurrentTasks}); retry after a running task finishes`,
			);
		}

		const planned = options.plan?.(body, createdSinceReset) ?? {};
		const durationMs = planned.durationMs ?? defaultDurationMs;
		const plan: TaskPlan = {
			durationMs,
			processingAfterMs: planned.processingAfterMs ?? Math.min(durationMs / 4, 1000),
			videoCount: planned.videoCount ?? 1,
			videoBytes: planned.videoBytes ?? defaultVideoBytes,
		};
		if (planned.completeAfterPolls !== undefined) plan.completeAfterPolls = planned.completeAfterPolls;
		if (planned.fail !== undefined) plan.fail = planned.fail;
		createdSinceReset++;

		const taskId = `tk_${++taskCounter}_${randomBytes(6).toString('hex')}`;
		const task = new Task(taskId, externalTaskId, model, body, plan, Date.now());
		tasks.set(taskId, task);
		if (externalTaskId !== undefined) tasksByExternalId.set(externalTaskId, task);
		ctx.record.taskId = taskId;
		scheduleTimedCallbacks(task);

		sendSuccess(ctx, {
			task_id: taskId,
			task_status: 'submitted',
			task_info: taskInfo(task),
			created_at: toStandInClock(task.createdAt),
			updated_at: toStandInClock(task.createdAt),
		});
	}

	function resolveModel(body: Record<string, unknown>): string {
		const hasModelName = body.model_name !== undefined;
		const hasModel = body.model !== undefined;
		switch (modelField) {
			case 'model_name':
				// official API: `model` is tolerated but ignored
				return hasModelName ? checkModel('model_name', body.model_name) : 'kling-v1';
			case 'model':
				if ('model_name' in body) {
					throw new ApiError(400, 1200, 'Invalid request parameters: unknown field "model_name" (this API reads "model")');
				}
				if (!hasModel) throw new ApiError(400, 1200, 'Invalid request parameters: "model" is required');
				return checkModel('model', body.model);
			case 'either': {
				const fromName = hasModelName ? checkModel('model_name', body.model_name) : undefined;
				const fromModel = hasModel ? checkModel('model', body.model) : undefined;
				if (fromName !== undefined && fromModel !== undefined && fromName !== fromModel) {
					throw invalidValue(`"model" (${fromModel}) and "model_name" (${fromName}) disagree`);
				}
				return fromName ?? fromModel ?? 'kling-v1';
			}
		}
	}

	function checkModel(field: string, value: unknown): string {
		if (typeof value !== 'string' || value === '') throw invalidValue(`"${field}" must be a non-empty string`);
		if (!knownModels.has(value)) {
			throw invalidValue(`model not supported: "${value}" (supported: ${[...knownModels].join(', ')})`);
		}
		return value;
	}

	/** Checks every field against the official reference; returns the model that will run. */
	function validateCreateBody(body: Record<string, unknown>): string {
		// `model` is always allowed: the official API tolerates (ignores) it, proxies read it
		const allowed = new Set([...CREATE_FIELDS, 'model']);
		if (modelField !== 'model') allowed.add('model_name');
		for (const key of Object.keys(body)) {
			if (!allowed.has(key)) {
				throw new ApiError(400, 1200, `Invalid request parameters: unknown field "${key}"`);
			}
		}

		const model = resolveModel(body);
		const support = MODEL_SUPPORT[model] ?? NEW_MODEL_SUPPORT;

		const { prompt, negative_prompt: negativePrompt } = body;
		if (prompt === undefined) throw invalidValue('"prompt" is required');
		if (typeof prompt !== 'string' || prompt.trim() === '') throw invalidValue('"prompt" must be a non-empty string');
		if (Array.from(prompt).length > MAX_PROMPT_CHARS) throw invalidValue(`"prompt" is longer than ${MAX_PROMPT_CHARS} characters`);
		if (negativePrompt !== undefined) {
			if (typeof negativePrompt !== 'string') throw invalidValue('"negative_prompt" must be a string');
			if (Array.from(negativePrompt).length > MAX_PROMPT_CHARS) {
				throw invalidValue(`"negative_prompt" is longer than ${MAX_PROMPT_CHARS} characters`);
			}
		}

		if (body.mode !== undefined) {
			if (body.mode !== 'std' && body.mode !== 'pro') throw invalidValue('"mode" must be "std" or "pro"');
			if (!support.modes.includes(body.mode)) throw invalidValue(`"mode" is not supported by ${model}`);
		}
		const mode = (body.mode as string | undefined) ?? 'std';

		if (body.cfg_scale !== undefined) {
			const cfg = body.cfg_scale;
			if (typeof cfg !== 'number' || !Number.isFinite(cfg) || cfg < 0 || cfg > 1) {
				throw invalidValue('"cfg_scale" must be a number between 0 and 1');
			}
			if (!support.cfgScale) throw invalidValue(`cfg_scale is not supported by ${model}`);
		}

		if (body.sound !== undefined) {
			if (body.sound !== 'on' && body.sound !== 'off') throw invalidValue('"sound" must be "on" or "off"');
			if (support.sound === 'no') throw invalidValue(`sound is not supported by ${model}`);
			if (support.sound === 'pro-only' && mode !== 'pro') throw invalidValue(`sound is supported by ${model} in mode "pro" only`);
		}

		if (body.duration !== undefined) {
			if (typeof body.duration !== 'string') throw invalidValue('"duration" must be a string such as "5" or "10"');
			if (!support.durations.includes(body.duration)) {
				throw invalidValue(`"duration" must be one of ${support.durations.map((d) => `"${d}"`).join(', ')} for ${model}`);
			}
		}
		const duration = (body.duration as string | undefined) ?? '5';

		if (body.aspect_ratio !== undefined && !ASPECT_RATIOS.includes(body.aspect_ratio as string)) {
			throw invalidValue(`"aspect_ratio" must be one of ${ASPECT_RATIOS.join(', ')}`);
		}

		if (body.camera_control !== undefined) validateCameraControl(body.camera_control, model, support, mode, duration);

		if (body.callback_url !== undefined) {
			if (typeof body.callback_url !== 'string' || !/^https?:\/\/\S+$/i.test(body.callback_url)) {
				throw invalidValue('"callback_url" must be an http:// or https:// URL');
			}
		}

		if (body.external_task_id !== undefined) {
			if (typeof body.external_task_id !== 'string' || body.external_task_id === '') {
				throw invalidValue('"external_task_id" must be a non-empty string');
			}
		}
		return model;
	}

	function validateCameraControl(value: unknown, model: string, support: ModelSupport, mode: string, duration: string): void {
		if (support.cameraControl === 'no') throw invalidValue(`camera_control is not supported by ${model}`);
		if (support.cameraControl === 'v1-std-5s' && (mode !== 'std' || duration !== '5')) {
			throw invalidValue(`camera_control is supported by ${model} only with mode "std" and duration "5"`);
		}
		if (!isPlainObject(value)) throw invalidValue('"camera_control" must be an object');
		for (const key of Object.keys(value)) {
			if (key !== 'type' && key !== 'config') throw invalidValue(`unknown field "camera_control.${key}"`);
		}
		const type = value.type;
		if (typeof type !== 'string' || !CAMERA_TYPES.includes(type)) {
			throw invalidValue(`"camera_control.type" must be one of ${CAMERA_TYPES.join(', ')}`);
		}
		let nonZero = 0;
		if (value.config !== undefined) {
			if (!isPlainObject(value.config)) throw invalidValue('"camera_control.config" must be an object');
			for (const [axis, amount] of Object.entries(value.config)) {
				if (!CAMERA_AXES.includes(axis)) throw invalidValue(`unknown field "camera_control.config.${axis}"`);
				if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < -10 || amount > 10) {
					throw invalidValue(`"camera_control.config.${axis}" must be a number between -10 and 10`);
				}
				if (amount !== 0) nonZero++;
			}
		}
		if (type === 'simple') {
			if (value.config === undefined) throw invalidValue('camera_control type "simple" requires "config"');
			if (nonZero !== 1) {
				throw invalidValue(`camera_control type "simple" needs exactly one non-zero config value (got ${nonZero})`);
			}
		} else if (nonZero !== 0) {
			throw invalidValue(`camera_control type "${type}" is a preset and takes no config`);
		}
	}

	// --- get / list ------------------------------------------------------------------------

	function taskInfo(task: Task): { external_task_id?: string } {
		return task.external_task_id === undefined ? {} : { external_task_id: task.external_task_id };
	}

	/** The task in the shape of the query's `data` (also used for list items and callbacks). */
	function taskShape(task: Task, status: TaskStatus = task.status()): Record<string, unknown> {
		const shape: Record<string, unknown> = {
			task_id: task.task_id,
			task_status: status,
			task_status_msg: status === 'failed' ? (task.plan.fail ?? '') : '',
			task_info: taskInfo(task),
			created_at: toStandInClock(task.createdAt),
			updated_at: toStandInClock(task.changedAt(status)),
		};
		if (status === 'succeed') {
			const duration = typeof task.body.duration === 'string' ? task.body.duration : '5';
			shape.final_unit_deduction = duration === '10' ? '2' : '1';
			const videos = [];
			for (let n = 1; n <= task.plan.videoCount; n++) {
				videos.push({ id: `${task.task_id}_v${n}`, url: `${baseUrl}/files/${task.task_id}/${n}.mp4`, duration });
			}
			shape.task_result = { videos };
		}
		return shape;
	}

	function findTask(id: string): Task | undefined {
		return tasks.get(id) ?? tasksByExternalId.get(id);
	}

	function handleGet(ctx: RequestContext, id: string): void {
		ctx.record.taskId = id;
		const task = findTask(id);
		if (!task) throw new ApiError(404, 1203, `Resource not found: no task with task_id or external_task_id "${id}"`);
		ctx.record.taskId = task.task_id;
		const before = task.status();
		task.registerPoll();
		const after = task.status();
		if (after !== before) sendCallback(task, after); // poll-driven transitions
		sendSuccess(ctx, taskShape(task, after));
	}

	function parseBoundedInt(query: Record<string, string>, name: string, fallback: number, max: number): number {
		const raw = query[name];
		if (raw === undefined) return fallback;
		if (!/^\d+$/.test(raw)) throw invalidValue(`"${name}" must be an integer between 1 and ${max}`);
		const value = Number(raw);
		if (value < 1 || value > max) throw invalidValue(`"${name}" must be an integer between 1 and ${max}`);
		return value;
	}

	function handleList(ctx: RequestContext, query: Record<string, string>): void {
		const pageNum = parseBoundedInt(query, 'pageNum', 1, 1000);
		const pageSize = parseBoundedInt(query, 'pageSize', 30, 500);
		const newestFirst = [...tasks.values()].reverse();
		const page = newestFirst.slice((pageNum - 1) * pageSize, pageNum * pageSize);
		sendSuccess(ctx, page.map((task) => taskShape(task)));
	}

	// --- downloads -------------------------------------------------------------------------

	function serveDownload(ctx: RequestContext, path: string): void {
		const match = DOWNLOAD_PATH_RE.exec(path)!;
		const taskId = decodeURIComponent(match[1]);
		const n = Number(match[2]);
		ctx.record.taskId = taskId;
		const task = tasks.get(taskId);
		if (!task || task.status() !== 'succeed' || n < 1 || n > task.plan.videoCount) {
			throw new ApiError(404, 1203, `Resource not found: no video ${path}`);
		}
		if (ctx.dropInsteadOfAnswer) {
			drop(ctx);
			return;
		}
		const { res } = ctx;
		const size = task.plan.videoBytes;
		finishRecord(ctx, 200, undefined);
		res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': size });
		if (ctx.req.method === 'HEAD') {
			res.end();
			return;
		}
		const generator = new VideoByteGenerator(taskId, n, size);
		// write in chunks, waiting for 'drain' so a large file never sits in memory whole
		const pump = (): void => {
			while (!generator.done) {
				if (res.destroyed) return;
				if (!res.write(generator.next(DOWNLOAD_CHUNK_BYTES))) {
					res.once('drain', pump);
					return;
				}
			}
			ctx.record.respondedAt = Date.now();
			res.end();
		};
		pump();
	}

	// --- callbacks -------------------------------------------------------------------------

	function scheduleTimedCallbacks(task: Task): void {
		if (!callbacksEnabled || typeof task.body.callback_url !== 'string') return;
		if (task.plan.completeAfterPolls !== undefined) return; // sent from handleGet instead
		const schedule = (atMs: number, status: TaskStatus) => {
			const timer = setTimeout(() => {
				callbackTimers.delete(timer);
				sendCallback(task, status);
			}, Math.max(0, atMs - Date.now()));
			callbackTimers.add(timer);
		};
		if (task.processingAt < task.finishedAt) schedule(task.processingAt, 'processing');
		schedule(task.finishedAt, task.finalStatus);
	}

	function sendCallback(task: Task, status: TaskStatus): void {
		const url = task.body.callback_url;
		if (!callbacksEnabled || closed || typeof url !== 'string') return;
		const body = taskShape(task, status);
		const entry: SentCallback = { url, body, at: Date.now() };
		const sentInGeneration = generation;
		let settled = false;
		const settle = (result: { status?: number; error?: string }) => {
			if (settled) return;
			settled = true;
			Object.assign(entry, result);
			if (sentInGeneration === generation) callbacksSent.push(entry);
		};
		let target: URL;
		try {
			target = new URL(url);
		} catch {
			settle({ error: 'invalid callback URL' });
			return;
		}
		const payload = JSON.stringify(body);
		const client = target.protocol === 'https:' ? https : http;
		const request = client.request(target, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
			timeout: 10_000,
		});
		callbackRequests.add(request);
		request.on('response', (response) => {
			response.resume();
			response.on('end', () => callbackRequests.delete(request));
			settle({ status: response.statusCode });
		});
		request.on('timeout', () => request.destroy(new Error('callback timed out')));
		request.on('error', (error) => {
			callbackRequests.delete(request);
			settle({ error: error.message });
		});
		request.on('close', () => callbackRequests.delete(request));
		request.end(payload);
	}

	// --- control ---------------------------------------------------------------------------

	function clearPending(): void {
		for (const timer of callbackTimers) clearTimeout(timer);
		callbackTimers.clear();
		for (const request of callbackRequests) request.destroy();
		callbackRequests.clear();
	}

	return {
		url: baseUrl,
		port,
		requests,
		tasks: tasks as Map<string, StandInTask>,
		callbacksSent,
		injectFault(fault: Fault): void {
			faults.push({ fault, remaining: fault.times ?? 1 });
		},
		clearFaults(): void {
			faults = [];
		},
		reset(): void {
			generation++;
			clearPending();
			requests.length = 0;
			callbacksSent.length = 0;
			tasks.clear();
			tasksByExternalId.clear();
			faults = [];
			seq = 0;
			createdSinceReset = 0;
		},
		close(): Promise<void> {
			if (closed) return Promise.resolve();
			closed = true;
			generation++;
			clearPending();
			for (const [timer, cancel] of slowTimers) {
				clearTimeout(timer);
				cancel();
			}
			slowTimers.clear();
			return new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
				for (const socket of sockets) socket.destroy();
				sockets.clear();
			});
		},
	};
}
