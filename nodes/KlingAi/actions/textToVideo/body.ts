import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { klingCfgScaleMax, klingModelFields, klingTextToVideoTailFrame } from '../../../../credentials/common/kling';
import { readImage } from '../../helpers/images';
import { KlingInputError, readNumber, shown } from '../../helpers/parameters';
import { DEFAULT_MODEL, findModel, KLING_MODELS, type KlingMode } from '../../models/textToVideo';
import { listWhere } from '../../models/shared';
import {
	cameraControlBody,
	characterCount,
	checkCfgScale,
	checkLength,
	checkSound,
	modelOf as readModel,
	readText,
	requestedCameraType,
	visibleParameter,
} from '../common/body';

/**
 * One text-to-video item: its fields read into Kling's request body and checked against the model
 * table before anything is sent. n8n drops hidden fields from the node's parameters before a run, so
 * a field the model does not show is never read, never sent.
 */

export { CAMERA_AXES, CAMERA_TYPES, CFG_SCALE_DEFAULT, PROMPT_MAX_LENGTH } from '../common/body';
export const ASPECT_RATIOS = ['16:9', '9:16', '1:1'] as const;
export const MODES: readonly KlingMode[] = ['std', 'pro', '4k'];
export const SHOT_PROMPT_MAX_LENGTH = 512;
export const MAX_SHOTS = 6;
const MODE_NAMES: Record<KlingMode, string> = { std: 'Standard', pro: 'Professional', '4k': '4K' };

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
	const multiShot = param('multiShot');
	if (multiShot === true || multiShot === 'true') {
		body.multi_shot = true;
		const shotType = (param('shotType') as string | undefined) ?? 'customize';
		body.shot_type = shotType;
		if (shotType === 'customize') {
			const shots = ((param('shots') ?? {}) as { shot?: IDataObject[] }).shot ?? [];
			body.multi_prompt = shots.map((shot, index) => ({ index: index + 1, prompt: shot.prompt, duration: shot.duration }));
		}
	}
	const options = (param('options') ?? {}) as IDataObject;
	body.negative_prompt = readText(options.negativePrompt, 'negative prompt');
	for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
	return body;
}

/** The checked request body of one text-to-video item. Throws KlingInputError; nothing is sent when it does. */
export async function textToVideoBody(ctx: IExecuteFunctions, itemIndex: number, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
	const body = checkBody(fieldsOf(ctx, itemIndex), readModel(ctx, itemIndex, DEFAULT_MODEL), klingModelFields(credentials), klingCfgScaleMax(credentials));
	const tail = await tailFrame(ctx, itemIndex, credentials);
	if (tail !== undefined) body.image_tail = tail;
	return body;
}

/**
 * The proxy dialect's tail frame on text-to-video (image_tail): a URL, a binary property of the item,
 * or base64 data, told apart in that order. The official API has no tail frame on text-to-video.
 */
async function tailFrame(ctx: IExecuteFunctions, itemIndex: number, credentials: ICredentialDataDecryptedObject): Promise<string | undefined> {
	const options = (visibleParameter(ctx, 'options', itemIndex) ?? {}) as IDataObject;
	const raw = readText(options.tailFrameImage, 'tail frame image');
	const value = raw?.trim() ?? '';
	if (value === '') return undefined;
	if (!klingTextToVideoTailFrame(credentials)) {
		throw new KlingInputError(
			'The official Kling API has no tail frame on text-to-video',
			'Remove Tail Frame Image, or use the Image to Video resource, which takes a first and a last frame. (Some proxies take image_tail here: their credential uses a Custom URL.)',
		);
	}
	const binary = ctx.getInputData()[itemIndex]?.binary ?? {};
	const type = /^https?:\/\//i.test(value) ? 'url' : Object.prototype.hasOwnProperty.call(binary, value) ? 'binary' : 'base64';
	return (await readImage(ctx, itemIndex, { type, value }, 'tail frame image', { frame: true })).value;
}

/**
 * Checks a body against the model table and returns the body to send. A field the model does not
 * support is dropped while it still holds its default (it is only visible because the model came
 * from an expression or is a custom ID) and is an error when the user set it.
 */
function checkBody(input: IDataObject, model: string, modelFields: string[], cfgScaleMax: number): IDataObject {
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
	const durations = known?.durations ?? Array.from({ length: 13 }, (_, i) => String(i + 3));
	if (body.duration !== undefined && !durations.includes(body.duration as string)) {
		const range = durations.length > 2 ? `${durations[0]} to ${durations[durations.length - 1]}` : durations.join(' or ');
		throw new KlingInputError(
			`The duration is "${body.duration}"; ${known ? model : 'Kling'} makes videos of ${range} seconds`,
			`Set Duration to ${range}${known && !known.multiShot ? `, or choose ${modelsWith((m) => m.durations.length > 2)} for 3–15 s` : ''}.`,
		);
	}
	if (body.aspect_ratio !== undefined && !(ASPECT_RATIOS as readonly string[]).includes(body.aspect_ratio as string)) {
		throw new KlingInputError(
			`The aspect ratio is "${body.aspect_ratio}"`,
			`Use one of ${ASPECT_RATIOS.join(', ')}.`,
		);
	}

	if (body.mode !== undefined) {
		if (!(MODES as readonly unknown[]).includes(body.mode)) {
			throw new KlingInputError(`The mode is "${body.mode}"`, 'Use std (Standard), pro (Professional) or 4k (4K, Kling 3.0).');
		}
		if (known && known.modes.length === 0) {
			if (body.mode !== 'std') {
				throw new KlingInputError(
					`${model} has no modes, but Mode is set to ${MODE_NAMES[body.mode as KlingMode]}`,
					`Remove the mode, or choose a model with modes: ${modelsWith((m) => m.modes.length > 0)}.`,
				);
			}
			delete body.mode;
		} else if (known && !known.modes.includes(body.mode as KlingMode)) {
			throw new KlingInputError(
				`${model} has no ${MODE_NAMES[body.mode as KlingMode]} mode`,
				`Use ${known.modes.map((m) => MODE_NAMES[m]).join(' or ')}, or choose ${modelsWith((m) => m.modes.includes(body.mode as KlingMode))}.`,
			);
		}
	}
	const mode = (body.mode as string | undefined) ?? 'std';

	// The official API takes 0–1; some proxies 0–100 (their credential says which).
	checkCfgScale(body, model, known, cfgScaleMax, modelsWith((m) => m.cfgScale));
	checkSound(body, model, known, mode, modelsWith((m) => m.soundModes.length > 0));

	const cameraType = requestedCameraType(body);
	if (cameraType !== undefined) {
		const duration = String(body.duration ?? '5');
		const support = known ? known.cameraControl : { modes: [mode], durations: [duration] };
		if (!support || !support.modes.includes(mode as KlingMode) || !support.durations.includes(duration)) {
			throw new KlingInputError(
				`Camera control does not work with ${model} in ${mode} mode at ${duration} s`,
				`Set Camera Control to None, or use ${modelsWith((m) => m.cameraControl !== null)} in Standard mode with a 5 s duration.`,
			);
		}
		body.camera_control = cameraControlBody(body, cameraType);
	}

	if (body.multi_shot !== undefined) checkMultiShot(body, model, known !== undefined && !known.multiShot);

	for (const field of modelFields) body[field] = model;
	return body;
}

/**
 * Multi-shot (Kling 3.0): Kling splits the prompt itself (intelligence), or takes 1 to 6 shots of the
 * user's (customize), each with a prompt of at most 512 characters and a whole number of seconds,
 * together as long as the video. Sent as Kling names it: multi_shot, shot_type, multi_prompt.
 */
function checkMultiShot(body: IDataObject, model: string, unsupported: boolean) {
	if (unsupported) {
		throw new KlingInputError(
			`${model} cannot make multi-shot videos, but Multi-Shot is on`,
			`Turn Multi-Shot off, or choose ${modelsWith((m) => m.multiShot)}.`,
		);
	}
	if (body.shot_type !== 'customize' && body.shot_type !== 'intelligence') {
		throw new KlingInputError(`The shot type is ${shown(body.shot_type)}`, 'Use Custom (your shots) or Intelligent (Kling splits the prompt).');
	}
	if (body.shot_type === 'intelligence') return;
	const shots = (body.multi_prompt ?? []) as IDataObject[];
	if (shots.length < 1 || shots.length > MAX_SHOTS) {
		throw new KlingInputError(
			`Multi-shot with Custom shots needs 1 to ${MAX_SHOTS} shots, and ${shots.length} are set`,
			`Add between 1 and ${MAX_SHOTS} shots under Shots, or set Shot Type to Intelligent.`,
		);
	}
	let total = 0;
	for (const shot of shots) {
		const label = `shot ${shot.index}`;
		const prompt = readText(shot.prompt, `prompt of ${label}`);
		if (prompt === undefined || prompt.trim() === '') {
			throw new KlingInputError(`The prompt of ${label} is empty`, `Describe what ${label} shows.`);
		}
		const length = characterCount(prompt);
		if (length > SHOT_PROMPT_MAX_LENGTH) {
			throw new KlingInputError(
				`The prompt of ${label} is ${length} characters long; Kling takes at most ${SHOT_PROMPT_MAX_LENGTH} per shot`,
				`Shorten it by ${length - SHOT_PROMPT_MAX_LENGTH} characters.`,
			);
		}
		const seconds = readNumber(shot.duration, `Duration of ${label}`, { min: 1, max: 15, integer: true, unit: 'seconds' });
		total += seconds;
		shot.prompt = prompt;
		shot.duration = String(seconds);
	}
	const duration = Number(body.duration ?? '5');
	if (total !== duration) {
		throw new KlingInputError(
			`The shots last ${total} s together, but the video is ${duration} s`,
			`Make the shots' durations add up to the Duration (${duration} s), or change the Duration to ${total} s.`,
		);
	}
}
