/**
 * Which image-to-video Create fields the editor shows for each model, mode, duration (and sound),
 * decided by n8n-workflow's own display logic. Expectations come from the model table's meaning and,
 * separately, from Kling's documented rules written out literally (see models/imageToVideo.ts for the
 * sources), so that a table that drifted from the docs fails here.
 */
import { NodeHelpers, type INodeParameters } from 'n8n-workflow';

import { IMAGE_TO_VIDEO_MODELS, worksIn } from '../../../../nodes/KlingAi/models/imageToVideo';
import { klingNodeType } from '../../../helpers/engine';

const description = klingNodeType.description;
const node = { typeVersion: 1 };

function shownFields(values: INodeParameters): Set<string> {
	const parameters = NodeHelpers.getNodeParameters(description.properties, { resource: 'imageToVideo', operation: 'create', ...values }, true, false, node, description);
	return new Set(Object.keys(parameters ?? {}));
}

/** The Camera Control options n8n offers in this state (the field's copy that is displayed). */
function cameraOptions(values: INodeParameters): string[] {
	const all = { resource: 'imageToVideo', operation: 'create', ...values };
	const shown = description.properties.filter((p) => p.name === 'imageCameraControl' && NodeHelpers.displayParameter(all, p, node, description));
	return shown.flatMap((p) => (p.options ?? []).map((o) => (o as { value: string }).value)).sort();
}

const MODEL_SPECIFIC = ['mode', 'imageSound', 'imageCfgScale', 'tailFrame', 'imageCameraControl', 'imageCameraMovement', 'motionBrush', 'staticMaskInputType', 'dynamicMasks', 'customModel'];

const rows = IMAGE_TO_VIDEO_MODELS.flatMap((model) =>
	(model.modes.length > 0 ? model.modes : (['std'] as const)).flatMap((mode) =>
		['5', '10'].flatMap((duration) => [false, true].map((sound) => [model.id, mode, duration, sound, model] as const)),
	),
);

describe('Image to Video: Create field visibility', () => {
	test.each(rows)('%s in %s mode, %s s, sound %s', (id, mode, duration, sound, model) => {
		const shown = shownFields({ model: id, mode, duration, imageSound: sound, imageCameraControl: 'simple', motionBrush: true, tailFrame: 'url' });
		const hasModes = model.modes.length > 0;
		const soundShown = model.soundModes.length > 0;
		const soundOn = soundShown && sound;
		const tail = hasModes && worksIn(model.tailFrame, mode, duration) && !(model.tailFrame?.silentOnly && soundOn);
		const camera = hasModes && worksIn(model.cameraControl, mode, duration);
		const masks = hasModes && worksIn(model.motionBrush, mode, duration);

		expect(shown.has('mode')).toBe(hasModes);
		expect(shown.has('imageSound')).toBe(soundShown);
		expect(shown.has('imageCfgScale')).toBe(model.cfgScale);
		expect(shown.has('tailFrame')).toBe(tail);
		expect(shown.has('tailImageUrl')).toBe(tail);
		expect(shown.has('imageCameraControl')).toBe(camera);
		expect(shown.has('imageCameraMovement')).toBe(camera && cameraOptions({ model: id, mode, duration }).includes('simple'));
		expect(shown.has('motionBrush')).toBe(masks);
		expect(shown.has('staticMaskInputType')).toBe(masks);
		expect(shown.has('dynamicMasks')).toBe(masks);
		expect(shown.has('customModel')).toBe(false);
		for (const always of ['imageInputType', 'imageUrl', 'prompt', 'duration', 'options', 'waitForCompletion']) expect(shown.has(always)).toBe(true);
		// none of text to video's own fields
		for (const other of ['aspectRatio', 'sound', 'cfgScale', 'cameraControl']) expect(shown.has(other)).toBe(false);
		if (camera) expect(cameraOptions({ model: id, mode, duration })).toEqual([...model.cameraControl!.types, 'none'].sort());
	});

	it('shows the field of the chosen input type only', () => {
		expect([...shownFields({ imageInputType: 'base64' })].filter((f) => ['imageUrl', 'imageBase64', 'imageBinaryProperty'].includes(f))).toEqual(['imageBase64']);
		expect([...shownFields({ imageInputType: 'binary' })].filter((f) => ['imageUrl', 'imageBase64', 'imageBinaryProperty'].includes(f))).toEqual(['imageBinaryProperty']);
		const tail = shownFields({ model: 'kling-v2-5-turbo', mode: 'pro', tailFrame: 'base64' });
		expect(tail.has('tailImageBase64') && !tail.has('tailImageUrl')).toBe(true);
		expect(shownFields({ model: 'kling-v2-5-turbo', mode: 'pro', tailFrame: 'none' }).has('tailImageUrl')).toBe(false);
	});

	it('a custom model shows every model-specific field where some model has it', () => {
		const shown = shownFields({ model: 'custom', mode: 'std', duration: '5', imageCameraControl: 'simple', motionBrush: true });
		for (const field of MODEL_SPECIFIC) expect(shown.has(field)).toBe(true);
		expect(cameraOptions({ model: 'custom', mode: 'std', duration: '5' })).toEqual(['down_back', 'forward_up', 'left_turn_forward', 'none', 'right_turn_forward', 'simple']);
	});

	it('a model set by expression shows every model-specific field, and no text-to-video field', () => {
		const shown = shownFields({ model: '={{ $json.model }}', imageCameraControl: 'simple', motionBrush: true });
		for (const field of MODEL_SPECIFIC) expect(shown.has(field)).toBe(true);
		expect(shown.has('aspectRatio')).toBe(false);
		// the value fields still follow their switch
		expect(shownFields({ model: '={{ $json.model }}' }).has('staticMaskUrl')).toBe(false);
		expect(shownFields({ model: '={{ $json.model }}' }).has('tailImageUrl')).toBe(false);
	});

	it('raises no editor issue for any listed model, a custom model, or a model by expression', () => {
		const issues = (values: INodeParameters) => {
			const parameters = NodeHelpers.getNodeParameters(description.properties, { resource: 'imageToVideo', operation: 'create', ...values }, true, false, node, description)!;
			return NodeHelpers.getNodeParametersIssues(description.properties, { id: 'k', name: 'Kling AI', type: 'n8n-nodes-kling.klingAi', typeVersion: 1, position: [0, 0], parameters }, description);
		};
		for (const model of IMAGE_TO_VIDEO_MODELS) expect(issues({ model: model.id, imageUrl: 'https://example.com/a.png' })).toBeNull();
		expect(issues({ model: 'custom' })).toBeNull();
		expect(issues({ model: '={{ $json.model }}', imageInputType: '={{ $json.kind }}', staticMaskInputType: '={{ $json.m }}' })).toBeNull();
	});

	describe('pins Kling\'s documented rules (literal, not read from the table)', () => {
		const at = (id: string, mode: string, duration: string, extra: INodeParameters = {}) => shownFields({ model: id, mode, duration, ...extra });
		const ids = IMAGE_TO_VIDEO_MODELS.map((m) => m.id);

		it('lists the image-to-video models of the reference', () => {
			expect([...ids].sort()).toEqual(['kling-v1', 'kling-v1-5', 'kling-v1-6', 'kling-v2-1', 'kling-v2-1-master', 'kling-v2-5-turbo', 'kling-v2-6', 'kling-v2-master'].sort());
		});

		it('lists the current models first (2.6, 2.5 Turbo), then the legacy ones newest first, labelled so', () => {
			expect(ids).toEqual(['kling-v2-6', 'kling-v2-5-turbo', 'kling-v2-1-master', 'kling-v2-1', 'kling-v2-master', 'kling-v1-6', 'kling-v1-5', 'kling-v1']);
			const modelProperty = description.properties.find(
				(p) => p.name === 'model' && (p.displayOptions?.show?.resource as string[] | undefined)?.includes('imageToVideo'),
			);
			const options = (modelProperty?.options ?? []) as Array<{ name: string; value: string }>;
			expect(options.map((o) => o.value)).toEqual([...ids, 'custom']);
			expect(options.slice(0, 2).map((o) => o.name)).toEqual(['Kling V2.6', 'Kling V2.5 Turbo']);
			for (const option of options.slice(2, 8)) expect(option.name).toMatch(/\(Legacy\)$/);
		});

		it('tail frame: kling-v1 std 5 s; V1.5, V1.6, V2.1, V2.5 Turbo and V2.6 (silent) in pro; never the master models', () => {
			const where = (mode: string, duration: string) => ids.filter((id) => at(id, mode, duration).has('tailFrame')).sort();
			expect(where('std', '5')).toEqual(['kling-v1']);
			expect(where('std', '10')).toEqual([]);
			expect(where('pro', '5')).toEqual(['kling-v1-5', 'kling-v1-6', 'kling-v2-1', 'kling-v2-5-turbo', 'kling-v2-6']);
			expect(where('pro', '10')).toEqual(['kling-v1-5', 'kling-v1-6', 'kling-v2-1', 'kling-v2-5-turbo', 'kling-v2-6']);
			expect(at('kling-v2-6', 'pro', '5', { imageSound: true }).has('tailFrame')).toBe(false);
		});

		it('camera control: kling-v1 std 5 s (every type); kling-v1-5 pro 5 s (simple only)', () => {
			expect(ids.filter((id) => at(id, 'std', '5').has('imageCameraControl'))).toEqual(['kling-v1']);
			expect(ids.filter((id) => at(id, 'pro', '5').has('imageCameraControl'))).toEqual(['kling-v1-5']);
			expect(ids.filter((id) => at(id, 'pro', '10').has('imageCameraControl') || at(id, 'std', '10').has('imageCameraControl'))).toEqual([]);
			expect(cameraOptions({ model: 'kling-v1-5', mode: 'pro', duration: '5' })).toEqual(['none', 'simple']);
		});

		it('motion brush: kling-v1 std and pro at 5 s; kling-v1-5 pro at 5 s', () => {
			expect(ids.filter((id) => at(id, 'std', '5').has('motionBrush'))).toEqual(['kling-v1']);
			expect(ids.filter((id) => at(id, 'pro', '5').has('motionBrush')).sort()).toEqual(['kling-v1', 'kling-v1-5']);
			expect(ids.filter((id) => at(id, 'pro', '10').has('motionBrush'))).toEqual([]);
		});

		it('CFG Scale on the V1 models only; Sound on kling-v2-6 only; no Mode for the master models', () => {
			expect(ids.filter((id) => at(id, 'std', '5').has('imageCfgScale')).sort()).toEqual(['kling-v1', 'kling-v1-5', 'kling-v1-6']);
			expect(ids.filter((id) => at(id, 'pro', '5').has('imageSound'))).toEqual(['kling-v2-6']);
			expect(ids.filter((id) => !at(id, 'std', '5').has('mode')).sort()).toEqual(['kling-v2-1-master', 'kling-v2-master']);
		});
	});
});
