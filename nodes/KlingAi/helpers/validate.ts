import type { IDataObject } from 'n8n-workflow';

import { findModel, KLING_MODELS } from '../models';

export const PROMPT_MAX_LENGTH = 2500;
export const CFG_SCALE_DEFAULT = 0.5;
export const CAMERA_AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'] as const;
export const CAMERA_TYPES = ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'] as const;
export const ASPECT_RATIOS = ['16:9', '9:16', '1:1'] as const;
export const DURATIONS = ['5', '10'] as const;

/** Bad input found before anything is sent: what is wrong, and how to fix it. */
export class KlingInputError extends Error {
	constructor(
		message: string,
		readonly fix: string,
	) {
		super(message);
	}
}

const modelsWith = (test: (model: (typeof KLING_MODELS)[number]) => boolean) =>
	KLING_MODELS.filter(test)
		.map((model) => model.id)
		.join(', ');

function checkLength(value: unknown, label: string) {
	if (typeof value === 'string' && value.length > PROMPT_MAX_LENGTH) {
		throw new KlingInputError(
			`The ${label} is ${value.length} characters long; Kling takes at most ${PROMPT_MAX_LENGTH}`,
			`Shorten the ${label} by ${value.length - PROMPT_MAX_LENGTH} characters.`,
		);
	}
}

function checkCameraConfig(config: IDataObject | undefined): IDataObject {
	const full: IDataObject = {};
	const nonZero: string[] = [];
	for (const axis of CAMERA_AXES) {
		const raw = config?.[axis] ?? 0;
		const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
		if (typeof value !== 'number' || !Number.isFinite(value) || value < -10 || value > 10) {
			throw new KlingInputError(
				`Camera movement "${axis}" is ${JSON.stringify(raw)}; it must be a number from -10 to 10`,
				`Set ${axis} to a value between -10 and 10.`,
			);
		}
		full[axis] = value;
		if (value !== 0) nonZero.push(axis);
	}
	if (nonZero.length === 0) {
		throw new KlingInputError(
			'The simple camera movement has no non-zero axis',
			`Set exactly one of ${CAMERA_AXES.join(', ')} to a value other than 0, or pick a preset camera movement.`,
		);
	}
	if (nonZero.length > 1) {
		throw new KlingInputError(
			`The simple camera movement sets ${nonZero.length} axes (${nonZero.join(', ')}); Kling takes exactly one`,
			`Keep one of ${nonZero.join(', ')} and set the others to 0.`,
		);
	}
	return full;
}

/**
 * Checks a Create body (as n8n routed it from the visible fields) against the model table and
 * returns the body to send. A field the model does not support is dropped while it still holds its
 * default (it is only visible because the model came from an expression or is a custom ID) and is
 * an error when the user set it. Throws KlingInputError; nothing is sent when it does.
 */
export function prepareCreateBody(input: IDataObject, modelId: string, modelFields: string[]): IDataObject {
	const body: IDataObject = { ...input };
	const model = modelId.trim();
	if (!model) {
		throw new KlingInputError('The model is empty', 'Choose a model, or type a model ID such as kling-v2-6.');
	}
	const known = findModel(model);

	if (typeof body.prompt !== 'string' || body.prompt.trim() === '') {
		throw new KlingInputError(
			'The prompt is empty',
			'Describe the video in Prompt. If the prompt comes from an expression, check that the input item has that field.',
		);
	}
	checkLength(body.prompt, 'prompt');
	if (typeof body.negative_prompt === 'string' && body.negative_prompt.trim() === '') delete body.negative_prompt;
	checkLength(body.negative_prompt, 'negative prompt');

	if (body.duration !== undefined) body.duration = String(body.duration).trim();
	if (known && body.duration !== undefined && !(DURATIONS as readonly string[]).includes(body.duration as string)) {
		throw new KlingInputError(
			`The duration is "${body.duration}"; ${model} makes videos of 5 or 10 seconds`,
			'Set Duration to 5 or 10.',
		);
	}
	if (body.aspect_ratio !== undefined && !(ASPECT_RATIOS as readonly string[]).includes(body.aspect_ratio as string)) {
		throw new KlingInputError(
			`The aspect ratio is "${body.aspect_ratio}"`,
			`Use one of ${ASPECT_RATIOS.join(', ')}.`,
		);
	}

	if (body.mode !== undefined) {
		if (body.mode !== 'std' && body.mode !== 'pro') {
			throw new KlingInputError(`The mode is "${body.mode}"`, 'Use std (Standard) or pro (Professional).');
		}
		if (known && known.modes.length === 0) {
			if (body.mode === 'pro') {
				throw new KlingInputError(
					`${model} has no Standard/Professional mode, but Mode is set to pro`,
					`Remove the mode, or choose a model with modes: ${modelsWith((m) => m.modes.length > 0)}.`,
				);
			}
			delete body.mode;
		}
	}
	const mode = (body.mode as string | undefined) ?? 'std';

	if (body.cfg_scale !== undefined) {
		const cfg = typeof body.cfg_scale === 'string' ? Number(body.cfg_scale) : body.cfg_scale;
		if (typeof cfg !== 'number' || !Number.isFinite(cfg) || cfg < 0 || cfg > 1) {
			throw new KlingInputError(
				`CFG Scale is ${JSON.stringify(body.cfg_scale)}; it must be a number from 0 to 1`,
				'Set CFG Scale between 0 (more creative) and 1 (closer to the prompt).',
			);
		}
		body.cfg_scale = cfg;
		if (known ? !known.cfgScale : cfg === CFG_SCALE_DEFAULT) {
			if (known && cfg !== CFG_SCALE_DEFAULT) {
				throw new KlingInputError(
					`${model} does not support CFG Scale, but it is set to ${cfg}`,
					`Remove CFG Scale (V2 models ignore it), or choose a model that supports it: ${modelsWith((m) => m.cfgScale)}.`,
				);
			}
			delete body.cfg_scale;
		}
	}

	if (body.sound !== undefined) {
		const on = body.sound === 'on' || body.sound === true;
		if (known && known.soundModes.length === 0 && on) {
			throw new KlingInputError(
				`${model} cannot generate sound, but Sound is on`,
				`Turn Sound off, or choose a model with sound: ${modelsWith((m) => m.soundModes.length > 0)} (Pro mode).`,
			);
		}
		const sendSound = known ? known.soundModes.includes(mode as 'std' | 'pro') : on;
		if (sendSound) body.sound = on ? 'on' : 'off';
		else delete body.sound;
	}

	const camera = body.camera_control as IDataObject | undefined;
	if (camera !== undefined) {
		const type = camera.type;
		if (type === undefined || type === 'none' || type === '') {
			delete body.camera_control;
		} else {
			if (!(CAMERA_TYPES as readonly string[]).includes(type as string)) {
				throw new KlingInputError(`The camera movement type is "${type}"`, `Use one of ${CAMERA_TYPES.join(', ')}.`);
			}
			const support = known ? known.cameraControl : { modes: [mode], durations: [String(body.duration ?? '5')] };
			const duration = String(body.duration ?? '5');
			if (!support || !support.modes.includes(mode as 'std' | 'pro') || !support.durations.includes(duration)) {
				throw new KlingInputError(
					`Camera control does not work with ${model} in ${mode} mode at ${duration} s`,
					`Set Camera Control to None, or use ${modelsWith((m) => m.cameraControl !== null)} in Standard mode with a 5 s duration.`,
				);
			}
			body.camera_control =
				type === 'simple'
					? { type, config: checkCameraConfig(camera.config as IDataObject | undefined) }
					: { type };
		}
	}

	if (body.callback_url !== undefined) {
		const url = String(body.callback_url).trim();
		if (url === '') delete body.callback_url;
		else if (!/^https?:\/\/\S+$/i.test(url)) {
			throw new KlingInputError(
				`The callback URL "${url.slice(0, 100)}" is not an http(s) URL`,
				'Use a full URL such as https://example.com/webhook, or leave Callback URL empty.',
			);
		} else body.callback_url = url;
	}
	if (body.external_task_id !== undefined) {
		const id = String(body.external_task_id).trim();
		if (id === '') delete body.external_task_id;
		else body.external_task_id = id;
	}

	for (const field of modelFields) body[field] = model;
	return body;
}
