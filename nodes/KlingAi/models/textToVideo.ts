import type { IDisplayOptions, INodePropertyOptions } from 'n8n-workflow';

import { CUSTOM_MODEL, findModelIn, idsWhere as idsWhereIn, type ModelRow, modelOptionsOf } from './shared';

export { CUSTOM_MODEL } from './shared';

export type KlingMode = 'std' | 'pro' | '4k';

/**
 * The one table of Kling text-to-video models and what each supports. The editor's parameter
 * visibility, the validation before a request, and the tests all read it: a new model is one row.
 * Sources: Kling's text-to-video reference (the V1 and V2 rows), its video capability map and API
 * changelog of 2026 (kling-v3: 3–15 s, 4K mode since 04/2026, native audio, multi-shot; 2.6: 720p
 * (Standard) is silent only), and live answers that kling-v1 is discontinued (1.6 and 2.1 reported too).
 */
export interface KlingModel extends ModelRow {
	/** Retired or on its way out at Kling: still selectable (proxies and older accounts run it), listed last. */
	legacy: boolean;
	/** cfg_scale is accepted. */
	cfgScale: boolean;
	/** Modes the model takes; empty when the API takes no mode for it. */
	modes: KlingMode[];
	/** Durations in seconds, as Kling spells them. */
	durations: string[];
	/** Modes in which `sound` is generated (and sent); empty when the model has no sound. */
	soundModes: KlingMode[];
	/** Where camera control works, or null when it does not. */
	cameraControl: { modes: KlingMode[]; durations: string[] } | null;
	/** Multi-shot (multi_shot, shot_type, multi_prompt) is accepted. */
	multiShot: boolean;
}

const FIVE_OR_TEN = ['5', '10'];
const THREE_TO_FIFTEEN = Array.from({ length: 13 }, (_, i) => String(i + 3));

export const KLING_MODELS: readonly KlingModel[] = [
	{
		id: 'kling-v3',
		name: 'Kling 3.0',
		description: '3–15 s, Standard, Professional or 4K, sound in every mode, multi-shot',
		legacy: false,
		cfgScale: false,
		modes: ['std', 'pro', '4k'],
		durations: THREE_TO_FIFTEEN,
		soundModes: ['std', 'pro', '4k'],
		cameraControl: null,
		multiShot: true,
	},
	{
		id: 'kling-v2-6',
		name: 'Kling 2.6',
		description: '5 or 10 s, sound in Professional mode (Standard is silent)',
		legacy: false,
		cfgScale: false,
		modes: ['std', 'pro'],
		durations: FIVE_OR_TEN,
		soundModes: ['pro'],
		cameraControl: null,
		multiShot: false,
	},
	{
		id: 'kling-v2-5-turbo',
		name: 'Kling 2.5 Turbo',
		description: '5 or 10 s, fast and cheap, no sound',
		legacy: false,
		cfgScale: false,
		modes: ['std', 'pro'],
		durations: FIVE_OR_TEN,
		soundModes: [],
		cameraControl: null,
		multiShot: false,
	},
	{
		id: 'kling-v2-1-master',
		name: 'Kling V2.1 Master (Legacy)',
		description: 'Reported retired at Kling; proxies may still run it',
		legacy: true,
		cfgScale: false,
		modes: [],
		durations: FIVE_OR_TEN,
		soundModes: [],
		cameraControl: null,
		multiShot: false,
	},
	{
		id: 'kling-v2-master',
		name: 'Kling V2 Master (Legacy)',
		description: 'Older V2 model; proxies may still run it',
		legacy: true,
		cfgScale: false,
		modes: [],
		durations: FIVE_OR_TEN,
		soundModes: [],
		cameraControl: null,
		multiShot: false,
	},
	{
		id: 'kling-v1-6',
		name: 'Kling V1.6 (Legacy)',
		description: 'Reported retired at Kling; CFG Scale',
		legacy: true,
		cfgScale: true,
		modes: ['std', 'pro'],
		durations: FIVE_OR_TEN,
		soundModes: [],
		cameraControl: null,
		multiShot: false,
	},
	{
		id: 'kling-v1',
		name: 'Kling V1 (Legacy)',
		description: 'Discontinued at Kling; the only model with camera control (Standard, 5 s); CFG Scale',
		legacy: true,
		cfgScale: true,
		modes: ['std', 'pro'],
		durations: FIVE_OR_TEN,
		soundModes: [],
		cameraControl: { modes: ['std'], durations: ['5'] },
		multiShot: false,
	},
];

/** The current models, for errors that suggest one. */
export const CURRENT_MODELS = KLING_MODELS.filter((model) => !model.legacy);

export const DEFAULT_MODEL = 'kling-v2-6';

export function findModel(id: string): KlingModel | undefined {
	return findModelIn(KLING_MODELS, id);
}

export const modelOptions: INodePropertyOptions[] = modelOptionsOf(KLING_MODELS);

const idsWhere = (test: (model: KlingModel) => boolean) => idsWhereIn(KLING_MODELS, test);

/**
 * displayOptions derived from the table. A custom model ID shows every field (its support is
 * unknown, so nothing is hidden from the user), as does a model set by expression (n8n's rule).
 */
export const showFor = {
	mode: (): IDisplayOptions['show'] => ({ model: [...idsWhere((m) => m.modes.length > 0), CUSTOM_MODEL] }),
	multiShot: (): IDisplayOptions['show'] => ({ model: [...idsWhere((m) => m.multiShot), CUSTOM_MODEL] }),
	cfgScale: (): IDisplayOptions['show'] => ({ model: [...idsWhere((m) => m.cfgScale), CUSTOM_MODEL] }),
	sound: (): IDisplayOptions['show'] => ({ model: [...idsWhere((m) => m.soundModes.length > 0), CUSTOM_MODEL] }),
	cameraControl: (): IDisplayOptions['show'] => {
		const models = KLING_MODELS.filter((m) => m.cameraControl);
		const modes = [...new Set(models.flatMap((m) => m.cameraControl!.modes))];
		const durations = [...new Set(models.flatMap((m) => m.cameraControl!.durations))];
		return { model: [...models.map((m) => m.id), CUSTOM_MODEL], mode: modes, duration: durations };
	},
};
