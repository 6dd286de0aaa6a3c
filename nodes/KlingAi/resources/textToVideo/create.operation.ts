import type {
	IDataObject,
	IExecuteFunctions,
	IHttpRequestOptions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { type NodeApiError, NodeOperationError, randomString, updateDisplayOptions } from 'n8n-workflow';

import { klingModelFields } from '../../../../credentials/KlingAiApi.credentials';
import { downloadVideos } from '../../helpers/download';
import { simplifyTask } from '../../helpers/simplify';
import { CFG_SCALE_DEFAULT, KlingInputError, prepareCreateBody } from '../../helpers/validate';
import {
	MAX_WAIT_DEFAULT_S,
	MAX_WAIT_LIMIT_S,
	POLL_INTERVAL_DEFAULT_S,
	POLL_INTERVAL_MIN_S,
	getTaskRequest,
	waitForTask,
} from '../../helpers/wait';
import { CUSTOM_MODEL, DEFAULT_MODEL, modelOptions, showFor } from '../../models';
import {
	backoff,
	CREDENTIAL_TYPE,
	DEFAULT_MAX_TRIES,
	DEFAULT_RETRY,
	gaveUp,
	type KlingTask,
	type RetryPolicy,
	sendOnce,
	TEXT2VIDEO_PATH,
} from '../../transport';
import { downloadFields, simplifyField } from './shared';

const fields: INodeProperties[] = [
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		options: modelOptions,
		default: DEFAULT_MODEL,
		description:
			'The Kling model that makes the video. The fields below change with it: sound only on Kling V2.6, CFG Scale only on V1 models, camera control only on Kling V1.',
	},
	{
		displayName: 'Model ID',
		name: 'customModel',
		type: 'string',
		default: '',
		// Not `required`: n8n shows this field whenever the model is an expression, and a required
		// empty field would stop such workflows from running. An empty ID is caught per item instead.
		placeholder: 'e.g. kling-v3',
		displayOptions: { show: { model: [CUSTOM_MODEL] } },
		description: 'A model ID that is not in the list yet; it is sent as typed',
	},
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		required: true,
		placeholder: 'e.g. A red fox running through fresh snow at sunrise, cinematic',
		description: 'What the video shows, at most 2,500 characters',
	},
	{
		displayName: 'Mode',
		name: 'mode',
		type: 'options',
		options: [
			{ name: 'Standard', value: 'std', description: 'Faster and cheaper' },
			{ name: 'Professional', value: 'pro', description: 'Higher quality, slower and dearer' },
		],
		default: 'std',
		displayOptions: { show: showFor.mode() },
	},
	{
		displayName: 'Duration',
		name: 'duration',
		type: 'options',
		options: [
			{ name: '5 Seconds', value: '5' },
			{ name: '10 Seconds', value: '10' },
		],
		default: '5',
	},
	{
		displayName: 'Aspect Ratio',
		name: 'aspectRatio',
		type: 'options',
		options: [
			{ name: '16:9 (Landscape)', value: '16:9' },
			{ name: '9:16 (Portrait)', value: '9:16' },
			{ name: '1:1 (Square)', value: '1:1' },
		],
		default: '16:9',
	},
	{
		displayName: 'Sound',
		name: 'sound',
		type: 'boolean',
		default: false,
		displayOptions: { show: showFor.sound() },
		description:
			'Whether to generate sound with the video. Only Professional mode makes sound; in Standard mode the video is silent and this is not sent.',
	},
	{
		displayName: 'CFG Scale',
		name: 'cfgScale',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 1, numberPrecision: 2 },
		default: CFG_SCALE_DEFAULT,
		displayOptions: { show: showFor.cfgScale() },
		description:
			'How closely the video follows the prompt, from 0 (more creative) to 1 (closer to the prompt). V2 models do not take it.',
	},
	{
		displayName: 'Camera Control',
		name: 'cameraControl',
		type: 'options',
		options: [
			{ name: 'Down and Back', value: 'down_back', description: 'Pan down and zoom out' },
			{ name: 'Forward and Up', value: 'forward_up', description: 'Zoom in and pan up' },
			{ name: 'Left Turn Forward', value: 'left_turn_forward', description: 'Rotate left and advance' },
			{ name: 'None', value: 'none' },
			{ name: 'Right Turn Forward', value: 'right_turn_forward', description: 'Rotate right and advance' },
			{ name: 'Simple (One Movement)', value: 'simple', description: 'Set one movement below' },
		],
		default: 'none',
		displayOptions: { show: showFor.cameraControl() },
		description: 'Camera movement. Kling supports it only on Kling V1 in Standard mode with a 5 s duration.',
	},
	{
		displayName: 'Camera Movement',
		name: 'cameraMovement',
		type: 'collection',
		placeholder: 'Add Movement',
		default: {},
		displayOptions: { show: { ...showFor.cameraControl(), cameraControl: ['simple'] } },
		description: 'Exactly one movement, from -10 to 10',
		options: [
			{ displayName: 'Horizontal', name: 'horizontal', type: 'number', typeOptions: { minValue: -10, maxValue: 10 }, default: 0, description: 'Move left (negative) or right (positive)' },
			{ displayName: 'Pan', name: 'pan', type: 'number', typeOptions: { minValue: -10, maxValue: 10 }, default: 0, description: 'Rotate around the X axis' },
			{ displayName: 'Roll', name: 'roll', type: 'number', typeOptions: { minValue: -10, maxValue: 10 }, default: 0, description: 'Rotate around the Z axis' },
			{ displayName: 'Tilt', name: 'tilt', type: 'number', typeOptions: { minValue: -10, maxValue: 10 }, default: 0, description: 'Rotate around the Y axis' },
			{ displayName: 'Vertical', name: 'vertical', type: 'number', typeOptions: { minValue: -10, maxValue: 10 }, default: 0, description: 'Move down (negative) or up (positive)' },
			{ displayName: 'Zoom', name: 'zoom', type: 'number', typeOptions: { minValue: -10, maxValue: 10 }, default: 0, description: 'Zoom out (negative) or in (positive)' },
		],
	},
	{
		displayName: 'Wait for Completion',
		name: 'waitForCompletion',
		type: 'boolean',
		default: true,
		description:
			'Whether to wait until the video is ready and return its URL. Off: return at once with the task ID, and fetch the video later with Get (or a callback).',
	},
	{
		displayName: 'Poll Interval (Seconds)',
		name: 'pollInterval',
		type: 'number',
		typeOptions: { minValue: POLL_INTERVAL_MIN_S },
		default: POLL_INTERVAL_DEFAULT_S,
		displayOptions: { show: { waitForCompletion: [true] } },
		description: 'How often to ask Kling whether the video is ready',
	},
	{
		displayName: 'Max Wait (Seconds)',
		name: 'maxWait',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_WAIT_LIMIT_S },
		default: MAX_WAIT_DEFAULT_S,
		displayOptions: { show: { waitForCompletion: [true] } },
		description:
			'How long to wait before giving up with an error that names the task ID (the task keeps running at Kling). Busy times can take over 15 minutes.',
	},
	...downloadFields({ waitForCompletion: [true] }),
	simplifyField,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Callback URL',
				name: 'callbackUrl',
				type: 'string',
				default: '',
				placeholder: 'e.g. https://example.com/webhook/kling',
				description: 'Kling POSTs the task to this URL every time its status changes',
			},
			{
				displayName: 'External Task ID',
				name: 'externalTaskId',
				type: 'string',
				default: '',
				placeholder: 'e.g. order-1234-video',
				description:
					'Your own ID for the task, unique in the account; Get accepts it in place of the task ID. Left empty, the node makes one per item and run (n8n-…), which lets it retry a Create safely.',
			},
			{
				displayName: 'Max Tries',
				name: 'maxTries',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: 30 },
				default: DEFAULT_MAX_TRIES,
				description:
					'How many times to send a request that failed in a way that can pass (Kling\'s rate or concurrency limit, a server error, a dropped connection), waiting longer each time. Other errors fail at once.',
			},
			{
				displayName: 'Negative Prompt',
				name: 'negativePrompt',
				type: 'string',
				typeOptions: { rows: 2 },
				default: '',
				placeholder: 'e.g. blur, watermark, text',
				description: 'What the video should avoid, at most 2,500 characters',
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['textToVideo'], operation: ['create'] } }, fields);

/**
 * The request body of one item, from the fields n8n shows for it. n8n drops hidden fields from the
 * node's parameters before a run, so a field the model does not show is never read, never sent.
 */
function bodyFromFields(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
	// A hidden field is absent from the parameters: the null fallback marks it (undefined would throw).
	const param = (name: string) => (ctx.getNodeParameter(name, itemIndex, null) as unknown) ?? undefined;
	const body: IDataObject = {
		prompt: param('prompt') as string,
		mode: param('mode') as string | undefined,
		duration: param('duration') as string | undefined,
		aspect_ratio: param('aspectRatio') as string | undefined,
		cfg_scale: param('cfgScale') as number | undefined,
	};
	const sound = param('sound');
	if (sound !== undefined) body.sound = sound === true || sound === 'on' ? 'on' : 'off';
	const cameraType = param('cameraControl');
	if (cameraType !== undefined) {
		body.camera_control = { type: cameraType, config: param('cameraMovement') as IDataObject | undefined };
	}
	const options = (param('options') ?? {}) as IDataObject;
	body.negative_prompt = options.negativePrompt;
	body.callback_url = options.callbackUrl;
	body.external_task_id = options.externalTaskId;
	for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
	return body;
}

function modelOf(ctx: IExecuteFunctions, itemIndex: number): string {
	const selected = String(ctx.getNodeParameter('model', itemIndex, DEFAULT_MODEL));
	return selected === CUSTOM_MODEL ? String(ctx.getNodeParameter('customModel', itemIndex, '')) : selected;
}

type Prepared = { itemIndex: number; body?: IDataObject; error?: NodeOperationError };

/**
 * Creates the task at most once. Limits (1302, 1303) refused the request, so it is simply sent
 * again after a wait. After an ambiguous failure (dropped connection, time-out, 5xxx) the task may
 * exist: the node looks it up by its external task ID first, carries on with it if it is there,
 * and sends the Create again only if it is not.
 */
async function createTask(ctx: IExecuteFunctions, body: IDataObject, itemIndex: number, policy: RetryPolicy): Promise<KlingTask> {
	const create: IHttpRequestOptions = { method: 'POST', url: TEXT2VIDEO_PATH, body };
	const lookup = getTaskRequest(String(body.external_task_id));
	let mayExist = false;
	for (let tries = 1; ; tries++) {
		if (mayExist) {
			const found = await sendOnce<KlingTask>(ctx, lookup, itemIndex);
			if (found.ok) return found.data;
			if (found.code === 1203) {
				mayExist = false; // Not there: the earlier Create did not land, send it again.
			} else {
				if (!found.retryable || tries >= policy.maxTries) throw gaveUp(found.error, tries);
				await backoff(ctx, policy, tries, found.retryAfterMs);
				continue;
			}
		}
		const sent = await sendOnce<KlingTask>(ctx, create, itemIndex);
		if (sent.ok) return sent.data;
		if (sent.code === 1201 && tries > 1) {
			// A duplicate external task ID on a re-send: the earlier Create landed after all.
			const found = await sendOnce<KlingTask>(ctx, lookup, itemIndex);
			if (found.ok) return found.data;
		}
		if (!sent.retryable || tries >= policy.maxTries) throw gaveUp(sent.error, tries);
		mayExist = sent.ambiguous;
		await backoff(ctx, policy, tries, sent.retryAfterMs);
	}
}

async function createOne(ctx: IExecuteFunctions, itemIndex: number, body: IDataObject): Promise<INodeExecutionData> {
	const simplify = ctx.getNodeParameter('simplify', itemIndex, true) as boolean;
	const output = (task: KlingTask): INodeExecutionData => ({
		json: simplify ? simplifyTask(task) : task,
		pairedItem: { item: itemIndex },
	});
	const options = ctx.getNodeParameter('options', itemIndex, {}) as { maxTries?: number };
	const policy: RetryPolicy = { ...DEFAULT_RETRY, maxTries: Math.max(1, Math.floor(options.maxTries ?? DEFAULT_MAX_TRIES)) };
	const created = await createTask(ctx, body, itemIndex, policy);
	if (!(ctx.getNodeParameter('waitForCompletion', itemIndex, true) as boolean)) return output(created);

	const pollInterval = Math.max(
		POLL_INTERVAL_MIN_S,
		Number(ctx.getNodeParameter('pollInterval', itemIndex, POLL_INTERVAL_DEFAULT_S)),
	);
	const maxWait = Math.min(MAX_WAIT_LIMIT_S, Math.max(1, Number(ctx.getNodeParameter('maxWait', itemIndex, MAX_WAIT_DEFAULT_S))));
	const { task, error } = await waitForTask(ctx, created, itemIndex, {
		pollIntervalMs: pollInterval * 1000,
		maxWaitMs: maxWait * 1000,
	});
	if (error) {
		// The task exists (and is paid for): with Continue On Fail its ID and last state stay in the item.
		namingItem(error, itemIndex);
		if (ctx.continueOnFail()) {
			const item = output(task);
			item.json.error = error.message;
			// No item.error here: n8n would replace the json (the task) with the message alone.
			item.json.error_description = error.description ?? null;
			return item;
		}
		throw error;
	}
	const item = output(task);
	if (ctx.getNodeParameter('downloadVideo', itemIndex, false) as boolean) {
		const property = ctx.getNodeParameter('binaryPropertyName', itemIndex, 'data') as string;
		item.binary = await downloadVideos(ctx, task, property, itemIndex);
	}
	return item;
}

/**
 * Create runs as a custom operation of this declarative node: n8n gives custom operations the
 * execution's cancel signal (routed operations do not get it in n8n 2.x), which a wait of many
 * minutes needs. Every item is checked before anything is sent, then all items are created and
 * awaited side by side.
 */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const modelFields = klingModelFields(await this.getCredentials(CREDENTIAL_TYPE));

	const runId = `${this.getExecutionId() ?? 'run'}-${randomString(6)}`.replace(/[^A-Za-z0-9_-]/g, '');
	const prepared: Prepared[] = items.map((_, itemIndex) => {
		try {
			const body = prepareCreateBody(bodyFromFields(this, itemIndex), modelOf(this, itemIndex), modelFields);
			// Every Create carries an external task ID, so that after an ambiguous failure the node can
			// look the task up instead of creating (and paying for) it twice.
			body.external_task_id ??= `n8n-${runId}-${this.getNode().id.slice(0, 8)}-${itemIndex}`;
			return { itemIndex, body };
		} catch (error) {
			if (!(error instanceof KlingInputError)) throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
			return {
				itemIndex,
				error: new NodeOperationError(this.getNode(), `${error.message} [item ${itemIndex}]`, {
					description: `${error.fix} Nothing was sent to Kling.`,
					itemIndex,
				}),
			};
		}
	});
	// Bad input stops the run before any item is sent, so no paid task is created by a run that fails.
	const invalid = prepared.find((entry) => entry.error);
	if (invalid?.error && !this.continueOnFail()) throw invalid.error;

	const settled = await Promise.allSettled(
		prepared.map(async ({ itemIndex, body, error }) => {
			if (error) throw error;
			return await createOne(this, itemIndex, body!);
		}),
	);

	const results: INodeExecutionData[] = [];
	for (const [itemIndex, outcome] of settled.entries()) {
		if (outcome.status === 'fulfilled') {
			results.push(outcome.value);
			continue;
		}
		const error = namingItem(outcome.reason as NodeApiError | NodeOperationError, itemIndex);
		if (!this.continueOnFail()) throw withCreatedTasks(error, settled);
		// n8n shows item.error (message and description) and sets the json to { error: message }.
		results.push({ json: { error: error.message }, error, pairedItem: { item: itemIndex } });
	}
	return [results];
}

/** Every error of a Create names its item, as the input errors do. */
function namingItem<E extends NodeApiError | NodeOperationError>(error: E, itemIndex: number): E {
	if (!/\[item \d+\]$/.test(error.message)) error.message = `${error.message} [item ${itemIndex}]`;
	return error;
}

/** A failing run still tells where the tasks it created (and paid for) are. */
function withCreatedTasks<E extends NodeApiError | NodeOperationError>(error: E, settled: Array<PromiseSettledResult<INodeExecutionData>>) {
	const created = settled
		.map((outcome) => (outcome.status === 'fulfilled' ? (outcome.value.json.task_id as string | undefined) : undefined))
		.filter((id): id is string => typeof id === 'string');
	if (created.length > 0) {
		error.description = `${error.description ?? ''} The other items of this run created these tasks, which are not lost: ${created.join(', ')} (use Get with each ID).`.trim();
	}
	return error;
}
