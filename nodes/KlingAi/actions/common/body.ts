import type { IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { KlingInputError, readNumber, shown } from '../../helpers/parameters';
import { CUSTOM_MODEL } from '../../models/shared';

/**
 * What every resource's body.ts shares: reading text and the model, the prompt length rule, the
 * camera movement rule. Each resource's body.ts adds its own fields and its model table's rules.
 */

export const PROMPT_MAX_LENGTH = 2500;
export const CFG_SCALE_DEFAULT = 0.5;
export const CAMERA_AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'] as const;
import { CAMERA_TYPES, type CameraType } from '../../models/shared';
export { CAMERA_TYPES, type CameraType };

/** Characters as Kling counts them: Unicode code points (an emoji is one, not two UTF-16 units). */
export const characterCount = (text: string) => Array.from(text).length;

export function checkLength(value: unknown, label: string) {
	if (typeof value !== 'string') return;
	const length = characterCount(value);
	if (length > PROMPT_MAX_LENGTH) {
		throw new KlingInputError(
			`The ${label} is ${length} characters long; Kling takes at most ${PROMPT_MAX_LENGTH}`,
			`Shorten the ${label} by ${length - PROMPT_MAX_LENGTH} characters.`,
		);
	}
}

/** Text from a text field: numbers are taken as their digits; anything else that is not text is refused. */
export function readText(value: unknown, label: string): string | undefined {
	if (value === undefined || value === null) return undefined;
	if (typeof value === 'string') return value;
	if (typeof value === 'number' && Number.isFinite(value)) return String(value);
	throw new KlingInputError(
		`The ${label} is ${shown(value)}, not text`,
		`Map a text value into ${label}, e.g. {{ $json.text }} rather than {{ $json }}.`,
	);
}

/** A simple camera movement: every axis in −10…10, exactly one of them not 0. */
export function checkCameraConfig(config: IDataObject | undefined): IDataObject {
	const full: IDataObject = {};
	const nonZero: string[] = [];
	for (const axis of CAMERA_AXES) {
		const value = readNumber(config?.[axis] ?? 0, `Camera movement ${axis}`, { min: -10, max: 10 });
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

/** The item's model ID: the chosen row, or the typed Custom Model ID. */
export function modelOf(ctx: IExecuteFunctions, itemIndex: number, defaultModel: string): string {
	const selected = ctx.getNodeParameter('model', itemIndex, defaultModel) as unknown;
	const id = selected === CUSTOM_MODEL ? ctx.getNodeParameter('customModel', itemIndex, '') : selected;
	if (typeof id !== 'string' || id.trim() === '') {
		throw new KlingInputError(
			`The model is ${shown(id)}`,
			'Choose a model, or type a model ID such as kling-v2-6. If the model comes from an expression, check that the input item has that field.',
		);
	}
	return id.trim();
}

/** A node parameter, or undefined when n8n does not show it (the null fallback marks it; undefined would throw). */
export function visibleParameter(ctx: IExecuteFunctions, name: string, itemIndex: number): unknown {
	return (ctx.getNodeParameter(name, itemIndex, null) as unknown) ?? undefined;
}

/**
 * CFG Scale against the model: checked to be a number in range (0–1 on the official API, 0–100 where the
 * credential says the proxy takes that), dropped while it holds its default for a model that does not
 * take it (visible only because the model came from an expression), an error when the user set it.
 * `known` is the model's row, undefined for a custom model (then it is sent unless it is the default).
 */
export function checkCfgScale(body: IDataObject, model: string, known: { cfgScale: boolean } | undefined, max: number, modelsWithCfg: string): void {
	if (body.cfg_scale === undefined) return;
	const cfg = readNumber(body.cfg_scale, 'CFG Scale', { min: 0, max });
	body.cfg_scale = cfg;
	if (known ? known.cfgScale : cfg !== CFG_SCALE_DEFAULT) return;
	if (known && cfg !== CFG_SCALE_DEFAULT) {
		throw new KlingInputError(
			`${model} does not support CFG Scale, but it is set to ${cfg}`,
			`Remove CFG Scale (V2 models ignore it), or choose a model that supports it: ${modelsWithCfg}.`,
		);
	}
	delete body.cfg_scale;
}

/**
 * Sound against the model: an error when it is on for a model without sound; sent as on/off only in the
 * modes where the model makes sound (a custom model: only when on). Returns whether sound is on and sent.
 */
export function checkSound(body: IDataObject, model: string, known: { soundModes: readonly string[] } | undefined, mode: string, modelsWithSound: string): boolean {
	if (body.sound === undefined) return false;
	const on = body.sound === 'on' || body.sound === true;
	if (known && known.soundModes.length === 0 && on) {
		throw new KlingInputError(`${model} cannot generate sound, but Sound is on`, `Turn Sound off, or choose a model with sound: ${modelsWithSound}.`);
	}
	const send = known ? known.soundModes.includes(mode) : on;
	if (send) body.sound = on ? 'on' : 'off';
	else delete body.sound;
	return send && on;
}

/**
 * The camera movement asked for in body.camera_control: undefined for None (camera_control is then
 * removed); a type Kling does not know is refused. The model's own rules are the resource's to check.
 */
export function requestedCameraType(body: IDataObject): CameraType | undefined {
	const camera = body.camera_control as IDataObject | undefined;
	const type = camera?.type;
	if (camera === undefined || type === undefined || type === 'none' || type === '') {
		delete body.camera_control;
		return undefined;
	}
	if (!(CAMERA_TYPES as readonly unknown[]).includes(type)) {
		throw new KlingInputError(`The camera movement type is ${shown(type)}`, `Use one of ${CAMERA_TYPES.join(', ')}.`);
	}
	return type as CameraType;
}

/** camera_control as sent: a preset by its type, or a simple movement with its checked config. */
export function cameraControlBody(body: IDataObject, type: CameraType): IDataObject {
	const config = (body.camera_control as IDataObject | undefined)?.config as IDataObject | undefined;
	return type === 'simple' ? { type, config: checkCameraConfig(config) } : { type };
}
