import { createHash, timingSafeEqual } from 'crypto';
import {
	NodeConnectionTypes,
	NodeOperationError,
	sleep,
	type IDataObject,
	type IHookFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IWebhookFunctions,
	type IWebhookResponseData,
} from 'n8n-workflow';

import { downloadFields, simplifyField } from './actions/common/fields';
import { callbackFromBody, legacyTaskFromBody, type CallbackTask } from './helpers/callbackBody';
import { claimDelivery, finishDelivery, forgetDeliveries, releaseDelivery } from './helpers/deliveries';
import { downloadVideos, readDownloadSettings } from './helpers/download';
import { asNodeError } from './helpers/parameters';
import { signatureHeaders, verifyWebhookSignature, webhookSecretKey } from './helpers/signature';
import { simplifyTask } from './helpers/simplify';
import { CREDENTIAL_TYPE, gaveUp, klingCredentials, type KlingTask, type RetryPolicy, sendWithRetries } from './transport';
import { getTaskRequest, type KlingResource } from './transport/tasks';

/**
 * Verification answers a callback while Kling waits for the answer: a few quick tries, not the
 * nodes' long backoff, and a Retry-After honoured up to 5 s for the same reason.
 */
const VERIFY_RETRY: RetryPolicy = { maxTries: 3, baseDelayMs: 1000, maxDelayMs: 4000, maxRetryAfterMs: 5000 };
/** When the API shows an earlier status than the callback, it is asked once more after this pause. */
const RECHECK_DELAY_MS = 1000;
const MAX_TASK_ID_LENGTH = 256;

const STATUS_RANK: Record<string, number> = { submitted: 0, processing: 1, succeed: 2, failed: 2 };

/** The task a legacy callback carries: Kling posts it flat; some senders wrap it as { code, message, data }. */
export const taskFromBody = legacyTaskFromBody;

/** Compares the secret in constant time (over hashes, so the length of the secret does not show either). */
export function secretMatches(given: unknown, expected: string): boolean {
	if (typeof given !== 'string') return false;
	const a = createHash('sha256').update(given, 'utf8').digest();
	const b = createHash('sha256').update(expected, 'utf8').digest();
	return timingSafeEqual(a, b);
}

/**
 * Answers the request itself (status and JSON body) and starts no execution, unless items are given.
 * Every answer is written here, accepted ones too: n8n's onReceived answer for a trigger whose
 * webhook description sets no responseData is the word "firstEntryJson", not `webhookResponse`.
 */
function answer(ctx: IWebhookFunctions, status: number, body: IDataObject, items?: INodeExecutionData[]): IWebhookResponseData {
	ctx.getResponseObject().status(status).json(body);
	return items ? { noWebhookResponse: true, workflowData: [items] } : { noWebhookResponse: true };
}

/** Where a callback's task is looked up: one resource's endpoint, or each in turn (Any). */
const TASK_TYPES: Record<string, KlingResource[]> = {
	textToVideo: ['textToVideo'],
	imageToVideo: ['imageToVideo'],
	any: ['textToVideo', 'imageToVideo'],
};

/**
 * The task as the API has it; undefined when Kling knows no such task at the endpoints of the
 * selected task type (code 1203). The type is read from the API, never from the posted body.
 */
async function fetchTask(ctx: IWebhookFunctions, taskId: string): Promise<KlingTask | undefined> {
	const taskType = String(ctx.getNodeParameter('taskType', 'textToVideo'));
	for (const resource of TASK_TYPES[taskType] ?? TASK_TYPES.textToVideo) {
		const attempt = await sendWithRetries<KlingTask>(ctx, getTaskRequest(resource, taskId), 0, VERIFY_RETRY);
		if (attempt.ok) return attempt.data;
		if (attempt.code !== 1203) throw gaveUp(attempt.error, attempt.tries);
	}
	return undefined;
}

function downloadSettings(ctx: IWebhookFunctions) {
	try {
		return readDownloadSettings((name, fallback) => ctx.getNodeParameter(name, fallback));
	} catch (error) {
		throw asNodeError(ctx.getNode(), error);
	}
}

/** How a callback is checked. Versions 1 and 1.1 know only 'api' (Verify with API on) and 'none'. */
export type Verification = 'signature' | 'api' | 'signatureAndApi' | 'none';

/** What a refused signature is answered with (401): which rule failed, never the expected value. */
const SIGNATURE_ERRORS = {
	missing: 'Missing webhook signature (webhook-id, webhook-timestamp, webhook-signature)',
	timestamp: 'The webhook timestamp is more than 5 minutes off (replayed or delayed callback)',
	mismatch: 'Invalid webhook signature',
} as const;

/**
 * The verification this call gets. Version 1.2's Automatic is decided here, at run time, because the
 * editor cannot see the credential: Signature when the credential has a Webhook Secret, else API Look-Up.
 */
export function resolveVerification(typeVersion: number, parameter: unknown, verifyWithApi: unknown, webhookSecret: string): Verification {
	if (typeVersion < 1.2) return verifyWithApi === false ? 'none' : 'api';
	switch (parameter) {
		case 'signature':
		case 'api':
		case 'signatureAndApi':
		case 'none':
			return parameter;
		default:
			return webhookSecret !== '' ? 'signature' : 'api';
	}
}

/**
 * The request body exactly as it arrived. n8n's webhook server keeps it as a Buffer in `rawBody`
 * (packages/cli/src/middlewares/body-parser.ts: parseBody awaits req.readRawBody() before parsing);
 * where it has not been read yet (a content type n8n does not parse), `readRawBody()` reads it.
 * Undefined when neither is possible: the body is never re-serialised from the parsed JSON.
 */
async function rawBodyOf(ctx: IWebhookFunctions): Promise<Buffer | undefined> {
	const request = ctx.getRequestObject() as unknown as {
		rawBody?: unknown;
		readRawBody?: () => Promise<void>;
		readable?: boolean;
		_body?: boolean;
	};
	if (!Buffer.isBuffer(request.rawBody) && typeof request.readRawBody === 'function' && request.readable === true && !request._body) {
		try {
			await request.readRawBody();
		} catch {
			// refused below, as if there were none
		}
	}
	return Buffer.isBuffer(request.rawBody) ? request.rawBody : undefined;
}

/** The key of a delivery's node for duplicate detection: the webhook's ID, unique per trigger node. */
const deliveryScope = (node: { webhookId?: string; id?: string; name: string }) => node.webhookId ?? node.id ?? node.name;

/** On activation and deactivation: this process forgets the node's signed deliveries (a hook called without a node forgets nothing). */
function forgetNodeDeliveries(ctx: Partial<IHookFunctions>): void {
	const node = typeof ctx.getNode === 'function' ? ctx.getNode() : undefined;
	if (node) forgetDeliveries(deliveryScope(node));
}


/**
 * Looks the task up at Kling when asked to (refusing unknown tasks, 404, and statuses Kling does not
 * confirm, 409), then emits it: simplified, or as Kling answered, or as posted when not looked up.
 */
async function emitTask(
	ctx: IWebhookFunctions,
	posted: CallbackTask,
	options: { checkApi: boolean; mayDownload: boolean; hasCredential: boolean; isV12: boolean; said: (fields: IDataObject) => IDataObject },
): Promise<IWebhookResponseData> {
	const { said } = options;
	const postedTask = posted.task;
	const taskId = postedTask.task_id;
	let task: KlingTask = postedTask;
	let output: IDataObject = posted.raw;
	if (options.checkApi) {
		if (!options.hasCredential) {
			throw new NodeOperationError(
				ctx.getNode(),
				options.isV12 ? 'API Look-Up needs a Kling AI API credential' : 'Verify with API needs a Kling AI API credential',
				{
					description: options.isV12
						? 'Select the Kling AI API credential in the trigger; with a Webhook Secret in it, Automatic checks the signature instead. Without any verification anyone who knows the URL can post a callback.'
						: 'Select the Kling AI API credential in the trigger. Or turn Verify with API off, and set a Callback URL Secret in the credential: without verification anyone who knows the URL can post a callback.',
				},
			);
		}
		let fetched = await fetchTask(ctx, taskId);
		// The API may lag a moment behind its own callback: ask once more before refusing.
		if (fetched && (STATUS_RANK[fetched.task_status] ?? 0) < (STATUS_RANK[postedTask.task_status] ?? 0)) {
			await sleep(RECHECK_DELAY_MS);
			fetched = await fetchTask(ctx, taskId);
		}
		if (!fetched) {
			return answer(ctx, 404, said({ received: false, error: 'Unknown task', task_id: taskId }));
		}
		if (fetched.task_status !== postedTask.task_status) {
			return answer(
				ctx,
				409,
				said({
					received: false,
					error: 'The task status does not match Kling',
					task_id: taskId,
					task_status: postedTask.task_status,
					api_task_status: fetched.task_status,
				}),
			);
		}
		task = fetched;
		output = fetched;
	}

	const simplify = ctx.getNodeParameter('simplify', true) as boolean;
	const item: INodeExecutionData = { json: simplify ? simplifyTask(task) : output };
	// Only a verified task is downloaded: its URLs come from Kling's API or from a body Kling signed,
	// never from a body anyone could have posted.
	if (options.mayDownload && task.task_status === 'succeed' && (ctx.getNodeParameter('downloadVideo', false) as boolean)) {
		const binary = await downloadVideos(ctx, task, downloadSettings(ctx), 0);
		if (Object.keys(binary).length > 0) item.binary = binary;
	}
	return answer(ctx, 200, said({ received: true, task_id: taskId, task_status: task.task_status }), [item]);
}

export class KlingAiTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Kling AI Trigger',
		name: 'klingAiTrigger',
		icon: { light: 'file:../../icons/kling.svg', dark: 'file:../../icons/kling.dark.svg' },
		group: ['trigger'],
		// 1.1: the URL secret moved from the node (where anyone who can read the workflow sees it) into the credential.
		// 1.2: Verification (Kling's webhook signature, API look-up, both, none) replaces Verify with API.
		version: [1, 1.1, 1.2],
		defaultVersion: 1.2,
		subtitle: '={{ "On " + ($parameter["statuses"] || []).join(", ") }}',
		description:
			'Starts the workflow when a Kling AI video task (text to video or image to video) changes status. Paste this node\'s Production URL into the Kling AI node: Create → Options → Callback URL.',
		eventTriggerDescription: 'Waiting for Kling AI to call the webhook',
		activationMessage:
			'Kling AI calls the Production URL of this node for every task created with it as Callback URL (Kling AI node: Create → Options → Callback URL).',
		defaults: { name: 'Kling AI Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [
			{
				name: 'klingAiApi',
				// Needed for the signature (Webhook Secret), the API look-up and the Callback URL Secret; the webhook says so when it is missing.
				required: false,
			},
		],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'kling',
			},
		],
		properties: [
			{
				displayName:
					'Paste the Production URL above into the Kling AI node: Create → Options → Callback URL. If the credential has a Callback URL Secret, add ?secret=that-secret to it. Kling may deliver a callback more than once (and several n8n webhook processes share no state), so an event can arrive twice: add a Remove Duplicates node on task_id and task_status where that matters.',
				name: 'setupNotice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Statuses',
				name: 'statuses',
				type: 'multiOptions',
				options: [
					{ name: 'Submitted', value: 'submitted', description: 'Kling accepted the task' },
					{ name: 'Processing', value: 'processing', description: 'Kling started making the video' },
					{ name: 'Succeeded', value: 'succeed', description: 'The video is ready' },
					{ name: 'Failed', value: 'failed', description: 'The task ended without a video (task_status_msg says why)' },
				],
				default: ['succeed', 'failed'],
				description:
					'The task statuses that start the workflow. Callbacks with other statuses are answered 200 and ignored (so is Kling\'s Send Test Callback, status Submitted, unless Submitted is selected).',
			},
			{
				displayName: 'Verification',
				name: 'verification',
				type: 'options',
				displayOptions: { hide: { '@version': [1, 1.1] } },
				options: [
					{
						name: 'Automatic',
						value: 'auto',
						description:
							'Signature when the credential has a Webhook Secret, otherwise API Look-Up (decided for each callback)',
					},
					{
						name: 'Signature',
						value: 'signature',
						description:
							'Kling\'s webhook signature, checked with the credential\'s Webhook Secret: unsigned or wrongly signed callbacks are answered 401. No API request.',
					},
					{
						name: 'API Look-Up',
						value: 'api',
						description: 'Fetch the task from Kling and output Kling\'s answer instead of the posted body',
					},
					{
						name: 'Signature and API Look-Up',
						value: 'signatureAndApi',
						description: 'Check the signature, then fetch the task from Kling as well',
					},
					{
						name: 'None',
						value: 'none',
						description: 'Only the Callback URL Secret, if the credential has one',
					},
				],
				default: 'auto',
				description: 'How a callback is proven to come from Kling before it starts the workflow',
			},
			{
				displayName:
					'Without verification, anyone who knows this URL can post a callback and start the workflow. Set a Callback URL Secret in the credential at least, or better a Webhook Secret (Signature).',
				name: 'noVerificationNotice',
				type: 'notice',
				default: '',
				displayOptions: { show: { verification: ['none'] } },
			},
			{
				displayName: 'Task Type',
				name: 'taskType',
				type: 'options',
				options: [
					{ name: 'Any', value: 'any', description: 'Look the task up as text to video, then as image to video' },
					{ name: 'Image to Video', value: 'imageToVideo' },
					{ name: 'Text to Video', value: 'textToVideo' },
				],
				default: 'textToVideo',
				// Shown wherever an API look-up can happen: not with Verify with API off, nor with Signature or None.
				displayOptions: { hide: { verifyWithApi: [false], verification: ['signature', 'none'] } },
				description: 'Which kind of Kling task the callbacks are for: an API look-up asks that endpoint',
			},
			{
				displayName: 'Verify with API',
				name: 'verifyWithApi',
				type: 'boolean',
				default: true,
				displayOptions: { show: { '@version': [1, 1.1] } },
				description:
					'Whether to fetch the task from Kling (with the credential) and output Kling\'s answer instead of the posted body. Callbacks carry no signature: without this, anyone who knows the URL can post a fake one. Unknown tasks are answered 404, a status Kling does not confirm 409; neither starts the workflow.',
			},
			{
				displayName: 'Secret',
				name: 'secret',
				type: 'string',
				typeOptions: { password: true },
				default: '',
				displayOptions: { show: { '@version': [1] } },
				description:
					'Kept for workflows made with version 1 of this node: better move it into the credential\'s Callback URL Secret, where people who can read the workflow do not see it. When set, a callback must carry it as the query parameter secret; without it, or with another value, it is answered 401 and ignored.',
			},
			simplifyField,
			// Version 1.2: a verified callback (signature or API) may be downloaded; with None, never.
			...downloadFields({ verification: ['auto', 'signature', 'api', 'signatureAndApi'] }),
			// Versions 1 and 1.1: only an API-verified task is downloaded.
			...downloadFields({ verifyWithApi: [true] }),
		],
	};

	// Kling has no webhook registry: the URL travels with each task as its callback_url, so there is
	// nothing to create at Kling when the workflow is activated, and nothing to delete afterwards. An
	// activation starts with no remembered deliveries (duplicate detection of signed callbacks).
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				forgetNodeDeliveries(this);
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				forgetNodeDeliveries(this);
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const node = this.getNode();
		const hasCredential = Boolean(node.credentials?.[CREDENTIAL_TYPE]);
		const credentials = hasCredential ? await klingCredentials(this) : undefined;
		const isV12 = node.typeVersion >= 1.2;
		// Version 1.2 says in every answer what became of the signature (Kling's Send Test Callback shows it).
		let signatureState: 'valid' | 'invalid' | 'not checked' = 'not checked';
		const said = (fields: IDataObject): IDataObject => (isV12 ? { ...fields, signature: signatureState } : fields);
		const legacySecret = node.typeVersion === 1 ? String(this.getNodeParameter('secret', '') ?? '') : '';
		const secret = legacySecret || String(credentials?.callbackSecret ?? '').trim();
		if (secret !== '') {
			const given = (this.getQueryData() as IDataObject).secret;
			if (!secretMatches(given, secret)) {
				return answer(this, 401, said({ received: false, error: 'Missing or wrong secret' }));
			}
		}

		const webhookSecret = String(credentials?.webhookSecret ?? '').trim();
		const verification = resolveVerification(
			node.typeVersion,
			isV12 ? this.getNodeParameter('verification', 'auto') : undefined,
			isV12 ? undefined : this.getNodeParameter('verifyWithApi', true),
			webhookSecret,
		);
		const checkSignature = verification === 'signature' || verification === 'signatureAndApi';
		const checkApi = verification === 'api' || verification === 'signatureAndApi';

		let body: unknown;
		let delivery: { id: string; timestampSec: number } | undefined;
		if (checkSignature) {
			if (!hasCredential || webhookSecret === '') {
				throw new NodeOperationError(node, 'Signature verification needs the Webhook Secret in the Kling AI API credential', {
					description:
						'Create a Webhook Secret in the Kling console (Basic Settings → Webhook), paste it (whsec_…) into the credential\'s Webhook Secret, and select that credential in the trigger. Or choose another Verification.',
				});
			}
			const key = webhookSecretKey(webhookSecret);
			if (!key) {
				throw new NodeOperationError(node, 'The credential\'s Webhook Secret is not a Kling Webhook Secret', {
					description: 'Copy it again from the Kling console (Basic Settings → Webhook): it starts with whsec_ followed by base64 text.',
				});
			}
			const raw = await rawBodyOf(this);
			if (!raw) {
				const contentType = String((this.getHeaderData() as IDataObject)['content-type'] ?? '');
				if (!/json/i.test(contentType)) {
					return answer(this, 400, said({ received: false, error: 'Expected a JSON body' }));
				}
				throw new NodeOperationError(node, 'n8n did not pass the raw request body to the Kling AI Trigger, so the signature cannot be checked', {
					description:
						'The signature covers the body byte for byte, so it is never checked against re-serialised JSON. Check that nothing in front of n8n (proxy) or in n8n\'s set-up consumes the body, or choose Verification: API Look-Up.',
				});
			}
			const check = verifyWebhookSignature(key, signatureHeaders(this.getHeaderData() as IDataObject), raw);
			if (!check.ok) {
				signatureState = 'invalid';
				return answer(this, 401, said({ received: false, error: SIGNATURE_ERRORS[check.reason] }));
			}
			signatureState = 'valid';
			delivery = { id: check.id, timestampSec: check.timestampSec };
			try {
				// The task is read from the bytes that were signed, not from a second parse of them.
				body = JSON.parse(raw.toString('utf8'));
			} catch {
				body = undefined;
			}
		} else {
			body = this.getBodyData();
		}

		let posted: CallbackTask | undefined;
		if (isV12) {
			posted = callbackFromBody(body);
		} else {
			const legacy = legacyTaskFromBody(body);
			posted = legacy && { task: legacy, raw: legacy, style: 'legacy' };
		}
		if (!posted || posted.task.task_id.length > MAX_TASK_ID_LENGTH) {
			return answer(this, 400, said({ received: false, error: 'Expected a Kling task with a task_id' }));
		}
		const postedTask = posted.task;
		if (typeof postedTask.task_status !== 'string' || postedTask.task_status === '') {
			return answer(this, 400, said({ received: false, error: 'Expected a Kling task with a task_status' }));
		}
		const taskId = postedTask.task_id;
		const statuses = this.getNodeParameter('statuses', []) as string[];
		if (!statuses.includes(postedTask.task_status)) {
			return answer(this, 200, said({ received: true, task_id: taskId, task_status: postedTask.task_status, ignored: 'status not selected' }));
		}

		if (delivery) {
			const claim = claimDelivery(deliveryScope(node), delivery.id, delivery.timestampSec);
			if (claim === 'done') {
				return answer(this, 200, said({ received: true, task_id: taskId, task_status: postedTask.task_status, ignored: 'duplicate delivery' }));
			}
			if (claim === 'handling') {
				return answer(this, 409, said({ received: false, error: 'This delivery is being handled already', task_id: taskId }));
			}
		}
		try {
			const result = await emitTask(this, posted, { checkApi, mayDownload: verification !== 'none', hasCredential, isV12, said });
			if (delivery) {
				if (result.workflowData) finishDelivery(deliveryScope(node), delivery.id);
				else releaseDelivery(deliveryScope(node), delivery.id);
			}
			return result;
		} catch (error) {
			if (delivery) releaseDelivery(deliveryScope(node), delivery.id);
			throw asNodeError(node, error);
		}
	}
}
