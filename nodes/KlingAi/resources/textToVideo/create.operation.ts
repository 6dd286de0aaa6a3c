import type {
	IDataObject,
	IExecuteSingleFunctions,
	IHttpRequestOptions,
	INodeExecutionData,
	INodeProperties,
} from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import { klingModelFields } from '../../../../credentials/KlingAiApi.credentials';
import type { OperationHandler } from '../../helpers/routing';
import { simplifyTask } from '../../helpers/simplify';
import { CFG_SCALE_DEFAULT, KlingInputError, prepareCreateBody } from '../../helpers/validate';
import { downloadVideos } from '../../helpers/download';
import {
	KlingTaskFailedError,
	KlingWaitTimeoutError,
	MAX_WAIT_DEFAULT_S,
	MAX_WAIT_LIMIT_S,
	POLL_INTERVAL_DEFAULT_S,
	POLL_INTERVAL_MIN_S,
	waitForTask,
} from '../../helpers/wait';
import { CUSTOM_MODEL, DEFAULT_MODEL, modelOptions, showFor } from '../../models';
import { CREDENTIAL_TYPE, klingRequest, type KlingTask } from '../../transport';
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
		required: true,
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
		routing: { send: { type: 'body', property: 'prompt' } },
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
		routing: { send: { type: 'body', property: 'mode' } },
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
		routing: { send: { type: 'body', property: 'duration' } },
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
		routing: { send: { type: 'body', property: 'aspect_ratio' } },
	},
	{
		displayName: 'Sound',
		name: 'sound',
		type: 'boolean',
		default: false,
		displayOptions: { show: showFor.sound() },
		description:
			'Whether to generate sound with the video. Only Professional mode makes sound; in Standard mode the video is silent and this is not sent.',
		routing: { send: { type: 'body', property: 'sound', value: '={{ $value ? "on" : "off" }}' } },
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
		routing: { send: { type: 'body', property: 'cfg_scale' } },
	},
	{
		displayName: 'Camera Control',
		name: 'cameraControl',
		type: 'options',
		options: [
			{ name: 'None', value: 'none' },
			{ name: 'Simple (One Movement)', value: 'simple', description: 'Set one movement below' },
			{ name: 'Down and Back', value: 'down_back', description: 'Pan down and zoom out' },
			{ name: 'Forward and Up', value: 'forward_up', description: 'Zoom in and pan up' },
			{ name: 'Right Turn Forward', value: 'right_turn_forward', description: 'Rotate right and advance' },
			{ name: 'Left Turn Forward', value: 'left_turn_forward', description: 'Rotate left and advance' },
		],
		default: 'none',
		displayOptions: { show: showFor.cameraControl() },
		description: 'Camera movement. Kling supports it only on Kling V1 in Standard mode with a 5 s duration.',
		routing: { send: { type: 'body', property: 'camera_control.type' } },
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
		routing: { send: { type: 'body', property: 'camera_control.config' } },
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
				routing: { send: { type: 'body', property: 'callback_url' } },
			},
			{
				displayName: 'External Task ID',
				name: 'externalTaskId',
				type: 'string',
				default: '',
				placeholder: 'e.g. order-1234-video',
				description: 'Your own ID for the task, unique in the account. Get accepts it in place of the task ID.',
				routing: { send: { type: 'body', property: 'external_task_id' } },
			},
			{
				displayName: 'Negative Prompt',
				name: 'negativePrompt',
				type: 'string',
				typeOptions: { rows: 2 },
				default: '',
				placeholder: 'e.g. blur, watermark, text',
				description: 'What the video should avoid, at most 2,500 characters',
				routing: { send: { type: 'body', property: 'negative_prompt' } },
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['textToVideo'], operation: ['create'] } }, fields);

/** preSend: checks the routed body against the model table and sets the model field(s) the credential asks for. */
export async function prepareCreateRequest(
	this: IExecuteSingleFunctions,
	requestOptions: IHttpRequestOptions,
): Promise<IHttpRequestOptions> {
	const selected = String(this.getNodeParameter('model', DEFAULT_MODEL));
	const model = selected === CUSTOM_MODEL ? String(this.getNodeParameter('customModel', '')) : selected;
	const credentials = await this.getCredentials(CREDENTIAL_TYPE);
	try {
		const body = prepareCreateBody((requestOptions.body ?? {}) as IDataObject, model, klingModelFields(credentials));
		return { ...requestOptions, body };
	} catch (error) {
		if (!(error instanceof KlingInputError)) throw new NodeOperationError(this.getNode(), error as Error, { itemIndex: this.getItemIndex() });
		const itemIndex = this.getItemIndex();
		throw new NodeOperationError(this.getNode(), `${error.message} [item ${itemIndex}]`, {
			description: `${error.fix} Nothing was sent to Kling.`,
			itemIndex,
		});
	}
}

export const execute: OperationHandler = async function (requestData) {
	const requestOptions = requestData.options as IHttpRequestOptions;
	const created = await klingRequest<KlingTask>(this, requestOptions);
	const simplify = this.getNodeParameter('simplify', true) as boolean;
	const output = (task: KlingTask): INodeExecutionData => ({ json: simplify ? simplifyTask(task) : task });

	if (!(this.getNodeParameter('waitForCompletion', true) as boolean)) return [output(created)];

	const pollInterval = Math.max(POLL_INTERVAL_MIN_S, Number(this.getNodeParameter('pollInterval', POLL_INTERVAL_DEFAULT_S)));
	const maxWait = Math.min(MAX_WAIT_LIMIT_S, Math.max(1, Number(this.getNodeParameter('maxWait', MAX_WAIT_DEFAULT_S))));
	const waited = await waitForTask(this, created, {
		pollIntervalMs: pollInterval * 1000,
		maxWaitMs: maxWait * 1000,
		requestOptions,
	}).then(
		(task) => ({ task, failure: undefined }),
		(failure: Error) => ({ task: undefined, failure }),
	);
	if (waited.failure) {
		const { failure } = waited;
		// The task was created (and paid for): with Continue On Fail, keep its ID and last state in the item.
		if ((failure instanceof KlingTaskFailedError || failure instanceof KlingWaitTimeoutError) && failure.task && this.continueOnFail()) {
			const item = output(failure.task);
			item.json.error = failure.message;
			return [item];
		}
		throw failure;
	}
	const finished = waited.task;

	const item = output(finished);
	if (this.getNodeParameter('downloadVideo', false) as boolean) {
		item.binary = await downloadVideos(this, finished, this.getNodeParameter('binaryPropertyName', 'data') as string);
	}
	return [item];
};
