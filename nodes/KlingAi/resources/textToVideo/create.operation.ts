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
import { CUSTOM_MODEL, DEFAULT_MODEL, modelOptions, showFor } from '../../models';
import { CREDENTIAL_TYPE, klingRequest, type KlingTask } from '../../transport';

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
		displayName: 'Simplify',
		name: 'simplify',
		type: 'boolean',
		default: true,
		description:
			'Whether to return a simplified version of the task (id, status, video URL, duration, dates) instead of the raw data',
	},
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
	const task = await klingRequest<KlingTask>(this, requestData.options as IHttpRequestOptions);
	const simplify = this.getNodeParameter('simplify', true) as boolean;
	const item: INodeExecutionData = { json: simplify ? simplifyTask(task) : task };
	return [item];
};
