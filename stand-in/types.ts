/**
 * The stand-in's public types: its options, the plan of a task, what it records, its faults and its handle.
 */

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
	/** Models Kling has retired: a Create answers 400/1201 "The model '<id>' has been discontinued" (default none). */
	retiredModels?: string[];
	/**
	 * 'official' (default): cfg_scale 0–1, no image_tail on text-to-video (answered 400/1200 unknown field).
	 * 'proxy': the reseller dialect of the proxy doc: cfg_scale 0–100, image_tail accepted on text-to-video.
	 */
	dialect?: 'official' | 'proxy';
	/** The stand-in's clock = real clock + offset (simulates skew for nbf/exp checks). */
	clockOffsetSec?: number;
	/** Plan per created task (index = 0-based count of tasks created since start or reset). */
	plan?: (body: Record<string, unknown>, index: number) => Partial<TaskPlan>;
	/** Default task duration when plan gives none (default 0: a Get right after Create sees succeed). */
	taskDurationMs?: number;
	/** Default size of each video file (default 64 KiB). */
	videoBytes?: number;
	/**
	 * Unfinished tasks that may exist at once; over it Create answers 429/1303 (default Infinity).
	 * Can be changed while running with `setMaxConcurrentTasks`.
	 */
	maxConcurrentTasks?: number;
	/** POST status changes to callback_url (default true). */
	callbacks?: boolean;
	/**
	 * Sign callbacks as Kling does once a Webhook Secret exists (Standard Webhooks: webhook-id,
	 * webhook-timestamp, webhook-signature). Several secrets = a rotation's grace period: one `v1,` entry
	 * each, separated by spaces. Default: none, callbacks are unsigned.
	 */
	webhookSecret?: string | string[];
	/** Body of task callbacks: 'legacy' (the query's data, default) or 'new' (id, status, outputs, …). */
	callbackStyle?: 'legacy' | 'new';
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
	/** Content-Type of the served videos (default 'video/mp4'). */
	videoContentType?: string;
	/** Serve the videos without Content-Length, in chunked transfer encoding (default false). */
	videoChunked?: boolean;
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
	/** Path without query, with prefix, exactly as received (not normalised: `/..` stays). */
	path: string;
	/** Path with the prefix removed (same as path for downloads and paths outside the prefix). */
	apiPath: string;
	query: Record<string, string>;
	headers: Record<string, string | string[] | undefined>;
	/** Parsed JSON, or the raw string when it is not JSON, or undefined when empty. */
	body: unknown;
	auth: RecordedAuth;
	kind: 'create' | 'get' | 'list' | 'download' | 'other';
	/** The resource module that served it (e.g. 'text2video'); undefined for downloads and unknown paths. */
	resource?: string;
	/** For get/create/download when known. */
	taskId?: string;
	/** HTTP status answered; 0 while unanswered and for dropped connections. */
	status: number;
	/** Body code answered (undefined for non-JSON answers and drops). */
	code?: number;
	/** The injected fault that shaped this answer, if one matched. */
	fault?: Fault['kind'];
	/** Downloads: video bytes written (less than the size when truncated or aborted). */
	bytesSent?: number;
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
	/**
	 * - 'error': a JSON error answer (status / code / message / retryAfterSec), the work is not done.
	 * - 'drop-after-accept': does the work (e.g. creates the task), then destroys the socket unanswered.
	 * - 'drop-before-accept': destroys the socket before reading the body; nothing is done.
	 * - 'garbage': 200 with a body that is not JSON. 'empty': 200 with no body.
	 * - 'no-data': 200, code 0, no `data`.
	 * - 'html': an HTML page. On API requests a gateway's 502 page; on downloads a CDN's error page served with
	 *   **200** and content-type text/html (`status` overrides either).
	 * - 'slow': answers normally after `delayMs`.
	 * - 'echo-secrets': a proxy that echoes secrets: JSON error (default 401, code 1000) whose `message` and
	 *   `detail: { authorization, api_key }` hold the received Authorization header and bearer token verbatim.
	 * - 'echo-auth-text': a gateway page (default 502, text/plain; `format: 'html'` for HTML) containing the line
	 *   `Authorization: <the received header>`, i.e. `Authorization: Bearer <token>`.
	 * - 'truncate': does the work, writes the status line, headers (with the full Content-Length unless chunked)
	 *   and the first `afterBytes` bytes of the body, then destroys the socket. Meant for downloads; on API
	 *   requests it cuts the JSON answer the same way.
	 */
	kind:
		| 'error'
		| 'drop-after-accept'
		| 'drop-before-accept'
		| 'garbage'
		| 'html'
		| 'empty'
		| 'no-data'
		| 'slow'
		| 'echo-secrets'
		| 'echo-auth-text'
		| 'truncate';
	/** For 'error' (defaults 500 / 5000); HTTP 200 with a non-zero code is allowed too. Also overrides the
	 * status of 'html', 'echo-secrets' and 'echo-auth-text', and the code of 'echo-secrets'. */
	status?: number;
	code?: number;
	message?: string;
	/** Sets a Retry-After header on 'error'. */
	retryAfterSec?: number;
	/** For 'slow': answer normally after this delay. */
	delayMs?: number;
	/** For 'truncate': body bytes written before the socket is destroyed (default 0). */
	afterBytes?: number;
	/**
	 * For 'echo-auth-text': 'text' (a text/plain page, default), 'html' (an HTML page), or 'line' (text/plain
	 * whose whole body is the line `Authorization: <the received header>`, so it leads any excerpt of the answer).
	 */
	format?: 'text' | 'html' | 'line';
}

export interface SentCallback {
	url: string;
	body: unknown;
	/** The request headers sent (with the signature headers when signed). */
	headers?: Record<string, string>;
	/** The bytes sent, when they differ from JSON.stringify(body) (a tampered body). */
	rawBody?: string;
	status?: number;
	error?: string;
	/** The receiver's answer (text). */
	responseText?: string;
	/** When it was sent (real clock ms); the entry is recorded once the answer (or error) is in. */
	at: number;
}

/** Counters since start or the last reset(). */
export interface StandInStats {
	/** Creates that made a task (including ones then dropped by 'drop-after-accept' or cut by 'truncate'). */
	createsAccepted: number;
	/** Creates refused with 429/1303 by the concurrency limit (injected 'error' faults are not counted). */
	createsRefused1303: number;
	/**
	 * Highest number of unfinished tasks (created, not yet succeed/failed) that existed at once, computed exactly
	 * from the tasks' creation and finish times up to now.
	 */
	peakUnfinished: number;
	/** Unfinished tasks right now. */
	unfinished: number;
	/** The current limit (Infinity when none). */
	maxConcurrentTasks: number;
}

export interface KlingStandIn {
	/** e.g. http://127.0.0.1:43123 (no trailing slash, no prefix). */
	url: string;
	port: number;
	requests: RecordedRequest[];
	/** By task_id, in creation order. */
	tasks: Map<string, StandInTask>;
	callbacksSent: SentCallback[];
	/**
	 * POSTs a callback with the given body now (signed as `options` say: by default with the configured
	 * webhookSecret), records it in callbacksSent and resolves with it once answered.
	 */
	sendCallback(url: string, body: unknown, options?: CallbackSignOptions): Promise<SentCallback>;
	/** Kling console's "Send Test Callback": a signed new-style body, status submitted, no outputs. */
	sendTestCallback(url: string, options?: CallbackSignOptions): Promise<SentCallback>;
	/** Queue a fault; faults are consumed in order by matching requests. */
	injectFault(f: Fault): void;
	clearFaults(): void;
	/**
	 * Changes the account's concurrency limit from now on (Infinity = none). Tasks already running keep their
	 * slots; lowering it below the number running refuses creates until enough of them finish.
	 */
	setMaxConcurrentTasks(n: number): void;
	/** Create and concurrency counters since start or the last reset(). */
	stats(): StandInStats;
	/** Forget requests, tasks, faults, callbacks and stats (pending callback timers are cleared). */
	reset(): void;
	/** Closes the server and all sockets, clears timers. */
	close(): Promise<void>;
}

/** How a callback sent with `sendCallback` / `sendTestCallback` is signed (defaults: as Kling signs it). */
export interface CallbackSignOptions {
	/** Secrets to sign with (one `v1,` entry each); default the stand-in's webhookSecret; [] = unsigned. */
	secrets?: string[];
	/** webhook-id (default a new numeric id). */
	id?: string;
	/** webhook-timestamp, Unix seconds (default the stand-in's clock now). */
	timestampSec?: number;
	/** Sign this body, but send `tamperedBody` (the bytes as they arrive). */
	tamperedBody?: string;
	/** Case of the header names on the wire: 'lower' (default), 'upper' (WEBHOOK-ID) or 'title' (Webhook-Id). */
	headerCase?: 'lower' | 'upper' | 'title';
}
