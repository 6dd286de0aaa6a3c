import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { klingModelFields } from '../../../../credentials/common/kling';
import { KlingInputError, readNumber } from '../../helpers/parameters';
import { DEFAULT_MODEL, findModel, KLING_MODELS } from '../../models/textToVideo';
import { listWhere } from '../../models/shared';
import {
	CAMERA_TYPES,
	CFG_SCALE_DEFAULT,
	checkCameraConfig,
	checkLength,
	modelOf as readModel,
	readText,
	visibleParameter,
} from '../common/body';

/**
 * One text-to-video item: its fields read into Kling's request body and checked against the model
 * table before anything is sent. n8n drops hidden fields from the node's parameters before a run, so
 * a field the model does not show is never read, never sent.
 */

export { CAMERA_AXES, CAMERA_TYPES, CFG_SCALE_DEFAULT, PROMPT_MAX_LENGTH } from '../common/body';
export const ASPECT_RATIOS = ['16:9', '9:16', '1:1'] as const;
const DURATIONS = ['5', '10'] as const;

const modelsWith = (test: (model: (typeof KLING_MODELS)[number]) => boolean) => listWhere(KLING_MODELS, test);

/** The fields n8n shows for the item, as Kling names them (hidden fields are absent). */
function fieldsOf(ctx: IExecuteFunctions, itemIndex: number): IDataObject {
	// A hidden field is absent from the parameters: the null fallback marks it (undefined would throw).
	const param = (name: string) => visibleParameter(ctx, name, itemIndex);
	const body: IDataObject = {
		prompt: readText(param('prompt'), 'prompt') as string,
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
	body.negative_prompt = readText(options.negativePrompt, 'negative prompt');
	for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
	return body;
}

/** The checked request body of one text-to-video item. Throws KlingInputError; nothing is sent when it does. */
export function textToVideoBody(ctx: IExecuteFunctions, itemIndex: number, credentials: ICredentialDataDecryptedObject): IDataObject {
	return checkBody(fieldsOf(ctx, itemIndex), readModel(ctx, itemIndex, DEFAULT_MODEL), klingModelFields(credentials));
}

/**
 * Checks a body against the model table and returns the body to send. A field the model does not
 * support is dropped while it still holds its default (it is only visible because the model came
 * from an expression or is a custom ID) and is an error when the user set it.
 */
function checkBody(input: IDataObject, model: string, modelFields: string[]): IDataObject {
	const body: IDataObject = { ...input };
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
		const cfg = readNumber(body.cfg_scale, 'CFG Scale', { min: 0, max: 1 });
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

	for (const field of modelFields) body[field] = model;
	return body;
}
