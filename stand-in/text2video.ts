/**
 * The text-to-video resource: `POST /v1/videos/text2video` (Create), `GET /v1/videos/text2video` (List),
 * `GET /v1/videos/text2video/{id}` (Get). Its Create rules follow Kling's official text-to-video reference:
 * the accepted fields, their types and ranges, and what each model supports (cfg_scale not on V2 models,
 * sound on kling-v2-6 in pro mode only, camera control on kling-v1 std 5 s only, durations '5' and '10'),
 * and Kling's 2026 changes: kling-v3 (3–15 s, modes std/pro/4k, sound in every mode, multi-shot with
 * multi_shot / shot_type / multi_prompt), retired models, and a proxy dialect (cfg_scale 0–100, image_tail).
 * Models added through `knownModels` that are not in the table get only type and range checks.
 *
 * The image-to-video module (image2video.ts) sits beside this file as another ResourceModule.
 */
import { type ResourceModule, modelFields, resolveModel } from './resource';
import { ApiError, invalidValue, isPlainObject } from './respond';
import type { StandInConfig } from './state';

export interface ModelSupport {
	cfgScale: boolean;
	modes: readonly string[];
	/** 'pro-only': `sound` allowed in mode 'pro' only; 'yes': always; 'no': never. */
	sound: 'no' | 'pro-only' | 'yes';
	/** 'v1-std-5s': only with mode std and duration '5'. */
	cameraControl: 'no' | 'v1-std-5s' | 'yes';
	durations: readonly string[];
	/** multi_shot, shot_type and multi_prompt accepted. */
	multiShot?: boolean;
}

const STANDARD_DURATIONS = ['5', '10'] as const;

export const MODEL_SUPPORT: Readonly<Record<string, ModelSupport>> = {
	'kling-v1': { cfgScale: true, modes: ['std', 'pro'], sound: 'no', cameraControl: 'v1-std-5s', durations: STANDARD_DURATIONS },
	'kling-v1-6': { cfgScale: true, modes: ['std', 'pro'], sound: 'no', cameraControl: 'no', durations: STANDARD_DURATIONS },
	'kling-v2-master': { cfgScale: false, modes: [], sound: 'no', cameraControl: 'no', durations: STANDARD_DURATIONS },
	'kling-v2-1-master': { cfgScale: false, modes: [], sound: 'no', cameraControl: 'no', durations: STANDARD_DURATIONS },
	'kling-v2-5-turbo': { cfgScale: false, modes: ['std', 'pro'], sound: 'no', cameraControl: 'no', durations: STANDARD_DURATIONS },
	'kling-v2-6': { cfgScale: false, modes: ['std', 'pro'], sound: 'pro-only', cameraControl: 'no', durations: STANDARD_DURATIONS },
	'kling-v3': { cfgScale: false, modes: ['std', 'pro', '4k'], sound: 'yes', cameraControl: 'no', durations: Array.from({ length: 13 }, (_, i) => String(i + 3)), multiShot: true },
};

/**
 * Support assumed for models added through `knownModels` that are not in MODEL_SUPPORT (newer models):
 * only types and ranges are checked, and durations '3'..'15' are accepted (as kling-v3 does).
 */
export const NEW_MODEL_SUPPORT: ModelSupport = {
	cfgScale: true,
	modes: ['std', 'pro', '4k'],
	sound: 'yes',
	cameraControl: 'yes',
	durations: Array.from({ length: 13 }, (_, i) => String(i + 3)),
	multiShot: true,
};

export const DEFAULT_MODELS: readonly string[] = Object.keys(MODEL_SUPPORT);

export const TEXT2VIDEO_PATH = '/v1/videos/text2video';

const CREATE_FIELDS = [
	'prompt',
	'negative_prompt',
	'sound',
	'cfg_scale',
	'mode',
	'camera_control',
	'aspect_ratio',
	'duration',
	'callback_url',
	'external_task_id',
	'multi_shot',
	'shot_type',
	'multi_prompt',
];
const MAX_SHOT_PROMPT_CHARS = 512;
export const CAMERA_TYPES = ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'];
const CAMERA_AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'];
const ASPECT_RATIOS = ['16:9', '9:16', '1:1'];
const MAX_PROMPT_CHARS = 2500;

/** Checks every field against the official reference; returns the model that will run. */
export function validateText2VideoBody(body: Record<string, unknown>, config: StandInConfig): string {
	const allowed = new Set([...CREATE_FIELDS, ...modelFields(config), ...(config.dialect === 'proxy' ? ['image_tail'] : [])]);
	for (const key of Object.keys(body)) {
		if (!allowed.has(key)) throw new ApiError(400, 1200, `Invalid request parameters: unknown field "${key}"`);
	}

	const model = resolveModel(body, config);
	if (config.retiredModels.has(model)) throw invalidValue(`The model '${model}' has been discontinued`);
	const support = MODEL_SUPPORT[model] ?? NEW_MODEL_SUPPORT;

	const { prompt, negative_prompt: negativePrompt } = body;
	if (prompt === undefined) throw invalidValue('"prompt" is required');
	if (typeof prompt !== 'string' || prompt.trim() === '') throw invalidValue('"prompt" must be a non-empty string');
	if (Array.from(prompt).length > MAX_PROMPT_CHARS) throw invalidValue(`"prompt" is longer than ${MAX_PROMPT_CHARS} characters`);
	if (negativePrompt !== undefined) {
		if (typeof negativePrompt !== 'string') throw invalidValue('"negative_prompt" must be a string');
		if (Array.from(negativePrompt).length > MAX_PROMPT_CHARS) {
			throw invalidValue(`"negative_prompt" is longer than ${MAX_PROMPT_CHARS} characters`);
		}
	}

	if (body.mode !== undefined) {
		if (body.mode !== 'std' && body.mode !== 'pro' && body.mode !== '4k') throw invalidValue('"mode" must be "std", "pro" or "4k"');
		if (!support.modes.includes(body.mode)) throw invalidValue(`"mode" is not supported by ${model}`);
	}
	const mode = (body.mode as string | undefined) ?? 'std';

	if (body.cfg_scale !== undefined) {
		const cfg = body.cfg_scale;
		const cfgMax = config.dialect === 'proxy' ? 100 : 1;
		if (typeof cfg !== 'number' || !Number.isFinite(cfg) || cfg < 0 || cfg > cfgMax) {
			throw invalidValue(`"cfg_scale" must be a number between 0 and ${cfgMax}`);
		}
		if (!support.cfgScale) throw invalidValue(`cfg_scale is not supported by ${model}`);
	}

	if (body.sound !== undefined) {
		if (body.sound !== 'on' && body.sound !== 'off') throw invalidValue('"sound" must be "on" or "off"');
		if (support.sound === 'no') throw invalidValue(`sound is not supported by ${model}`);
		if (support.sound === 'pro-only' && mode !== 'pro') throw invalidValue(`sound is supported by ${model} in mode "pro" only`);
	}

	if (body.duration !== undefined) {
		if (typeof body.duration !== 'string') throw invalidValue('"duration" must be a string such as "5" or "10"');
		if (!support.durations.includes(body.duration)) {
			throw invalidValue(`"duration" must be one of ${support.durations.map((d) => `"${d}"`).join(', ')} for ${model}`);
		}
	}
	const duration = (body.duration as string | undefined) ?? '5';

	if (body.aspect_ratio !== undefined && !ASPECT_RATIOS.includes(body.aspect_ratio as string)) {
		throw invalidValue(`"aspect_ratio" must be one of ${ASPECT_RATIOS.join(', ')}`);
	}

	if (body.camera_control !== undefined) validateCameraControl(body.camera_control, model, support, mode, duration);
	if (body.multi_shot !== undefined || body.shot_type !== undefined || body.multi_prompt !== undefined) validateMultiShot(body, model, support, duration);
	if (body.image_tail !== undefined && (typeof body.image_tail !== 'string' || body.image_tail === '' || /^data:/i.test(body.image_tail))) {
		throw invalidValue('"image_tail" must be an image URL or raw base64 (no data: prefix)');
	}

	if (body.callback_url !== undefined) {
		if (typeof body.callback_url !== 'string' || !/^https?:\/\/\S+$/i.test(body.callback_url)) {
			throw invalidValue('"callback_url" must be an http:// or https:// URL');
		}
	}

	if (body.external_task_id !== undefined) {
		if (typeof body.external_task_id !== 'string' || body.external_task_id === '') {
			throw invalidValue('"external_task_id" must be a non-empty string');
		}
	}
	return model;
}

function validateCameraControl(value: unknown, model: string, support: ModelSupport, mode: string, duration: string): void {
	if (support.cameraControl === 'no') throw invalidValue(`camera_control is not supported by ${model}`);
	if (support.cameraControl === 'v1-std-5s' && (mode !== 'std' || duration !== '5')) {
		throw invalidValue(`camera_control is supported by ${model} only with mode "std" and duration "5"`);
	}
	checkCameraShape(value);
}

/** The shape of camera_control, as the reference describes it (shared with image2video). */
export function checkCameraShape(value: unknown): void {
	if (!isPlainObject(value)) throw invalidValue('"camera_control" must be an object');
	for (const key of Object.keys(value)) {
		if (key !== 'type' && key !== 'config') throw invalidValue(`unknown field "camera_control.${key}"`);
	}
	const type = value.type;
	if (typeof type !== 'string' || !CAMERA_TYPES.includes(type)) {
		throw invalidValue(`"camera_control.type" must be one of ${CAMERA_TYPES.join(', ')}`);
	}
	let nonZero = 0;
	if (value.config !== undefined) {
		if (!isPlainObject(value.config)) throw invalidValue('"camera_control.config" must be an object');
		for (const [axis, amount] of Object.entries(value.config)) {
			if (!CAMERA_AXES.includes(axis)) throw invalidValue(`unknown field "camera_control.config.${axis}"`);
			if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < -10 || amount > 10) {
				throw invalidValue(`"camera_control.config.${axis}" must be a number between -10 and 10`);
			}
			if (amount !== 0) nonZero++;
		}
	}
	if (type === 'simple') {
		if (value.config === undefined) throw invalidValue('camera_control type "simple" requires "config"');
		if (nonZero !== 1) {
			throw invalidValue(`camera_control type "simple" needs exactly one non-zero config value (got ${nonZero})`);
		}
	} else if (nonZero !== 0) {
		throw invalidValue(`camera_control type "${type}" is a preset and takes no config`);
	}
}

function validateMultiShot(body: Record<string, unknown>, model: string, support: ModelSupport, duration: string): void {
	if (!support.multiShot) throw invalidValue(`multi_shot is not supported by ${model}`);
	if (body.multi_shot !== true) throw invalidValue('"multi_shot" must be true when shot_type or multi_prompt is sent');
	if (body.shot_type !== 'customize' && body.shot_type !== 'intelligence') throw invalidValue('"shot_type" must be "customize" or "intelligence"');
	if (body.shot_type === 'intelligence') {
		if (body.multi_prompt !== undefined) throw invalidValue('"multi_prompt" is not taken with shot_type "intelligence"');
		return;
	}
	const shots = body.multi_prompt;
	if (!Array.isArray(shots) || shots.length < 1 || shots.length > 6) throw invalidValue('"multi_prompt" must hold 1 to 6 shots with shot_type "customize"');
	let total = 0;
	shots.forEach((shot, i) => {
		if (!isPlainObject(shot)) throw invalidValue(`"multi_prompt[${i}]" must be an object`);
		for (const key of Object.keys(shot)) if (!['index', 'prompt', 'duration'].includes(key)) throw invalidValue(`unknown field "multi_prompt[${i}].${key}"`);
		if (shot.index !== i + 1) throw invalidValue(`"multi_prompt[${i}].index" must be ${i + 1}`);
		if (typeof shot.prompt !== 'string' || shot.prompt.trim() === '') throw invalidValue(`"multi_prompt[${i}].prompt" must be a non-empty string`);
		if (Array.from(shot.prompt).length > MAX_SHOT_PROMPT_CHARS) throw invalidValue(`"multi_prompt[${i}].prompt" is longer than ${MAX_SHOT_PROMPT_CHARS} characters`);
		if (typeof shot.duration !== 'string' || !/^\d+$/.test(shot.duration) || Number(shot.duration) < 1) {
			throw invalidValue(`"multi_prompt[${i}].duration" must be a whole number of seconds as a string, e.g. "5"`);
		}
		total += Number(shot.duration);
	});
	if (String(total) !== duration) throw invalidValue(`the durations of "multi_prompt" add up to ${total}, not to "duration" ${duration}`);
}

export const text2video: ResourceModule = {
	name: 'text2video',
	path: TEXT2VIDEO_PATH,
	defaultModels: DEFAULT_MODELS,
	validateCreate: validateText2VideoBody,
};
