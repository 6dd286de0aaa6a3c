import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { CUSTOM_MODEL, DEFAULT_MODEL, modelOptions, showFor } from '../../models/textToVideo';
import { runCreate } from '../common/create';
import { createOptions, downloadFields, operationFields, simplifyField, waitFields } from '../common/fields';
import { CFG_SCALE_DEFAULT, PROMPT_MAX_LENGTH, textToVideoBody } from './body';

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
		description: `What the video shows, at most ${PROMPT_MAX_LENGTH.toLocaleString('en-US')} characters (counted as Unicode characters: an emoji counts once)`,
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
	...waitFields,
	...downloadFields({ waitForCompletion: [true] }),
	simplifyField,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			...createOptions,
			{
				displayName: 'Negative Prompt',
				name: 'negativePrompt',
				type: 'string',
				typeOptions: { rows: 2 },
				default: '',
				placeholder: 'e.g. blur, watermark, text',
				description: `What the video should avoid, at most ${PROMPT_MAX_LENGTH.toLocaleString('en-US')} characters`,
			},
		],
	},
];

export const description = operationFields('textToVideo', 'create', fields);

/** Create runs as code (see ../common/create.ts): it checks every item first, queues for slots, waits and downloads. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await runCreate(this, { resource: 'textToVideo', body: textToVideoBody });
}
