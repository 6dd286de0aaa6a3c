/**
 * The image-to-video resource (Kling's legacy API): `POST /v1/videos/image2video` (Create), `GET
 * /v1/videos/image2video` (List), `GET /v1/videos/image2video/{id}` (Get). Its Create rules follow
 * Kling's image-to-video reference and changelog (mirrored in github.com/aself101/kling-api:
 * docs/KLING_API_REFERENCE.md "Image to Video", docs/api/kling-updates-api.md, and
 * docs/api/kling-guide-capability-map-video.md):
 * - `image` required: a URL or base64 without a `data:` prefix; JPG/PNG, at most 10 MB, at least 300 px
 *   wide and high, aspect ratio 1:2.5 to 2.5:1 (checked for base64; URLs are taken as they are).
 * - `image_tail`, `static_mask`, `dynamic_masks` (≤ 6, each `{mask, trajectories}` with 2–77 points
 *   `{x, y}`), `camera_control`: per model, mode and duration (I2V_MODEL_SUPPORT); tail frame, masks and
 *   camera control exclude each other; masks have the image's aspect ratio.
 * - `prompt` optional (≤ 2500), `negative_prompt`, `cfg_scale` (0–1, the proxy dialect 0–100; not on V2 models), `mode`, `duration`,
 *   `sound` (kling-v2-6 in pro), `voice_list` (kling-v2-6, ≤ 2), `callback_url`, `external_task_id`.
 */
import { readImageFacts, type ImageFacts } from './images';
import { type ResourceModule, modelFields, resolveModel } from './resource';
import { ApiError, invalidValue, isPlainObject } from './respond';
import type { StandInConfig } from './state';
import { CAMERA_TYPES, checkCameraShape } from './text2video';

export interface Where {
	modes: readonly string[];
	durations: readonly string[];
}

export interface I2VModelSupport {
	cfgScale: boolean;
	modes: readonly string[];
	durations: readonly string[];
	/** 'pro-only': `sound` in mode 'pro' only; 'yes': always; 'no': never. */
	sound: 'no' | 'pro-only' | 'yes';
	tail: (Where & { silentOnly?: boolean }) | null;
	camera: (Where & { types: readonly string[] }) | null;
	masks: Where | null;
	voices: boolean;
}

const D = ['5', '10'] as const;
const PRO_ANY: Where = { modes: ['pro'], durations: D };

export const I2V_MODEL_SUPPORT: Readonly<Record<string, I2VModelSupport>> = {
	'kling-v1': {
		cfgScale: true,
		modes: ['std', 'pro'],
		durations: D,
		sound: 'no',
		tail: { modes: ['std'], durations: ['5'] },
		camera: { modes: ['std'], durations: ['5'], types: CAMERA_TYPES },
		masks: { modes: ['std', 'pro'], durations: ['5'] },
		voices: false,
	},
	'kling-v1-5': {
		cfgScale: true,
		modes: ['std', 'pro'],
		durations: D,
		sound: 'no',
		tail: PRO_ANY,
		camera: { modes: ['pro'], durations: ['5'], types: ['simple'] },
		masks: { modes: ['pro'], durations: ['5'] },
		voices: false,
	},
	'kling-v1-6': { cfgScale: true, modes: ['std', 'pro'], durations: D, sound: 'no', tail: PRO_ANY, camera: null, masks: null, voices: false },
	'kling-v2-master': { cfgScale: false, modes: [], durations: D, sound: 'no', tail: null, camera: null, masks: null, voices: false },
	'kling-v2-1': { cfgScale: false, modes: ['std', 'pro'], durations: D, sound: 'no', tail: PRO_ANY, camera: null, masks: null, voices: false },
	'kling-v2-1-master': { cfgScale: false, modes: [], durations: D, sound: 'no', tail: null, camera: null, masks: null, voices: false },
	'kling-v2-5-turbo': { cfgScale: false, modes: ['std', 'pro'], durations: D, sound: 'no', tail: PRO_ANY, camera: null, masks: null, voices: false },
	'kling-v2-6': {
		cfgScale: false,
		modes: ['std', 'pro'],
		durations: D,
		sound: 'pro-only',
		tail: { ...PRO_ANY, silentOnly: true },
		camera: null,
		masks: null,
		voices: true,
	},
};

/** Models added through `knownModels` that are not in the table: types and ranges only, durations 3–15. */
const ANY_DURATION = Array.from({ length: 13 }, (_, i) => String(i + 3));
const EVERYWHERE: Where = { modes: ['std', 'pro'], durations: ANY_DURATION };
export const NEW_I2V_MODEL_SUPPORT: I2VModelSupport = {
	cfgScale: true,
	modes: ['std', 'pro'],
	durations: ANY_DURATION,
	sound: 'yes',
	tail: EVERYWHERE,
	camera: { ...EVERYWHERE, types: CAMERA_TYPES },
	masks: EVERYWHERE,
	voices: true,
};

export const I2V_DEFAULT_MODELS: readonly string[] = Object.keys(I2V_MODEL_SUPPORT);
export const IMAGE2VIDEO_PATH = '/v1/videos/image2video';
export const I2V_IMAGE_MAX_BYTES = 10 * 1024 * 1024;
export const I2V_MAX_BODY_BYTES = 160 * 1024 * 1024;

const CREATE_FIELDS = [
	'image',
	'image_tail',
	'prompt',
	'negative_prompt',
	'voice_list',
	'sound',
	'cfg_scale',
	'mode',
	'static_mask',
	'dynamic_masks',
	'camera_control',
	'duration',
	'callback_url',
	'external_task_id',
];
const MAX_PROMPT_CHARS = 2500;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

const works = (where: Where | null, mode: string, duration: string) => !!where && where.modes.includes(mode) && where.durations.includes(duration);

/**
 * An image field: a URL (taken as it is), or base64 without prefix whose bytes are a JPG or PNG within
 * the limits. Returns the image's facts when it was base64.
 */
function checkImageField(field: string, value: unknown, frame: boolean): ImageFacts | undefined {
	if (typeof value !== 'string' || value === '') throw invalidValue(`"${field}" must be a non-empty string (an image URL or base64)`);
	if (/^https?:\/\/\S+$/i.test(value)) return undefined;
	if (/^data:/i.test(value)) throw invalidValue(`"${field}": base64 must not carry a prefix such as "data:image/png;base64,"`);
	if (!BASE64.test(value) || value.length % 4 !== 0) throw invalidValue(`"${field}" is neither an http(s) URL nor valid base64`);
	const bytes = Buffer.from(value, 'base64');
	if (bytes.length > I2V_IMAGE_MAX_BYTES) throw invalidValue(`"${field}": the image is larger than 10MB`);
	const facts = readImageFacts(bytes);
	if (!facts) throw invalidValue(`"${field}": the image format is not supported (jpg, jpeg, png)`);
	if (frame) {
		if (facts.width < 300 || facts.height < 300) throw invalidValue(`"${field}": the image must be at least 300px wide and high (got ${facts.width}x${facts.height})`);
		const ratio = facts.width / facts.height;
		if (ratio > 2.5 || ratio < 0.4) throw invalidValue(`"${field}": the aspect ratio must be between 1:2.5 and 2.5:1 (got ${facts.width}x${facts.height})`);
	}
	return facts;
}

function checkMaskAspect(field: string, mask: ImageFacts | undefined, image: ImageFacts | undefined) {
	if (!mask || !image) return;
	const a = mask.width / mask.height;
	const b = image.width / image.height;
	if (Math.abs(a - b) > 0.01 * b) throw invalidValue(`"${field}": the mask's aspect ratio must match the image's (${mask.width}x${mask.height} vs ${image.width}x${image.height})`);
}

function checkDynamicMasks(value: unknown, image: ImageFacts | undefined): void {
	if (!Array.isArray(value) || value.length === 0) throw invalidValue('"dynamic_masks" must be a non-empty array');
	if (value.length > 6) throw invalidValue('"dynamic_masks": at most 6 groups');
	value.forEach((entry, i) => {
		const at = `dynamic_masks[${i}]`;
		if (!isPlainObject(entry)) throw invalidValue(`"${at}" must be an object`);
		for (const key of Object.keys(entry)) if (key !== 'mask' && key !== 'trajectories') throw invalidValue(`unknown field "${at}.${key}"`);
		checkMaskAspect(`${at}.mask`, checkImageField(`${at}.mask`, entry.mask, false), image);
		const points = entry.trajectories;
		if (!Array.isArray(points) || points.length < 2 || points.length > 77) throw invalidValue(`"${at}.trajectories" must hold 2 to 77 points`);
		points.forEach((point, j) => {
			if (!isPlainObject(point) || Object.keys(point).some((k) => k !== 'x' && k !== 'y')) throw invalidValue(`"${at}.trajectories[${j}]" must be {x, y}`);
			if (!Number.isInteger(point.x) || !Number.isInteger(point.y)) throw invalidValue(`"${at}.trajectories[${j}]": x and y must be integers`);
		});
	});
}

/** Checks every field against the reference; returns the model that will run. */
export function validateImage2VideoBody(body: Record<string, unknown>, config: StandInConfig): string {
	const allowed = new Set([...CREATE_FIELDS, ...modelFields(config)]);
	for (const key of Object.keys(body)) {
		if (!allowed.has(key)) throw new ApiError(400, 1200, `Invalid request parameters: unknown field "${key}"`);
	}
	const model = resolveModel(body, config, I2V_DEFAULT_MODELS);
	if (config.retiredModels.has(model)) throw invalidValue(`The model '${model}' has been discontinued`);
	const support = I2V_MODEL_SUPPORT[model] ?? NEW_I2V_MODEL_SUPPORT;

	if (body.image === undefined) throw invalidValue('"image" is required');
	const image = checkImageField('image', body.image, true);
	if (body.image_tail !== undefined) checkImageField('image_tail', body.image_tail, true);

	for (const field of ['prompt', 'negative_prompt'] as const) {
		const text = body[field];
		if (text === undefined) continue;
		if (typeof text !== 'string') throw invalidValue(`"${field}" must be a string`);
		if (Array.from(text).length > MAX_PROMPT_CHARS) throw invalidValue(`"${field}" is longer than ${MAX_PROMPT_CHARS} characters`);
	}

	if (body.mode !== undefined) {
		if (body.mode !== 'std' && body.mode !== 'pro') throw invalidValue('"mode" must be "std" or "pro"');
		if (!support.modes.includes(body.mode)) throw invalidValue(`"mode" is not supported by ${model}`);
	}
	const mode = (body.mode as string | undefined) ?? 'std';
	if (body.duration !== undefined) {
		if (typeof body.duration !== 'string') throw invalidValue('"duration" must be a string such as "5" or "10"');
		if (!support.durations.includes(body.duration)) throw invalidValue(`"duration" must be one of ${support.durations.map((d) => `"${d}"`).join(', ')} for ${model}`);
	}
	const duration = (body.duration as string | undefined) ?? '5';

	if (body.cfg_scale !== undefined) {
		const cfg = body.cfg_scale;
		// The proxy dialect takes 0–100, as on text2video.
		const cfgMax = config.dialect === 'proxy' ? 100 : 1;
		if (typeof cfg !== 'number' || !Number.isFinite(cfg) || cfg < 0 || cfg > cfgMax) throw invalidValue(`"cfg_scale" must be a number between 0 and ${cfgMax}`);
		if (!support.cfgScale) throw invalidValue(`cfg_scale is not supported by ${model}`);
	}
	if (body.sound !== undefined) {
		if (body.sound !== 'on' && body.sound !== 'off') throw invalidValue('"sound" must be "on" or "off"');
		if (support.sound === 'no') throw invalidValue(`sound is not supported by ${model}`);
		if (support.sound === 'pro-only' && mode !== 'pro') throw invalidValue(`sound is supported by ${model} in mode "pro" only`);
	}
	if (body.voice_list !== undefined) {
		if (!support.voices) throw invalidValue(`voice_list is not supported by ${model}`);
		if (!Array.isArray(body.voice_list) || body.voice_list.length > 2 || !body.voice_list.every((v) => isPlainObject(v) && typeof v.voice_id === 'string')) {
			throw invalidValue('"voice_list" must be at most 2 objects {voice_id}');
		}
	}

	if (body.image_tail !== undefined) {
		if (!works(support.tail, mode, duration)) throw invalidValue(`image_tail is not supported by ${model} with mode "${mode}" and duration "${duration}"`);
		if (support.tail?.silentOnly && body.sound === 'on') throw invalidValue(`image_tail is supported by ${model} for silent videos only (sound "off")`);
	}
	const masks = body.static_mask !== undefined || body.dynamic_masks !== undefined;
	if (masks && !works(support.masks, mode, duration)) throw invalidValue(`static_mask/dynamic_masks are not supported by ${model} with mode "${mode}" and duration "${duration}"`);
	if (body.static_mask !== undefined) checkMaskAspect('static_mask', checkImageField('static_mask', body.static_mask, false), image);
	if (body.dynamic_masks !== undefined) checkDynamicMasks(body.dynamic_masks, image);
	if (body.camera_control !== undefined) {
		if (!works(support.camera, mode, duration)) throw invalidValue(`camera_control is not supported by ${model} with mode "${mode}" and duration "${duration}"`);
		checkCameraShape(body.camera_control);
		const type = (body.camera_control as { type: string }).type;
		if (!support.camera!.types.includes(type)) throw invalidValue(`camera_control type "${type}" is not supported by ${model}`);
	}
	const used = [body.image_tail !== undefined, masks, body.camera_control !== undefined].filter(Boolean).length;
	if (used > 1) throw invalidValue('image+image_tail, dynamic_masks/static_mask and camera_control cannot be used at the same time');

	if (body.callback_url !== undefined && (typeof body.callback_url !== 'string' || !/^https?:\/\/\S+$/i.test(body.callback_url))) {
		throw invalidValue('"callback_url" must be an http:// or https:// URL');
	}
	if (body.external_task_id !== undefined && (typeof body.external_task_id !== 'string' || body.external_task_id === '')) {
		throw invalidValue('"external_task_id" must be a non-empty string');
	}
	return model;
}

export const image2video: ResourceModule = {
	name: 'image2video',
	path: IMAGE2VIDEO_PATH,
	defaultModels: I2V_DEFAULT_MODELS,
	maxBodyBytes: I2V_MAX_BODY_BYTES,
	validateCreate: validateImage2VideoBody,
};
