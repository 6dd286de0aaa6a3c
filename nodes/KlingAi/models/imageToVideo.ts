import type { IDisplayOptions, INodePropertyOptions } from 'n8n-workflow';

export { CUSTOM_MODEL } from './shared';
import { type CameraType, CUSTOM_MODEL, findModelIn, idsWhere, type Mode, type ModelRow, modelOptionsOf } from './shared';

/**
 * The one table of Kling image-to-video models (legacy endpoint /v1/videos/image2video) and what
 * each takes. The editor's show/hide rules, the checks before a request, the stand-in's tests and
 * the README's table all read it: a new model is one row.
 *
 * Sources (Kling's pages as mirrored in github.com/aself101/kling-api):
 * - docs/KLING_API_REFERENCE.md, "Image to Video" (fields, image rules, exclusions) and "Feature
 *   Support by Model" (start/end frame, motion brush, camera control per model and mode).
 * - docs/api/kling-updates-api.md, Kling's API changelog (dated entries quoted per row below).
 * - docs/api/kling-guide-capability-map-video.md (2026-05): 2.6 and 2.5 Turbo first/last frame; the
 *   current models (2.6, 2.5 Turbo) come first, the older ones follow newest first, labelled (Legacy).
 */

/** Where a feature works: these modes (models without modes: never) and these durations. */
export interface Where {
	modes: Mode[];
	durations: string[];
}

export interface ImageToVideoModel extends ModelRow {
	/** Retired or on its way out at Kling: still selectable (proxies and older accounts run it), listed last. */
	legacy: boolean;
	/** Modes the model takes; empty when the API takes no mode for it. */
	modes: Mode[];
	durations: string[];
	/** cfg_scale (0–1) is accepted. */
	cfgScale: boolean;
	/** Modes in which `sound` is generated (and sent); empty when the model has no sound. */
	soundModes: Mode[];
	/** image_tail (end frame), or null. `silentOnly`: not with sound on. */
	tailFrame: (Where & { silentOnly?: boolean }) | null;
	/** camera_control, with the types the model takes, or null. */
	cameraControl: (Where & { types: CameraType[] }) | null;
	/** Motion brush: static_mask and dynamic_masks, or null. */
	motionBrush: Where | null;
	/** Where the row's rules come from. */
	sources: string[];
}

const ALL_CAMERA_TYPES: CameraType[] = ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'];
const FIVE_OR_TEN = ['5', '10'];

export const IMAGE_TO_VIDEO_MODELS: readonly ImageToVideoModel[] = [
	{
		id: 'kling-v2-6',
		name: 'Kling V2.6',
		description: 'V2.6: sound in Professional mode; end frame in Professional mode without sound',
		legacy: false,
		modes: ['std', 'pro'],
		durations: FIVE_OR_TEN,
		cfgScale: false,
		soundModes: ['pro'],
		tailFrame: { modes: ['pro'], durations: FIVE_OR_TEN, silentOnly: true },
		cameraControl: null,
		motionBrush: null,
		sources: [
			'kling-updates-api.md 12/15/2025: image-to-video with the sound parameter',
			'capability map (2026-05): 720P "only supports silent videos"; first/last frame "Only supports 1080P silent videos"',
		],
	},
	{
		id: 'kling-v2-5-turbo',
		name: 'Kling V2.5 Turbo',
		description: 'Faster V2.5: end frame in Professional mode',
		legacy: false,
		modes: ['std', 'pro'],
		durations: FIVE_OR_TEN,
		cfgScale: false,
		soundModes: [],
		tailFrame: { modes: ['pro'], durations: FIVE_OR_TEN },
		cameraControl: null,
		motionBrush: null,
		sources: [
			'kling-updates-api.md 10/20/2025 (Pro), 11/11/2025 (Std)',
			'kling-updates-api.md 11/17/2025: "V2.5-Turbo PRO supports First/Last Frame"; capability map: "Only supports 1080P"',
		],
	},
	{
		id: 'kling-v2-1-master',
		name: 'Kling V2.1 Master (Legacy)',
		description: 'V2.1 Master: no mode, no end frame',
		legacy: true,
		modes: [],
		durations: FIVE_OR_TEN,
		cfgScale: false,
		soundModes: [],
		tailFrame: null,
		cameraControl: null,
		motionBrush: null,
		sources: ['kling-updates-api.md 06/19/2025: "image2video kling-v2-1-master model"; master models take no mode'],
	},
	{
		id: 'kling-v2-1',
		name: 'Kling V2.1 (Legacy)',
		description: 'V2.1: end frame in Professional mode',
		legacy: true,
		modes: ['std', 'pro'],
		durations: FIVE_OR_TEN,
		cfgScale: false,
		soundModes: [],
		tailFrame: { modes: ['pro'], durations: FIVE_OR_TEN },
		cameraControl: null,
		motionBrush: null,
		sources: [
			'kling-updates-api.md 06/19/2025: "image2video kling-v2-1 model, supports STD mode and PRO mode"',
			'kling-updates-api.md 09/05/2025: "V2.1 supports start/end frame … 5s or 10s video, Only supports PRO mode"',
		],
	},
	{
		id: 'kling-v2-master',
		name: 'Kling V2 Master (Legacy)',
		description: 'V2 Master: no mode, no end frame',
		legacy: true,
		modes: [],
		durations: FIVE_OR_TEN,
		cfgScale: false,
		soundModes: [],
		tailFrame: null,
		cameraControl: null,
		motionBrush: null,
		sources: ['kling-updates-api.md 05/13/2025: "Kling-v2-master currently does not support mode parameter"', 'KLING_API_REFERENCE.md: cfg_scale "Not supported on v2.x"'],
	},
	{
		id: 'kling-v1-6',
		name: 'Kling V1.6 (Legacy)',
		description: 'Improved V1 (legacy): end frame in Professional mode',
		legacy: true,
		modes: ['std', 'pro'],
		durations: FIVE_OR_TEN,
		cfgScale: true,
		soundModes: [],
		tailFrame: { modes: ['pro'], durations: FIVE_OR_TEN },
		cameraControl: null,
		motionBrush: null,
		sources: [
			'kling-updates-api.md 01/07/2025: image-to-video Std and Pro, no motion brush or camera control',
			'kling-updates-api.md 03/12/2025: "V1.6 Model PRO mode supports start/end frame"',
		],
	},
	{
		id: 'kling-v1-5',
		name: 'Kling V1.5 (Legacy)',
		description: 'Image to video only (legacy): end frame, motion brush and simple camera moves in Professional mode',
		legacy: true,
		modes: ['std', 'pro'],
		durations: FIVE_OR_TEN,
		cfgScale: true,
		soundModes: [],
		tailFrame: { modes: ['pro'], durations: FIVE_OR_TEN },
		cameraControl: { modes: ['pro'], durations: ['5'], types: ['simple'] },
		motionBrush: { modes: ['pro'], durations: ['5'] },
		sources: [
			'kling-updates-api.md 11/15/2024 (Pro) and 12/09/2024 (Std): image-to-video only',
			'kling-updates-api.md 03/12/2025: "V1.5 Model PRO mode supports start/end frame, end frame, motion brush, camera control(simple only)"',
			'KLING_API_REFERENCE.md feature table: motion brush "Yes (PRO 5s)", camera control "Yes (PRO 5s, simple)"',
		],
	},
	{
		id: 'kling-v1',
		name: 'Kling V1 (Legacy)',
		description: 'Base model (legacy): end frame, camera control and motion brush in Standard mode at 5 s',
		legacy: true,
		modes: ['std', 'pro'],
		durations: FIVE_OR_TEN,
		cfgScale: true,
		soundModes: [],
		tailFrame: { modes: ['std'], durations: ['5'] },
		cameraControl: { modes: ['std'], durations: ['5'], types: ALL_CAMERA_TYPES },
		motionBrush: { modes: ['std', 'pro'], durations: ['5'] },
		sources: [
			'KLING_API_REFERENCE.md feature table: start/end frame, motion brush and camera control "Yes (STD 5s)"',
			'kling-updates-api.md 11/29/2024: motion brush "only supported in Standard Mode 5s and Professional Mode 5s for the V1.0 model"',
		],
	},
];

export const DEFAULT_IMAGE_MODEL = 'kling-v2-6';

export function findImageModel(id: string): ImageToVideoModel | undefined {
	return findModelIn(IMAGE_TO_VIDEO_MODELS, id);
}

export const imageModelOptions: INodePropertyOptions[] = modelOptionsOf(IMAGE_TO_VIDEO_MODELS);

/** Whether a feature works for the model in this mode and duration (a model without modes runs as std). */
export function worksIn(where: Where | null | undefined, mode: string, duration: string): boolean {
	return !!where && where.modes.includes(mode as Mode) && where.durations.includes(duration);
}

/**
 * A feature's show rules, derived from the table: one rule per group of models that share the same
 * modes and durations (n8n's displayOptions AND their keys, so "V1 in std, V1.5 in pro" needs two
 * rules, i.e. two copies of the field), and one for a custom model ID with everything any model
 * allows (its support is unknown). A model set by expression shows every copy (n8n's rule).
 */
export interface ShowRule<E = undefined> {
	show: NonNullable<IDisplayOptions['show']>;
	models: string[];
	extra: E;
}

function groupedRules<E>(
	pick: (model: ImageToVideoModel) => (Where & { extraKey?: string; extra?: E }) | null,
	extraShow: (extra: E | undefined) => NonNullable<IDisplayOptions['show']>,
	customExtra: E | undefined,
): Array<ShowRule<E | undefined>> {
	const groups = new Map<string, ShowRule<E | undefined>>();
	const allModes = new Set<string>();
	const allDurations = new Set<string>();
	for (const model of IMAGE_TO_VIDEO_MODELS) {
		const where = pick(model);
		if (!where || model.modes.length === 0) continue;
		where.modes.forEach((m) => allModes.add(m));
		where.durations.forEach((d) => allDurations.add(d));
		const key = JSON.stringify([where.modes, where.durations, where.extraKey ?? '']);
		const group = groups.get(key);
		if (group) {
			group.models.push(model.id);
			(group.show.model as string[]).push(model.id);
			continue;
		}
		groups.set(key, {
			models: [model.id],
			extra: where.extra,
			show: { model: [model.id], mode: [...where.modes], duration: [...where.durations], ...extraShow(where.extra) },
		});
	}
	const custom: ShowRule<E | undefined> = {
		models: [CUSTOM_MODEL],
		extra: customExtra,
		show: { model: [CUSTOM_MODEL], mode: [...allModes], duration: [...allDurations], ...extraShow(customExtra) },
	};
	return [...groups.values(), custom];
}

const onlyWhen = (show: NonNullable<IDisplayOptions['show']>) => show;

export const imageShowFor = {
	mode: (): IDisplayOptions['show'] => ({ model: [...idsWhere(IMAGE_TO_VIDEO_MODELS, (m) => m.modes.length > 0), CUSTOM_MODEL] }),
	cfgScale: (): IDisplayOptions['show'] => ({ model: [...idsWhere(IMAGE_TO_VIDEO_MODELS, (m) => m.cfgScale), CUSTOM_MODEL] }),
	sound: (): IDisplayOptions['show'] => ({ model: [...idsWhere(IMAGE_TO_VIDEO_MODELS, (m) => m.soundModes.length > 0), CUSTOM_MODEL] }),
	/** Tail frame: a model that makes end frames only silently shows it only with Sound off. */
	tailFrame: () =>
		groupedRules<boolean>(
			(m) => m.tailFrame && { ...m.tailFrame, extraKey: m.tailFrame.silentOnly ? 'silent' : '', extra: m.tailFrame.silentOnly },
			(silentOnly) => (silentOnly ? onlyWhen({ imageSound: [false] }) : {}),
			undefined,
		),
	/** Camera control, with the camera types each group takes. */
	cameraControl: () =>
		groupedRules<CameraType[]>(
			(m) => m.cameraControl && { ...m.cameraControl, extraKey: m.cameraControl.types.join(), extra: m.cameraControl.types },
			() => ({}),
			ALL_CAMERA_TYPES,
		),
	motionBrush: () => groupedRules<undefined>((m) => m.motionBrush, () => ({}), undefined),
	/** Every model that has the feature somewhere, and the custom model (for fields that follow a switch). */
	modelsWith: (feature: 'tailFrame' | 'cameraControl' | 'motionBrush'): string[] => [
		...idsWhere(IMAGE_TO_VIDEO_MODELS, (m) => m[feature] !== null && m.modes.length > 0),
		CUSTOM_MODEL,
	],
};
