import type { IDisplayOptions, INodePropertyOptions } from 'n8n-workflow';

import { CUSTOM_MODEL, findModelIn, idsWhere as idsWhereIn, type ModelRow, modelOptionsOf } from './shared';

export { CUSTOM_MODEL } from './shared';

/**
 * The one table of Kling text-to-video models and what each supports. The editor's parameter
 * visibility, the validation before a request, and the tests all read it: a new model is one row.
 */
export interface KlingModel extends ModelRow {
	/** cfg_scale (0–1) is accepted. */
	cfgScale: boolean;
	/** Modes the model takes; empty when the API takes no mode for it. */
	modes: Array<'std' | 'pro'>;
	/** Modes in which `sound` is generated (and sent); empty when the model has no sound. */
	soundModes: Array<'std' | 'pro'>;
	/** Where camera control works, or null when it does not. */
	cameraControl: { modes: Array<'std' | 'pro'>; durations: string[] } | null;
}

export const KLING_MODELS: readonly KlingModel[] = [
	{
		id: 'kling-v1',
		name: 'Kling V1',
		description: 'Base model; the only one with camera control (Standard mode, 5 s)',
		cfgScale: true,
		modes: ['std', 'pro'],
		soundModes: [],
		cameraControl: { modes: ['std'], durations: ['5'] },
	},
	{
		id: 'kling-v1-6',
		name: 'Kling V1.6',
		description: 'Improved V1',
		cfgScale: true,
		modes: ['std', 'pro'],
		soundModes: [],
		cameraControl: null,
	},
	{
		id: 'kling-v2-master',
		name: 'Kling V2 Master',
		description: 'V2 Master',
		cfgScale: false,
		modes: [],
		soundModes: [],
		cameraControl: null,
	},
	{
		id: 'kling-v2-1-master',
		name: 'Kling V2.1 Master',
		description: 'V2.1 Master',
		cfgScale: false,
		modes: [],
		soundModes: [],
		cameraControl: null,
	},
	{
		id: 'kling-v2-5-turbo',
		name: 'Kling V2.5 Turbo',
		description: 'Faster V2.5',
		cfgScale: false,
		modes: ['std', 'pro'],
		soundModes: [],
		cameraControl: null,
	},
	{
		id: 'kling-v2-6',
		name: 'Kling V2.6',
		description: 'V2.6, with generated sound in Pro mode',
		cfgScale: false,
		modes: ['std', 'pro'],
		soundModes: ['pro'],
		cameraControl: null,
	},
];

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
	cfgScale: (): IDisplayOptions['show'] => ({ model: [...idsWhere((m) => m.cfgScale), CUSTOM_MODEL] }),
	sound: (): IDisplayOptions['show'] => ({ model: [...idsWhere((m) => m.soundModes.length > 0), CUSTOM_MODEL] }),
	cameraControl: (): IDisplayOptions['show'] => {
		const models = KLING_MODELS.filter((m) => m.cameraControl);
		const modes = [...new Set(models.flatMap((m) => m.cameraControl!.modes))];
		const durations = [...new Set(models.flatMap((m) => m.cameraControl!.durations))];
		return { model: [...models.map((m) => m.id), CUSTOM_MODEL], mode: modes, duration: durations };
	},
};
