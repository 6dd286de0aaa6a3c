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
import { downloadVideos, readDownloadSettings } from './helpers/download';
import { asNodeError } from './helpers/parameters';
import { simplifyTask } from './helpers/simplify';
import { CREDENTIAL_TYPE, gaveUp, klingCredentials, type KlingTask, type RetryPolicy, sendWithRetries } from './transport';
import { getTaskRequest, isUsableTaskId, type KlingResource } from './transport/tasks';

/**
 * Verification answers a callback while Kling waits for the answer: a few quick tries, not the
 * nodes' long backoff, and a Retry-After honoured up to 5 s for the same reason.
 */
const VERIFY_RETRY: RetryPolicy = { maxTries: 3, baseDelayMs: 1000, maxDelayMs: 4000, maxRetryAfterMs: 5000 };
/** When the API shows an earlier status than the callback, it is asked once more after this pause. */
const RECHECK_DELAY_MS = 1000;
const MAX_TASK_ID_LENGTH = 256;

const STATUS_RANK: Record<string, number> = { submitted: 0, processing: 1, succeed: 2, failed: 2 };

/** The task a callback carries: Kling posts it flat; some senders wrap it as { code, message, data }. */
export function taskFromBody(body: unknown): KlingTask | undefined {
	if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
	const record = body as IDataObject;
	const data = record.data;
	const candidate =
		typeof data === 'object' && data !== null && !Array.isArray(data) && 'task_id' in data ? (data as IDataObject) : record;
	const id = candidate.task_id;
	if ((typeof id !== 'string' && typeof id !== 'number') || !isUsableTaskId(String(id))) return undefined;
	return { ...candidate, task_id: String(id).trim() } as KlingTask;
}

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

export class KlingAiTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Kling AI Trigger',
		name: 'klingAiTrigger',
		icon: { light: 'file:../../icons/kling.svg', dark: 'file:../../icons/kling.dark.svg' },
		group: ['trigger'],
		// 1.1: the URL secret moved from the node (where anyone who can read the workflow sees it) into the credential.
		version: [1, 1.1],
		defaultVersion: 1.1,
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
				// Needed for Verify with API and for the Callback URL Secret; the webhook says so when it is missing.
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
					'The task statuses that start the workflow. Callbacks with other statuses are answered 200 and ignored.',
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
				displayOptions: { show: { verifyWithApi: [true] } },
				description: 'Which kind of Kling task the callbacks are for: the API look-up asks that endpoint',
			},
			{
				displayName: 'Verify with API',
				name: 'verifyWithApi',
				type: 'boolean',
				default: true,
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
			...downloadFields({ verifyWithApi: [true] }),
		],
	};

	// Kling has no webhook registry: the URL travels with each task as its callback_url, so there is
	// nothing to create at Kling when the workflow is activated, and nothing to delete afterwards.
	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async create(this: IHookFunctions): Promise<boolean> {
				return true;
			},
			async delete(this: IHookFunctions): Promise<boolean> {
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const hasCredential = Boolean(this.getNode().credentials?.[CREDENTIAL_TYPE]);
		const credentials = hasCredential ? await klingCredentials(this) : undefined;
		const legacySecret = this.getNode().typeVersion === 1 ? String(this.getNodeParameter('secret', '') ?? '') : '';
		const secret = legacySecret || String(credentials?.callbackSecret ?? '').trim();
		if (secret !== '') {
			const given = (this.getQueryData() as IDataObject).secret;
			if (!secretMatches(given, secret)) {
				return answer(this, 401, { received: false, error: 'Missing or wrong secret' });
			}
		}

		const posted = taskFromBody(this.getBodyData());
		if (!posted || posted.task_id.length > MAX_TASK_ID_LENGTH) {
			return answer(this, 400, { received: false, error: 'Expected a Kling task with a task_id' });
		}
		if (typeof posted.task_status !== 'string' || posted.task_status === '') {
			return answer(this, 400, { received: false, error: 'Expected a Kling task with a task_status' });
		}
		const taskId = posted.task_id;
		const statuses = this.getNodeParameter('statuses', []) as string[];
		if (!statuses.includes(posted.task_status)) {
			return answer(this, 200, { received: true, task_id: taskId, task_status: posted.task_status, ignored: 'status not selected' });
		}

		let task: KlingTask = posted;
		const verify = this.getNodeParameter('verifyWithApi', true) as boolean;
		if (verify) {
			if (!hasCredential) {
				throw new NodeOperationError(this.getNode(), 'Verify with API needs a Kling AI API credential', {
					description:
						'Select the Kling AI API credential in the trigger. Or turn Verify with API off, and set a Callback URL Secret in the credential: without verification anyone who knows the URL can post a callback.',
				});
			}
			let fetched = await fetchTask(this, taskId);
			// The API may lag a moment behind its own callback: ask once more before refusing.
			if (fetched && (STATUS_RANK[fetched.task_status] ?? 0) < (STATUS_RANK[posted.task_status] ?? 0)) {
				await sleep(RECHECK_DELAY_MS);
				fetched = await fetchTask(this, taskId);
			}
			if (!fetched) {
				return answer(this, 404, { received: false, error: 'Unknown task', task_id: taskId });
			}
			if (fetched.task_status !== posted.task_status) {
				return answer(this, 409, {
					received: false,
					error: 'The task status does not match Kling',
					task_id: taskId,
					task_status: posted.task_status,
					api_task_status: fetched.task_status,
				});
			}
			task = fetched;
		}

		const simplify = this.getNodeParameter('simplify', true) as boolean;
		const item: INodeExecutionData = { json: simplify ? simplifyTask(task) : task };
		// Only a verified task is downloaded: the URLs come from Kling's API, never from a posted body.
		if (verify && task.task_status === 'succeed' && (this.getNodeParameter('downloadVideo', false) as boolean)) {
			const binary = await downloadVideos(this, task, downloadSettings(this), 0);
			if (Object.keys(binary).length > 0) item.binary = binary;
		}
		return answer(this, 200, { received: true, task_id: taskId, task_status: task.task_status }, [item]);
	}
}
