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
export { CAMERA_TYPES, type CameraType } from '../../models/shared';

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
