/**
 * Which Create fields the editor shows for each model, decided by n8n-workflow's own display logic
 * (the same NodeHelpers the editor and the engine use). Expectations come from the model table's
 * meaning, and, separately, from the product rules of Kling's documentation written out literally,
 * so that a table that drifted from the spec fails here.
 */
import { NodeHelpers, type INodeParameters, type INodeProperties } from 'n8n-workflow';

import { KLING_MODELS, type KlingModel } from '../../../../nodes/KlingAi/models/textToVideo';
import { klingNodeType } from '../../../helpers/engine';

const description = klingNodeType.description;
const node = { typeVersion: 1 };

/** The Create parameters n8n shows for these values (hidden ones are left out, defaults filled in). */
function visibleCreateFields(values: INodeParameters): Set<string> {
	const parameters = NodeHelpers.getNodeParameters(
		description.properties,
		{ resource: 'textToVideo', operation: 'create', ...values },
		true,
		false,
		node,
		description,
	);
	return new Set(Object.keys(parameters ?? {}));
}

function createProperty(name: string): INodeProperties {
	const matches = description.properties.filter(
		(p) => p.name === name && p.displayOptions?.show?.operation?.includes('create') && p.displayOptions?.show?.resource?.includes('textToVideo'),
	);
	expect(matches).toHaveLength(1);
	return matches[0];
}

/** The same question asked of NodeHelpers.displayParameter, for one field. */
const displayed = (name: string, values: INodeParameters) =>
	NodeHelpers.displayParameter(
		{ resource: 'textToVideo', operation: 'create', mode: 'std', duration: '5', ...values },
		createProperty(name),
		node,
		description,
	);

const MODEL_SPECIFIC = ['mode', 'sound', 'cfgScale', 'cameraControl', 'cameraMovement', 'customModel'] as const;

/** Every (mode, duration) a user can pick for the model; models without modes are run with the default. */
const settingsOf = (model: KlingModel) =>
	(model.modes.length > 0 ? model.modes : (['std'] as const)).flatMap((mode) =>
		['5', '10'].map((duration) => ({ mode, duration })),
	);

const rows = KLING_MODELS.flatMap((model) => settingsOf(model).map((setting) => [model.id, setting.mode, setting.duration, model] as const));

describe('Create field visibility', () => {
	describe('follows the model table, row by row', () => {
		test.each(rows)('%s in %s mode, %s s', (id, mode, duration, model) => {
			const shown = visibleCreateFields({ model: id, mode, duration, cameraControl: 'simple' });
			const cameraWorks =
				model.cameraControl !== null &&
				model.cameraControl.modes.includes(mode) &&
				model.cameraControl.durations.includes(duration);

			expect(shown.has('mode')).toBe(model.modes.length > 0);
			expect(shown.has('sound')).toBe(model.soundModes.length > 0);
			expect(shown.has('cfgScale')).toBe(model.cfgScale);
			expect(shown.has('cameraControl')).toBe(cameraWorks);
			expect(shown.has('cameraMovement')).toBe(cameraWorks);
			expect(shown.has('customModel')).toBe(false);
			// the fields every model takes are always there
			for (const always of ['prompt', 'duration', 'aspectRatio', 'options']) expect(shown.has(always)).toBe(true);

			// NodeHelpers.displayParameter agrees field by field
			expect(displayed('sound', { model: id, mode, duration })).toBe(shown.has('sound'));
			expect(displayed('cfgScale', { model: id, mode, duration })).toBe(shown.has('cfgScale'));
			expect(displayed('cameraControl', { model: id, mode, duration })).toBe(cameraWorks);
		});

		it('hides Camera Movement unless Camera Control is Simple', () => {
			for (const preset of ['none', 'down_back', 'forward_up']) {
				expect(visibleCreateFields({ model: 'kling-v1', mode: 'std', duration: '5', cameraControl: preset }).has('cameraMovement')).toBe(false);
			}
		});
	});

	describe('a custom model ID', () => {
		it('shows the Model ID field and every model-specific field, since its support is unknown', () => {
			const shown = visibleCreateFields({ model: 'custom', mode: 'std', duration: '5', cameraControl: 'simple' });
			for (const field of MODEL_SPECIFIC) expect(shown.has(field)).toBe(true);
		});

		it('still shows camera control only where Kling has it: Standard mode, 5 s', () => {
			expect(visibleCreateFields({ model: 'custom', mode: 'pro', duration: '5' }).has('cameraControl')).toBe(false);
			expect(visibleCreateFields({ model: 'custom', mode: 'std', duration: '10' }).has('cameraControl')).toBe(false);
		});
	});

	describe('a model set by expression', () => {
		test.each([
			['std', '5'],
			['pro', '10'],
		])('shows every model-specific field (%s mode, %s s), as n8n does for an expression', (mode, duration) => {
			const shown = visibleCreateFields({ model: '={{ $json.model }}', mode, duration, cameraControl: 'simple' });
			for (const field of MODEL_SPECIFIC) expect(shown.has(field)).toBe(true);
			expect(displayed('sound', { model: '={{ $json.model }}', mode, duration })).toBe(true);
		});
	});

	describe('parameter issues', () => {
		const issuesFor = (values: INodeParameters) => {
			const parameters = NodeHelpers.getNodeParameters(
				description.properties,
				{ resource: 'textToVideo', operation: 'create', prompt: 'A fox', ...values },
				true,
				false,
				node,
				description,
			)!;
			return NodeHelpers.getNodeParametersIssues(
				description.properties,
				{ id: 'k', name: 'Kling AI', type: 'n8n-nodes-kling.klingAi', typeVersion: 1, position: [0, 0], parameters },
				description,
			);
		};

		it('a listed model with a prompt has none, so n8n runs the node', () => {
			for (const model of KLING_MODELS) expect(issuesFor({ model: model.id })).toBeNull();
		});

		it('an empty Model ID is not an editor issue (it would block models set by expression); the run catches it', () => {
			expect(issuesFor({ model: 'custom' })).toBeNull();
			expect(issuesFor({ model: 'custom', customModel: 'kling-v3' })).toBeNull();
		});

		/*
		 * A model set by expression shows every field it controls, Model ID included: if Model ID were
		 * required, its being empty would be an issue and n8n would refuse to run the workflow.
		 */
		it('a model set by expression has none either (Model ID must not be required then)', () => {
			expect(issuesFor({ model: '={{ $json.model }}' })).toBeNull();
		});
	});

	describe('pins Kling\'s documented rules (literal, not read from the table)', () => {
		const ids = KLING_MODELS.map((model) => model.id);
		const shownFor = (id: string, values: INodeParameters = {}) =>
			visibleCreateFields({ model: id, mode: 'std', duration: '5', ...values });

		it('lists the current models first (3.0, 2.6, 2.5 Turbo), then the legacy ones, labelled so', () => {
			expect(ids).toEqual(['kling-v3', 'kling-v2-6', 'kling-v2-5-turbo', 'kling-v2-1-master', 'kling-v2-master', 'kling-v1-6', 'kling-v1']);
			const options = (createProperty('model').options ?? []) as Array<{ name: string; value: string }>;
			for (const option of options.slice(3, 7)) expect(option.name).toMatch(/\(Legacy\)$/);
			for (const option of options.slice(0, 3)) expect(option.name).not.toMatch(/Legacy/);
		});

		it('shows Sound for kling-v3 and kling-v2-6 only', () => {
			expect(ids.filter((id) => shownFor(id).has('sound'))).toEqual(['kling-v3', 'kling-v2-6']);
			expect(shownFor('kling-v2-6', { mode: 'pro' }).has('sound')).toBe(true);
		});

		it('shows Multi-Shot only for kling-v3, and the shots only for Custom', () => {
			expect(ids.filter((id) => shownFor(id).has('multiShot'))).toEqual(['kling-v3']);
			expect(shownFor('kling-v3', { multiShot: true, shotType: 'customize' }).has('shots')).toBe(true);
			expect(shownFor('kling-v3', { multiShot: true, shotType: 'intelligence' }).has('shots')).toBe(false);
			expect(shownFor('custom', { multiShot: true, shotType: 'customize' }).has('shots')).toBe(true);
		});

		it('hides CFG Scale for every model from V2 on and shows it for the V1 models', () => {
			for (const id of ids) expect(shownFor(id).has('cfgScale')).toBe(id === 'kling-v1' || id === 'kling-v1-6');
			expect(ids.filter((id) => shownFor(id).has('cfgScale')).sort()).toEqual(['kling-v1', 'kling-v1-6']);
		});

		it('shows Camera Control only for kling-v1, and only in Standard mode at 5 s', () => {
			expect(ids.filter((id) => shownFor(id).has('cameraControl'))).toEqual(['kling-v1']);
			expect(shownFor('kling-v1', { mode: 'pro' }).has('cameraControl')).toBe(false);
			expect(shownFor('kling-v1', { duration: '10' }).has('cameraControl')).toBe(false);
		});

		it('shows Mode for every model but kling-v2-master and kling-v2-1-master', () => {
			expect(ids.filter((id) => !shownFor(id).has('mode')).sort()).toEqual(['kling-v2-1-master', 'kling-v2-master']);
		});
	});
});
