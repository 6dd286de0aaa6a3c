import type { ICredentialDataDecryptedObject, IDataObject, IExecuteFunctions } from 'n8n-workflow';

import { klingCfgScaleMax, klingModelFields } from '../../../../credentials/common/kling';
import { type ImageInfo, type ImageInputType, IMAGE_INPUT_TYPES, readImage } from '../../helpers/images';
import { KlingInputError, readNumber, shown } from '../../helpers/parameters';
import {
	DEFAULT_IMAGE_MODEL,
	findImageModel,
	IMAGE_TO_VIDEO_MODELS,
	type ImageToVideoModel,
	worksIn,
} from '../../models/imageToVideo';
import { listWhere } from '../../models/shared';
import { cameraControlBody, checkCfgScale, checkLength, checkSound, modelOf, readText, requestedCameraType, visibleParameter } from '../common/body';

/**
 * One image-to-video item: its fields read into Kling's request body (POST /v1/videos/image2video)
 * and checked against the model table (models/imageToVideo.ts) before anything is sent. Images are
 * read and checked by helpers/images.ts. n8n drops hidden fields from the node's parameters before a
 * run, so a field the model does not show is never read, never sent.
 */

export const DYNAMIC_MASKS_MAX = 6;
export const TRAJECTORY_MIN_POINTS = 2;
export const TRAJECTORY_MAX_POINTS = 77;

type Feature = 'tailFrame' | 'cameraControl' | 'motionBrush';
const FEATURE_LABELS: Record<Feature, string> = {
	tailFrame: 'a tail frame (image_tail)',
	cameraControl: 'camera control',
	motionBrush: 'a motion brush (static or dynamic masks)',
};

const modelsWith = (test: (model: ImageToVideoModel) => boolean) => listWhere(IMAGE_TO_VIDEO_MODELS, test);

function whereText(model: ImageToVideoModel, feature: Feature): string {
	const where = model[feature];
	if (!where || model.modes.length === 0) return `${model.id} has no ${FEATURE_LABELS[feature]}`;
	const modes = where.modes.map((m) => (m === 'std' ? 'Standard' : 'Professional')).join(' or ');
	return `${model.id} takes ${FEATURE_LABELS[feature]} only in ${modes} mode at ${where.durations.join(' or ')} s`;
}

function inputType(value: unknown, label: string, allowNone: boolean): ImageInputType | 'none' {
	if (allowNone && (value === undefined || value === 'none' || value === '')) return 'none';
	if (typeof value === 'string' && (IMAGE_INPUT_TYPES as readonly string[]).includes(value)) return value as ImageInputType;
	throw new KlingInputError(`The ${label} input is ${shown(value)}`, `Choose ${allowNone ? 'None, ' : ''}URL, Base64 or Binary File.`);
}

const valueFieldOf = { url: 'Url', base64: 'Base64', binary: 'BinaryProperty' } as const;

/** One point of a trajectory: whole pixel coordinates, origin at the image's bottom-left corner. */
function readPoint(point: unknown, maskNumber: number, index: number): { x: number; y: number } {
	let x: unknown;
	let y: unknown;
	if (Array.isArray(point)) [x, y] = point;
	else if (point && typeof point === 'object') ({ x, y } = point as { x?: unknown; y?: unknown });
	const label = `Point ${index + 1} of dynamic mask ${maskNumber}'s trajectory`;
	const read = (value: unknown, axis: string) => readNumber(value, `${label} (${axis})`, { min: 0, max: 100_000, integer: true });
	if (x === undefined || y === undefined) {
		throw new KlingInputError(`${label} is ${shown(point)}, not a point`, 'Write each point as x,y (e.g. 279,219 417,65) or as JSON [{"x":279,"y":219}, …].');
	}
	return { x: read(x, 'x'), y: read(y, 'y') };
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text) as unknown;
	} catch {
		return undefined;
	}
}

/** A trajectory as typed ("279,219 417,65", or JSON) or mapped (an array of {x, y} or [x, y]). */
export function readTrajectory(value: unknown, maskNumber: number): Array<{ x: number; y: number }> {
	let points: unknown = value;
	if (typeof value === 'string') {
		const text = value.trim();
		if (text.startsWith('[')) {
			points = parseJson(text);
			if (points === undefined) {
				throw new KlingInputError(`Dynamic mask ${maskNumber}'s trajectory is not valid JSON`, 'Write the points as x,y pairs (279,219 417,65) or as valid JSON [{"x":279,"y":219}, …].');
			}
		} else {
			points = text === '' ? [] : text.split(/[\s;]+/).filter(Boolean).map((pair) => pair.split(',').map((n) => n.trim()));
		}
	}
	if (!Array.isArray(points)) {
		throw new KlingInputError(`Dynamic mask ${maskNumber}'s trajectory is ${shown(points)}`, 'Give a list of points, e.g. 279,219 417,65.');
	}
	if (points.length < TRAJECTORY_MIN_POINTS || points.length > TRAJECTORY_MAX_POINTS) {
		throw new KlingInputError(
			`Dynamic mask ${maskNumber}'s trajectory has ${points.length} point${points.length === 1 ? '' : 's'}; Kling takes ${TRAJECTORY_MIN_POINTS} to ${TRAJECTORY_MAX_POINTS}`,
			points.length < TRAJECTORY_MIN_POINTS ? 'Add at least a start and an end point.' : `Thin the trajectory out to at most ${TRAJECTORY_MAX_POINTS} points.`,
		);
	}
	return points.map((point, index) => readPoint(point, maskNumber, index));
}

function checkPointsInside(points: Array<{ x: number; y: number }>, maskNumber: number, image: ImageInfo | undefined) {
	if (!image) return;
	const outside = points.findIndex((p) => p.x > image.width || p.y > image.height);
	if (outside >= 0) {
		const p = points[outside];
		throw new KlingInputError(
			`Point ${outside + 1} (${p.x},${p.y}) of dynamic mask ${maskNumber}'s trajectory lies outside the ${image.width}×${image.height} px image`,
			'Use pixel coordinates of the image, from 0,0 at its bottom-left corner.',
		);
	}
}

/** The item's fields as Kling names them, images read and checked; hidden fields are absent. */
async function fieldsOf(ctx: IExecuteFunctions, itemIndex: number) {
	const param = (name: string) => visibleParameter(ctx, name, itemIndex);
	const body: IDataObject = {};

	const imageType = inputType(param('imageInputType') ?? 'url', 'image', false) as ImageInputType;
	const image = await readImage(ctx, itemIndex, { type: imageType, value: param(`image${valueFieldOf[imageType]}`) }, 'image', { frame: true });
	body.image = image.value;

	const tailType = inputType(param('tailFrame'), 'tail frame image', true);
	if (tailType !== 'none') {
		const tail = await readImage(ctx, itemIndex, { type: tailType, value: param(`tailImage${valueFieldOf[tailType]}`) }, 'tail frame image', { frame: true });
		body.image_tail = tail.value;
	}

	body.prompt = readText(param('prompt'), 'prompt');
	body.mode = param('mode') as string | undefined;
	body.duration = param('duration') as string | undefined;
	body.cfg_scale = param('imageCfgScale') as number | undefined;
	const sound = param('imageSound');
	if (sound !== undefined) body.sound = sound === true || sound === 'on' ? 'on' : 'off';
	const cameraType = param('imageCameraControl');
	if (cameraType !== undefined) body.camera_control = { type: cameraType, config: param('imageCameraMovement') as IDataObject | undefined };

	let motionBrush = false;
	const brush = param('motionBrush');
	if (brush === true || brush === 'true') {
		motionBrush = true;
		const staticType = inputType(param('staticMaskInputType') ?? 'none', 'static mask', true);
		const maskRules = { frame: false, sameAspectAs: image.info && { info: image.info, label: 'image' } };
		if (staticType !== 'none') {
			const mask = await readImage(ctx, itemIndex, { type: staticType, value: param(`staticMask${valueFieldOf[staticType]}`) }, 'static mask', maskRules);
			body.static_mask = mask.value;
		}
		const entries = ((param('dynamicMasks') as IDataObject | undefined)?.masks ?? []) as IDataObject[];
		if (!Array.isArray(entries)) throw new KlingInputError('The dynamic masks are not a list', 'Add the dynamic masks with Add Dynamic Mask.');
		if (entries.length > DYNAMIC_MASKS_MAX) {
			throw new KlingInputError(
				`There are ${entries.length} dynamic masks; Kling takes at most ${DYNAMIC_MASKS_MAX}`,
				`Remove ${entries.length - DYNAMIC_MASKS_MAX} of them, or merge areas that move the same way into one mask.`,
			);
		}
		const dynamic: IDataObject[] = [];
		for (const [index, entry] of entries.entries()) {
			const number = index + 1;
			const type = inputType(entry.maskInputType ?? 'url', `dynamic mask ${number}`, false) as ImageInputType;
			const mask = await readImage(ctx, itemIndex, { type, value: entry.mask }, `dynamic mask ${number}`, maskRules);
			const trajectories = readTrajectory(entry.trajectory, number);
			checkPointsInside(trajectories, number, image.info);
			dynamic.push({ mask: mask.value, trajectories });
		}
		if (dynamic.length > 0) body.dynamic_masks = dynamic;
		if (body.static_mask === undefined && dynamic.length === 0) {
			throw new KlingInputError('Motion Brush is on, but there is neither a static mask nor a dynamic mask', 'Add a static mask or at least one dynamic mask with its trajectory, or turn Motion Brush off.');
		}
	}

	const options = (param('options') ?? {}) as IDataObject;
	body.negative_prompt = readText(options.negativePrompt, 'negative prompt');
	for (const key of Object.keys(body)) if (body[key] === undefined) delete body[key];
	return { body, motionBrush };
}

/** The checked request body of one image-to-video item. Throws KlingInputError; nothing is sent when it does. */
export async function imageToVideoBody(ctx: IExecuteFunctions, itemIndex: number, credentials: ICredentialDataDecryptedObject): Promise<IDataObject> {
	const model = modelOf(ctx, itemIndex, DEFAULT_IMAGE_MODEL);
	const { body } = await fieldsOf(ctx, itemIndex);
	return checkBody(body, model, klingModelFields(credentials), klingCfgScaleMax(credentials));
}

/**
 * Checks a body against the model table and returns the body to send. As for text to video, a field
 * the model does not take is dropped while it holds its default (it is only visible because the model
 * came from an expression or is a custom ID) and is an error when the user set it.
 */
function checkBody(input: IDataObject, model: string, modelFields: string[], cfgScaleMax: number): IDataObject {
	const body: IDataObject = { ...input };
	const known = findImageModel(model);

	if (typeof body.prompt === 'string' && body.prompt.trim() === '') delete body.prompt;
	checkLength(body.prompt, 'prompt');
	if (typeof body.negative_prompt === 'string' && body.negative_prompt.trim() === '') delete body.negative_prompt;
	checkLength(body.negative_prompt, 'negative prompt');

	if (body.duration !== undefined) body.duration = String(body.duration).trim();
	if (known && body.duration !== undefined && !known.durations.includes(body.duration as string)) {
		throw new KlingInputError(
			`The duration is "${body.duration}"; ${model} makes videos of ${known.durations.join(' or ')} seconds`,
			`Set Duration to ${known.durations.join(' or ')}.`,
		);
	}
	const duration = (body.duration as string | undefined) ?? '5';

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

	// The official API takes 0–1; some proxies 0–100 (their credential says which).
	checkCfgScale(body, model, known, cfgScaleMax, modelsWith((m) => m.cfgScale));
	const soundOn = checkSound(body, model, known, mode, `${modelsWith((m) => m.soundModes.length > 0)} (Pro mode)`);

	const cameraType = requestedCameraType(body);
	if (cameraType !== undefined) {
		if (known && !worksIn(known.cameraControl, mode, duration)) {
			throw new KlingInputError(
				`Camera control does not work with ${model} in ${mode} mode at ${duration} s (${whereText(known, 'cameraControl')})`,
				`Set Camera Control to None, or use ${modelsWith((m) => m.cameraControl !== null)} in the mode and duration they take.`,
			);
		}
		if (known && !known.cameraControl!.types.includes(cameraType)) {
			throw new KlingInputError(
				`${model} takes only the ${known.cameraControl!.types.join(', ')} camera movement, not "${cameraType}"`,
				`Set Camera Control to ${known.cameraControl!.types.join(' or ')}, or use kling-v1 for the preset movements.`,
			);
		}
		body.camera_control = cameraControlBody(body, cameraType);
	}

	if (body.image_tail !== undefined && known) {
		if (!worksIn(known.tailFrame, mode, duration)) {
			throw new KlingInputError(
				`A tail frame does not work with ${model} in ${mode} mode at ${duration} s (${whereText(known, 'tailFrame')})`,
				`Set Tail Frame to None, or use a model and mode that take one: ${modelsWith((m) => m.tailFrame !== null)} (most in Professional mode).`,
			);
		}
		if (known.tailFrame!.silentOnly && soundOn) {
			throw new KlingInputError(
				`${model} makes videos with a tail frame only without sound, but Sound is on`,
				'Turn Sound off, or set Tail Frame to None.',
			);
		}
	}

	const masks = body.static_mask !== undefined || body.dynamic_masks !== undefined;
	if (masks && known && !worksIn(known.motionBrush, mode, duration)) {
		throw new KlingInputError(
			`The motion brush does not work with ${model} in ${mode} mode at ${duration} s (${whereText(known, 'motionBrush')})`,
			`Turn Motion Brush off, or use ${modelsWith((m) => m.motionBrush !== null)} in the mode and duration they take.`,
		);
	}

	// Kling: image + image_tail, dynamic_masks/static_mask and camera_control cannot be used together.
	const used = [
		body.image_tail !== undefined && ['a tail frame', 'Tail Frame to None'],
		masks && ['the motion brush', 'Motion Brush off'],
		body.camera_control !== undefined && ['camera control', 'Camera Control to None'],
	].filter((x): x is string[] => Array.isArray(x));
	if (used.length > 1) {
		throw new KlingInputError(
			`The item uses ${used.map(([what]) => what).join(' and ')}; Kling takes only one of tail frame, motion brush and camera control per video`,
			`Keep one of them: set ${used.map(([, fix]) => fix).join(', or ')}.`,
		);
	}

	const ordered: IDataObject = {};
	for (const field of modelFields) ordered[field] = model;
	return Object.assign(ordered, body);
}
