import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import { CUSTOM_MODEL, DEFAULT_MODEL, modelOptions, showFor } from '../../models/textToVideo';
import { runCreate } from '../common/create';
import { createOptions, negativePromptOption, downloadFields, operationFields, simplifyField, waitFields } from '../common/fields';
import { CFG_SCALE_DEFAULT, MAX_SHOTS, PROMPT_MAX_LENGTH, SHOT_PROMPT_MAX_LENGTH, textToVideoBody } from './body';

const fields: INodeProperties[] = [
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		options: modelOptions,
		default: DEFAULT_MODEL,
		description:
			'The Kling model that makes the video. Current models first, legacy ones (retired at Kling, still run by some proxies) last. The fields below change with the model.',
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
			{ name: 'Standard', value: 'std', description: '720p: faster and cheaper' },
			{ name: 'Professional', value: 'pro', description: '1080p: higher quality, slower and dearer' },
			{ name: '4K', value: '4k', description: 'Kling 3.0 only: native 4K, the dearest' },
		],
		default: 'std',
		displayOptions: { show: showFor.mode() },
	},
	{
		displayName: 'Duration',
		name: 'duration',
		type: 'options',
		options: Array.from({ length: 13 }, (_, i) => ({ name: `${i + 3} Seconds`, value: String(i + 3) })),
		default: '5',
		description: 'Kling 3.0 makes 3 to 15 seconds; the other models 5 or 10',
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
			'Whether to generate sound with the video. Kling 3.0 makes sound in every mode; Kling 2.6 only in Professional mode (in Standard the video is silent and this is not sent).',
	},
	{
		displayName: 'Multi-Shot',
		name: 'multiShot',
		type: 'boolean',
		default: false,
		displayOptions: { show: showFor.multiShot() },
		description: 'Whether to tell the story in several shots (Kling 3.0)',
	},
	{
		displayName: 'Shot Type',
		name: 'shotType',
		type: 'options',
		options: [
			{ name: 'Custom', value: 'customize', description: 'Your shots below, each with its prompt and duration' },
			{ name: 'Intelligent', value: 'intelligence', description: 'Kling splits the prompt into shots itself' },
		],
		default: 'customize',
		displayOptions: { show: { ...showFor.multiShot(), multiShot: [true] } },
	},
	{
		displayName: 'Shots',
		name: 'shots',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, maxAllowedFields: MAX_SHOTS },
		placeholder: 'Add Shot',
		default: {},
		displayOptions: { show: { ...showFor.multiShot(), multiShot: [true], shotType: ['customize'] } },
		description: `Up to ${MAX_SHOTS} shots, in order; their durations must add up to the video's Duration`,
		options: [
			{
				displayName: 'Shot',
				name: 'shot',
				values: [
					{
						displayName: 'Prompt',
						name: 'prompt',
						type: 'string',
						typeOptions: { rows: 2 },
						default: '',
						placeholder: 'e.g. Close-up: the fox lifts its head',
						description: `What this shot shows, at most ${SHOT_PROMPT_MAX_LENGTH} characters`,
					},
					{
						displayName: 'Duration (Seconds)',
						name: 'duration',
						type: 'number',
						typeOptions: { minValue: 1, maxValue: 15 },
						default: 5,
					},
				],
			},
		],
	},
	{
		displayName: 'CFG Scale',
		name: 'cfgScale',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 100, numberPrecision: 2 },
		default: CFG_SCALE_DEFAULT,
		displayOptions: { show: showFor.cfgScale() },
		description:
			'How closely the video follows the prompt: from 0 (more creative) to 1 (closer to the prompt) on the official API; 0 to 100 on a proxy whose credential says so (CFG Scale Range). Only V1 models take it.',
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
			negativePromptOption,
			{
				displayName: 'Tail Frame Image (Proxies)',
				name: 'tailFrameImage',
				type: 'string',
				default: '',
				placeholder: 'e.g. https://example.com/last-frame.png, or data',
				description:
					'Only with a Custom URL credential, for proxies that take image_tail on text-to-video (the official API does not: use Image to Video there). An image URL; or the name of a binary property of the input item (e.g. data); or base64 image data. JPG or PNG, at most 10 MB.',
			},
		],
	},
];

export const description = operationFields('textToVideo', 'create', fields);

/** Create runs as code (see ../common/create.ts): it checks every item first, queues for slots, waits and downloads. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await runCreate(this, { resource: 'textToVideo', body: textToVideoBody });
}
