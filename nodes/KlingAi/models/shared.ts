import type { INodePropertyOptions } from 'n8n-workflow';

/**
 * What every model table shares: the Custom Model ID choice, the Model options, look-ups, and the
 * lists the editor's show/hide rules and the error messages are built from. Each resource has its
 * own table (models/<resource>.ts) of rows that extend ModelRow.
 */

export type Mode = 'std' | 'pro';

/** Kling's camera movement types (camera_control.type), the same for every resource. */
export const CAMERA_TYPES = ['simple', 'down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'] as const;
export type CameraType = (typeof CAMERA_TYPES)[number];

export interface ModelRow {
	id: string;
	name: string;
	description: string;
}

/** The value of the Model parameter that reveals the Custom Model ID field. */
export const CUSTOM_MODEL = 'custom';

export function findModelIn<M extends ModelRow>(models: readonly M[], id: string): M | undefined {
	return models.find((model) => model.id === id);
}

/** The Model parameter's options: every row, then Custom Model ID. */
export function modelOptionsOf(models: readonly ModelRow[]): INodePropertyOptions[] {
	return [
		...models.map((model) => ({ name: model.name, value: model.id, description: model.description })),
		{
			name: 'Custom Model ID',
			value: CUSTOM_MODEL,
			description: 'A newer model not listed here, passed through as typed',
		},
	];
}

/** The IDs of the rows that pass the test, in table order. */
export function idsWhere<M extends ModelRow>(models: readonly M[], test: (model: M) => boolean): string[] {
	return models.filter(test).map((model) => model.id);
}

/** The same, as text for error messages ("kling-v1, kling-v1-6"). */
export function listWhere<M extends ModelRow>(models: readonly M[], test: (model: M) => boolean): string {
	return idsWhere(models, test).join(', ');
}
