import type { IExecuteFunctions, INodeExecutionData, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

import { IMAGE_MAX_ASPECT, IMAGE_MAX_BYTES, IMAGE_MIN_SIDE_PX } from '../../helpers/images';
import { CUSTOM_MODEL, DEFAULT_IMAGE_MODEL, imageModelOptions, imageShowFor } from '../../models/imageToVideo';
import { type CameraType } from '../../models/shared';
import { CAMERA_AXES, CFG_SCALE_DEFAULT, PROMPT_MAX_LENGTH } from '../common/body';
import { runCreate } from '../common/create';
import { createOptions, negativePromptOption, downloadFields, operationFields, simplifyField, waitFields } from '../common/fields';
import { DYNAMIC_MASKS_MAX, imageToVideoBody, TRAJECTORY_MAX_POINTS, TRAJECTORY_MIN_POINTS } from './body';

const IMAGE_RULES = `JPG or PNG, at most ${IMAGE_MAX_BYTES / 1024 / 1024} MB, at least ${IMAGE_MIN_SIDE_PX}×${IMAGE_MIN_SIDE_PX} px, aspect ratio 1:${IMAGE_MAX_ASPECT} to ${IMAGE_MAX_ASPECT}:1`;

/**
 * Field names: the ones both resources share (model, prompt, mode, duration, options, …) are the same;
 * sound, CFG scale and camera control are named imageSound, imageCfgScale, imageCameraControl and
 * imageCameraMovement here, so that each resource's copy is its own field (and its tests find one).
 */
const INPUT_TYPES: INodePropertyOptions[] = [
	{ name: 'URL', value: 'url', description: 'A public http(s) URL that Kling fetches' },
	{ name: 'Base64', value: 'base64', description: 'The image as base64 text (a data: prefix is removed)' },
	{ name: 'Binary File', value: 'binary', description: 'A binary property of the input item, e.g. from HTTP Request or Read Files' },
];
const NONE: INodePropertyOptions = { name: 'None', value: 'none' };

/** The three fields of one image input (URL, base64, binary property), shown by its input-type field. */
function imageValueFields(prefix: string, label: string, typeField: string, show: Record<string, Array<string | boolean>>): INodeProperties[] {
	// Not `required`: the input type may come from an expression, which shows all three fields, and an
	// empty required field would stop the workflow from running. An empty value is caught per item.
	return [
		{
			displayName: `${label} URL`,
			name: `${prefix}Url`,
			type: 'string',
			default: '',
			placeholder: 'e.g. https://example.com/photo.jpg',
			displayOptions: { show: { [typeField]: ['url'], ...show } },
			description: `The URL of the ${label.toLowerCase()}: ${IMAGE_RULES}`,
		},
		{
			displayName: `${label} (Base64)`,
			name: `${prefix}Base64`,
			type: 'string',
			typeOptions: { rows: 2 },
			default: '',
			placeholder: 'e.g. {{ $json.imageBase64 }}',
			displayOptions: { show: { [typeField]: ['base64'], ...show } },
			description: `The ${label.toLowerCase()} as base64 text: ${IMAGE_RULES}`,
		},
		{
			displayName: `${label} Input Binary Field`,
			name: `${prefix}BinaryProperty`,
			type: 'string',
			default: 'data',
			placeholder: 'e.g. data',
			displayOptions: { show: { [typeField]: ['binary'], ...show } },
			hint: 'The name of the input item\'s binary property that holds the image',
			description: `The binary property of the input item with the ${label.toLowerCase()}: ${IMAGE_RULES}`,
		},
	];
}

const CAMERA_OPTIONS: Record<CameraType, INodePropertyOptions> = {
	down_back: { name: 'Down and Back', value: 'down_back', description: 'Pan down and zoom out' },
	forward_up: { name: 'Forward and Up', value: 'forward_up', description: 'Zoom in and pan up' },
	left_turn_forward: { name: 'Left Turn Forward', value: 'left_turn_forward', description: 'Rotate left and advance' },
	right_turn_forward: { name: 'Right Turn Forward', value: 'right_turn_forward', description: 'Rotate right and advance' },
	simple: { name: 'Simple (One Movement)', value: 'simple', description: 'Set one movement below' },
};

/** One copy of a field per show rule of the model table (see imageShowFor). */
const tailFrameFields: INodeProperties[] = imageShowFor.tailFrame().map((rule) => ({
	displayName: 'Tail Frame',
	name: 'tailFrame',
	type: 'options',
	options: [...INPUT_TYPES, NONE],
	default: 'none',
	displayOptions: { show: rule.show },
	description: `An image for the last frame of the video (image_tail), as URL, base64 or binary. Not together with camera control or the motion brush${rule.extra ? '. This model makes it only without sound' : ''}.`,
}));

const cameraControlFields: INodeProperties[] = imageShowFor.cameraControl().map((rule) => ({
	displayName: 'Camera Control',
	name: 'imageCameraControl',
	type: 'options',
	options: [...(rule.extra ?? []).map((type) => CAMERA_OPTIONS[type]), NONE].sort((a, b) => a.name.localeCompare(b.name)),
	default: 'none',
	displayOptions: { show: rule.show },
	description: 'Camera movement. Not together with a tail frame or the motion brush.',
}));

const motionBrushFields: INodeProperties[] = imageShowFor.motionBrush().map((rule) => ({
	displayName: 'Motion Brush',
	name: 'motionBrush',
	type: 'boolean',
	default: false,
	displayOptions: { show: rule.show },
	description: 'Whether to animate areas of the image with masks: a static mask (areas that stay still) and up to 6 dynamic masks, each moving along a trajectory. Not together with a tail frame or camera control.',
}));

const withTail = { model: imageShowFor.modelsWith('tailFrame') };
const withCamera = { model: imageShowFor.modelsWith('cameraControl') };
// The switch comes before the model in each rule: n8n shows a field at the first rule on a parameter set
// by expression, so with a model by expression these fields still follow their switch.
const withBrush = { motionBrush: [true], model: imageShowFor.modelsWith('motionBrush') };

const fields: INodeProperties[] = [
	{
		displayName: 'Model',
		name: 'model',
		type: 'options',
		options: imageModelOptions,
		default: DEFAULT_IMAGE_MODEL,
		description:
			'The Kling model that animates the image. The fields below change with it: sound only on Kling V2.6, CFG Scale only on V1 models, the tail frame, camera control and motion brush only where Kling has them.',
	},
	{
		displayName: 'Model ID',
		name: 'customModel',
		type: 'string',
		default: '',
		// Not `required`, as for text to video: a model set by expression shows this field.
		placeholder: 'e.g. kling-v3',
		displayOptions: { show: { model: [CUSTOM_MODEL] } },
		description: 'A model ID that is not in the list yet; it is sent as typed',
	},
	{
		displayName: 'Image Input',
		name: 'imageInputType',
		type: 'options',
		options: INPUT_TYPES,
		default: 'url',
		description: 'How the image (the first frame) is given',
	},
	...imageValueFields('image', 'Image', 'imageInputType', {}),
	{
		displayName: 'Prompt',
		name: 'prompt',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		placeholder: 'e.g. The fox turns its head and runs off into the snow',
		description: `What happens in the video (optional), at most ${PROMPT_MAX_LENGTH.toLocaleString('en-US')} characters`,
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
		displayOptions: { show: imageShowFor.mode() },
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
		displayName: 'Sound',
		name: 'imageSound',
		type: 'boolean',
		default: false,
		displayOptions: { show: imageShowFor.sound() },
		description: 'Whether to generate sound with the video. Only Professional mode makes sound; in Standard mode the video is silent and this is not sent.',
	},
	{
		displayName: 'CFG Scale',
		name: 'imageCfgScale',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 100, numberPrecision: 2 },
		default: CFG_SCALE_DEFAULT,
		displayOptions: { show: imageShowFor.cfgScale() },
		description:
			'How closely the video follows the prompt: from 0 (more creative) to 1 (closer to the prompt) on the official API; 0 to 100 on a proxy whose credential says so (CFG Scale Range). V2 models do not take it.',
	},
	...tailFrameFields,
	...imageValueFields('tailImage', 'Tail Frame Image', 'tailFrame', withTail),
	...cameraControlFields,
	{
		displayName: 'Camera Movement',
		name: 'imageCameraMovement',
		type: 'collection',
		placeholder: 'Add Movement',
		default: {},
		displayOptions: { show: { imageCameraControl: ['simple'], ...withCamera } },
		description: 'Exactly one movement, from -10 to 10',
		options: CAMERA_AXES.map((axis) => ({
			displayName: axis.charAt(0).toUpperCase() + axis.slice(1),
			name: axis,
			type: 'number' as const,
			typeOptions: { minValue: -10, maxValue: 10 },
			default: 0,
		})).sort((a, b) => a.displayName.localeCompare(b.displayName)),
	},
	...motionBrushFields,
	{
		displayName: 'Static Mask',
		name: 'staticMaskInputType',
		type: 'options',
		options: [...INPUT_TYPES, NONE],
		default: 'none',
		displayOptions: { show: withBrush },
		description: 'A mask image (static_mask) whose painted area stays still; same aspect ratio as the image',
	},
	...imageValueFields('staticMask', 'Static Mask', 'staticMaskInputType', withBrush),
	{
		displayName: 'Dynamic Masks',
		name: 'dynamicMasks',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Dynamic Mask',
		default: {},
		displayOptions: { show: withBrush },
		description: `Up to ${DYNAMIC_MASKS_MAX} areas (dynamic_masks) that move along a trajectory`,
		options: [
			{
				displayName: 'Mask',
				name: 'masks',
				values: [
					{
						displayName: 'Mask Input',
						name: 'maskInputType',
						type: 'options',
						options: INPUT_TYPES,
						default: 'url',
						description: 'How the mask image is given',
					},
					{
						displayName: 'Mask',
						name: 'mask',
						type: 'string',
						default: '',
						placeholder: 'e.g. https://example.com/mask.png',
						description: 'The mask: its URL, its base64 text, or the name of the input item\'s binary property, by Mask Input. Same aspect ratio as the image.',
					},
					{
						displayName: 'Trajectory',
						name: 'trajectory',
						type: 'string',
						default: '',
						placeholder: 'e.g. 279,219 417,65',
						description: `${TRAJECTORY_MIN_POINTS} to ${TRAJECTORY_MAX_POINTS} points x,y in pixels of the image, from 0,0 at its bottom-left corner, separated by spaces; or JSON [{"x":279,"y":219}, …]`,
					},
				],
			},
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
		],
	},
];

export const description = operationFields('imageToVideo', 'create', fields);

/** Create runs as code (see ../common/create.ts): it checks every item first, queues for slots, waits and downloads. */
export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await runCreate(this, { resource: 'imageToVideo', body: imageToVideoBody });
}
