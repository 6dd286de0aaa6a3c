/**
 * Serves the Kling AI Trigger's webhook over real HTTP (node:http on 127.0.0.1), the way n8n's webhook
 * server does: every request is parsed like express parses it (body, query, headers), the workflow is
 * built with the trigger node, n8n-core's own WebhookContext is made over the request and response,
 * and the node's `webhook()` runs in it. Its answer is then written as n8n's webhook handler writes it
 * for response mode onReceived (see packages/cli/src/webhooks/webhook-helpers.ts in n8n's repository):
 * a node that answered itself (`noWebhookResponse`) is left alone; otherwise `webhookResponse` is sent
 * with the description's response code; a thrown error is answered 500 "Workflow Webhook Error". The
 * items a run would start with (`workflowData`) are recorded as the trigger's emissions.
 *
 * Only what a server provides is supplied here: the HTTP server, stored credentials, URLs.
 */
import { mkdtempSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

if (!process.env.N8N_USER_FOLDER) {
	// n8n-core writes its instance settings under $N8N_USER_FOLDER/.n8n: keep them out of $HOME.
	process.env.N8N_USER_FOLDER = mkdtempSync(path.join(tmpdir(), 'kling-n8n-'));
}

import { WebhookContext } from 'n8n-core';
import {
	NodeHelpers,
	sleep,
	Workflow,
	type ICredentialDataDecryptedObject,
	type INode,
	type INodeExecutionData,
	type INodeParameters,
	type IWebhookData,
	type IWebhookResponseData,
	type IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';

import { klingTriggerNodeType, TestCredentialsHelper, TestNodeTypes, TRIGGER_NODE_TYPE } from './engine';

export const TRIGGER_NODE_NAME = 'Kling AI Trigger';
export { TRIGGER_NODE_TYPE };
export const WORKFLOW_ID = 'wf-kling-trigger';
export const WEBHOOK_ID = '5b0c7f3e-4a1d-4c39-9a51-2f7e8d6c1b90';

export const triggerNodeType = klingTriggerNodeType;

/**
 * The part of express's Response that webhook nodes use, over the real ServerResponse (n8n's
 * webhook server is express; this server is plain node:http).
 */
class ExpressLikeResponse {
	constructor(readonly raw: http.ServerResponse) {}

	get headersSent(): boolean {
		return this.raw.headersSent;
	}

	get statusCode(): number {
		return this.raw.statusCode;
	}

	status(code: number): this {
		this.raw.statusCode = code;
		return this;
	}

	setHeader(name: string, value: string | number | readonly string[]): this {
		this.raw.setHeader(name, value);
		return this;
	}

	header(name: string, value: string): this {
		return this.setHeader(name, value);
	}

	set(name: string, value: string): this {
		return this.setHeader(name, value);
	}

	json(body: unknown): this {
		if (!this.raw.hasHeader('content-type')) this.raw.setHeader('content-type', 'application/json; charset=utf-8');
		this.raw.end(JSON.stringify(body));
		return this;
	}

	send(body?: unknown): this {
		if (body === undefined) {
			this.raw.end();
		} else if (Buffer.isBuffer(body)) {
			if (!this.raw.hasHeader('content-type')) this.raw.setHeader('content-type', 'application/octet-stream');
			this.raw.end(body);
		} else if (typeof body === 'string') {
			if (!this.raw.hasHeader('content-type')) this.raw.setHeader('content-type', 'text/html; charset=utf-8');
			this.raw.end(body);
		} else {
			return this.json(body);
		}
		return this;
	}

	end(chunk?: string | Buffer): this {
		if (chunk === undefined) this.raw.end();
		else this.raw.end(chunk);
		return this;
	}

	writeHead(status: number, headers?: http.OutgoingHttpHeaders): this {
		this.raw.writeHead(status, headers);
		return this;
	}

	write(chunk: string | Buffer): boolean {
		return this.raw.write(chunk);
	}
}

export interface TriggerSetup {
	parameters: INodeParameters;
	/** The node's stored credential; leave out for a node without one. */
	credentials?: ICredentialDataDecryptedObject;
	/** The trigger's version (default 1.1; 1 keeps the URL secret as a node parameter; 1.2 has Verification). */
	typeVersion?: number;
	/**
	 * The raw body on the request, as n8n's webhook server leaves it: 'kept' (default: `rawBody`, a Buffer, as
	 * n8n's body parser stores it), 'on-demand' (no `rawBody` yet, `readRawBody()` sets it, as for content
	 * types n8n does not parse), 'none' (neither: a host that keeps no raw body).
	 */
	rawBody?: 'kept' | 'on-demand' | 'none';
}

export interface Delivery {
	method: string;
	/** The request headers (names in lower case, as node:http gives them). */
	headers: http.IncomingHttpHeaders;
	/** performance.now() when the request arrived, and when the node's webhook() returned. */
	receivedAt: number;
	returnedAt?: number;
	/** The path and query as received. */
	url: string;
	query: Record<string, string | string[]>;
	body: unknown;
	/** The HTTP status answered (0 until answered). */
	status: number;
	/** The answer's body: parsed JSON, or the text. */
	responseBody: unknown;
	responseText: string;
	/** What the node's webhook() returned. */
	result?: IWebhookResponseData;
	/** What the node's webhook() threw (n8n answers 500 and records it on a failed execution). */
	error?: Error;
	/** The items the workflow would start with, when the node emitted any. */
	emitted?: INodeExecutionData[];
}

export interface PostOptions {
	query?: Record<string, string | string[]>;
	/** Sent as is instead of JSON.stringify(body). */
	rawBody?: string;
	contentType?: string;
	/** Further request headers. */
	headers?: Record<string, string>;
}

export interface PostAnswer {
	status: number;
	body: unknown;
	text: string;
}

export interface TriggerServer {
	/** e.g. http://127.0.0.1:41234 */
	url: string;
	/** The trigger's Production URL, as n8n-core computes it for the node (what the user pastes into Kling). */
	webhookUrl: string;
	/** Every request received, in arrival order. */
	deliveries: Delivery[];
	/** Every item the trigger emitted, in order. */
	emitted(): INodeExecutionData[];
	/** Changes the node's parameters or credential for the requests that follow. */
	configure(setup: TriggerSetup): void;
	/** POSTs to the webhook (as a forger or a test would). */
	post(body: unknown, options?: PostOptions): Promise<PostAnswer>;
	/** Resolves once every request received so far has been fully handled. */
	idle(): Promise<void>;
	/** Waits (up to timeoutMs) until the predicate holds, then for the server to be idle. */
	waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
	reset(): void;
	close(): Promise<void>;
}

function parseQuery(search: URLSearchParams): Record<string, string | string[]> {
	const query: Record<string, string | string[]> = {};
	for (const [key, value] of search) {
		const seen = query[key];
		if (seen === undefined) query[key] = value;
		else query[key] = Array.isArray(seen) ? [...seen, value] : [seen, value];
	}
	return query;
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => resolve(Buffer.concat(chunks)));
		req.on('error', reject);
	});
}

const parseAnswer = (text: string): unknown => {
	try {
		return JSON.parse(text);
	} catch {
		return text;
	}
};

export async function startTriggerServer(initial: TriggerSetup): Promise<TriggerServer> {
	let setup = initial;
	const deliveries: Delivery[] = [];
	const pending = new Set<Promise<void>>();
	const sockets = new Set<Socket>();
	const nodeTypes = new TestNodeTypes();

	const server = http.createServer((req, res) => {
		const handling = handle(req, res)
			.catch((error: Error) => {
				if (!res.headersSent) {
					res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
					res.end(JSON.stringify({ code: 0, message: `harness error: ${error.message}` }));
				}
			})
			.finally(() => pending.delete(handling));
		pending.add(handling);
	});
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
	const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

	function buildNode(): INode {
		return {
			id: 'kling-trigger-node-id',
			name: TRIGGER_NODE_NAME,
			type: TRIGGER_NODE_TYPE,
			typeVersion: setup.typeVersion ?? 1.1,
			position: [0, 0],
			webhookId: WEBHOOK_ID,
			parameters: setup.parameters,
			...(setup.credentials ? { credentials: { klingAiApi: { id: 'cred-1', name: 'Kling AI account' } } } : {}),
		};
	}

	function buildAdditionalData(req?: unknown, res?: unknown): IWorkflowExecuteAdditionalData {
		return {
			credentialsHelper: new TestCredentialsHelper(setup.credentials ?? {}),
			executionId: undefined,
			currentNodeExecutionIndex: 0,
			restApiUrl: `${baseUrl}/rest`,
			instanceBaseUrl: `${baseUrl}/`,
			formWaitingBaseUrl: `${baseUrl}/form-waiting`,
			webhookBaseUrl: `${baseUrl}/webhook`,
			webhookWaitingBaseUrl: `${baseUrl}/webhook-waiting`,
			webhookTestBaseUrl: `${baseUrl}/webhook-test`,
			variables: {},
			httpRequest: req,
			httpResponse: res,
			executeWorkflow: async () => {
				throw new Error('sub-workflows are not used here');
			},
			getRunExecutionData: async () => undefined,
			logAiEvent: () => {},
			startRunnerTask: async () => {
				throw new Error('code runners are not used here');
			},
		} as unknown as IWorkflowExecuteAdditionalData;
	}

	function buildWorkflow(): Workflow {
		return new Workflow({
			id: WORKFLOW_ID,
			name: 'Kling AI trigger test',
			nodes: [buildNode()],
			connections: {},
			active: true,
			nodeTypes,
			settings: {},
		});
	}

	function webhookData(workflow: Workflow, additionalData: IWorkflowExecuteAdditionalData): IWebhookData {
		const description = triggerNodeType.description.webhooks![0];
		return {
			httpMethod: 'POST',
			node: TRIGGER_NODE_NAME,
			path: NodeHelpers.getNodeWebhookPath(WORKFLOW_ID, workflow.getNode(TRIGGER_NODE_NAME)!, description.path, false),
			webhookDescription: description,
			workflowId: WORKFLOW_ID,
			workflowExecuteAdditionalData: additionalData,
			webhookId: WEBHOOK_ID,
		};
	}

	function context(workflow: Workflow, additionalData: IWorkflowExecuteAdditionalData): WebhookContext {
		return new WebhookContext(
			workflow,
			workflow.getNode(TRIGGER_NODE_NAME)!,
			additionalData,
			'webhook',
			webhookData(workflow, additionalData),
			[],
			null,
		);
	}

	// The Production URL, from n8n-core, as the editor shows it.
	const urlWorkflow = buildWorkflow();
	const webhookUrl = context(urlWorkflow, buildAdditionalData()).getNodeWebhookUrl('default')!;
	const webhookPath = new URL(webhookUrl).pathname;

	async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
		const receivedAt = performance.now();
		const parsed = new URL(req.url ?? '/', baseUrl);
		const raw = await readBody(req);
		const delivery: Delivery = {
			method: req.method ?? 'GET',
			headers: req.headers,
			receivedAt,
			url: req.url ?? '/',
			query: parseQuery(parsed.searchParams),
			body: undefined,
			status: 0,
			responseBody: undefined,
			responseText: '',
		};
		deliveries.push(delivery);
		const chunks: Buffer[] = [];
		const write = res.write.bind(res);
		const end = res.end.bind(res);
		res.write = ((chunk: unknown, ...rest: unknown[]) => {
			if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as string));
			return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
		}) as typeof res.write;
		res.end = ((chunk?: unknown, ...rest: unknown[]) => {
			if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') chunks.push(Buffer.from(chunk as string));
			delivery.status = res.statusCode;
			delivery.responseText = Buffer.concat(chunks).toString('utf8');
			delivery.responseBody = parseAnswer(delivery.responseText);
			return (end as (...args: unknown[]) => http.ServerResponse)(chunk, ...rest);
		}) as typeof res.end;
		const send = (status: number, body: unknown) => {
			const text = typeof body === 'string' ? body : JSON.stringify(body);
			res.writeHead(status, {
				'content-type': typeof body === 'string' ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
			});
			res.end(text);
		};

		if (req.method !== 'POST' || parsed.pathname !== webhookPath) {
			send(404, { code: 404, message: `The requested webhook "${req.method} ${parsed.pathname}" is not registered.` });
			return;
		}

		// Like n8n's body parsing: JSON for JSON content types, text otherwise; empty is {}.
		const text = raw.toString('utf8');
		let body: unknown = {};
		if (text !== '') {
			if (/json/i.test(req.headers['content-type'] ?? '')) {
				try {
					body = JSON.parse(text);
				} catch {
					send(400, { code: 400, message: 'Failed to parse request body' });
					return;
				}
			} else {
				body = text;
			}
		}
		delivery.body = body;

		const request = Object.assign(req, { body, query: delivery.query, params: {} });
		const rawBodyMode = setup.rawBody ?? 'kept';
		if (rawBodyMode === 'kept') Object.assign(request, { rawBody: raw });
		if (rawBodyMode === 'on-demand') {
			// The stream was read above; n8n's readRawBody would read it now. `readable` says it still can.
			Object.defineProperty(request, 'readable', { value: true, configurable: true });
			Object.assign(request, {
				readRawBody: async () => {
					Object.assign(request, { rawBody: raw, _body: true });
				},
			});
		}
		const response = new ExpressLikeResponse(res);
		const workflow = buildWorkflow();
		const additionalData = buildAdditionalData(request, response);
		const webhookContext = context(workflow, additionalData);

		let result: IWebhookResponseData;
		try {
			result = await triggerNodeType.webhook.call(webhookContext);
		} catch (error) {
			// n8n: the caller gets a generic 500; the error goes on a failed execution.
			delivery.error = error as Error;
			if (!res.headersSent) send(500, { code: 0, message: 'Workflow Webhook Error: Workflow could not be started!' });
			return;
		}
		delivery.returnedAt = performance.now();
		delivery.result = result;
		if (result.workflowData !== undefined) delivery.emitted = result.workflowData[0] ?? [];

		if (result.noWebhookResponse === true) {
			// The node answered itself. (A node that says so without answering would leave the request hanging.)
			if (!res.writableEnded) send(500, { code: 0, message: 'harness: noWebhookResponse without an answer' });
			return;
		}
		const description = triggerNodeType.description.webhooks![0];
		const responseCode = Number(description.responseCode ?? 200);
		if (result.workflowData === undefined) {
			send(responseCode, result.webhookResponse !== undefined ? result.webhookResponse : { message: 'Webhook call received' });
			return;
		}
		// onReceived: the description's responseData wins when it is set; n8n falls back to
		// 'firstEntryJson' for a description that has none, and answers that word as the body.
		const responseData = description.responseData === undefined ? 'firstEntryJson' : description.responseData;
		if (responseData === 'noData') send(responseCode, '');
		else if (responseData) send(responseCode, responseData);
		else if (result.webhookResponse !== undefined) send(responseCode, result.webhookResponse);
		else send(responseCode, { message: 'Workflow was started' });
	}

	const triggerServer: TriggerServer = {
		url: baseUrl,
		webhookUrl,
		deliveries,
		emitted: () => deliveries.flatMap((delivery) => delivery.emitted ?? []),
		configure(next: TriggerSetup) {
			setup = next;
		},
		async post(body: unknown, options: PostOptions = {}): Promise<PostAnswer> {
			const target = new URL(webhookUrl);
			for (const [key, value] of Object.entries(options.query ?? {})) {
				for (const one of Array.isArray(value) ? value : [value]) target.searchParams.append(key, one);
			}
			const response = await fetch(target, {
				method: 'POST',
				headers: { 'content-type': options.contentType ?? 'application/json', ...options.headers },
				body: options.rawBody ?? JSON.stringify(body),
			});
			const text = await response.text();
			await triggerServer.idle();
			return { status: response.status, body: parseAnswer(text), text };
		},
		async idle() {
			while (pending.size > 0) await Promise.allSettled([...pending]);
		},
		async waitFor(predicate: () => boolean, timeoutMs = 15_000) {
			const deadline = Date.now() + timeoutMs;
			while (!predicate()) {
				if (Date.now() > deadline) throw new Error('waitFor: timed out');
				await sleep(20);
			}
			await triggerServer.idle();
		},
		reset() {
			deliveries.length = 0;
		},
		close() {
			return new Promise<void>((resolve) => {
				server.close(() => resolve());
				server.closeAllConnections();
				for (const socket of sockets) socket.destroy();
			});
		},
	};
	return triggerServer;
}
