/**
 * A field the editor hides for the chosen model is never sent, even when the node's saved
 * parameters still hold a value for it (e.g. set while another model was selected). The strict
 * stand-in, which rejects any field a model does not take (per Kling's reference), must accept
 * every one of these requests.
 */
import { KLING_MODELS, type KlingMode, type KlingModel } from '../../../../nodes/KlingAi/models/textToVideo';
import { runKlingNode } from '../../../helpers/engine';
import { createBodies, createParams, jwtCredentials } from '../../../helpers/kling-test-kit';
import { type KlingStandIn, startKlingStandIn } from '../../../../stand-in';

/** Every model-specific field, set away from its default. */
const EVERY_MODEL_SPECIFIC_FIELD = {
	cfgScale: 0.9,
	sound: true,
	cameraControl: 'simple',
	cameraMovement: { zoom: 5 },
	multiShot: true,
	shotType: 'intelligence',
};

const cases = KLING_MODELS.flatMap((model) =>
	// for a model without modes, Mode still holds 'pro' from an earlier choice
	(model.modes.length > 0 ? model.modes : (['pro'] as const)).flatMap((mode) =>
		['5', '10'].map((duration) => [model.id, mode, duration, model] as const),
	),
);

describe('hidden fields are never sent', () => {
	let standIn: KlingStandIn;

	beforeAll(async () => {
		standIn = await startKlingStandIn({ callbacks: false });
	});
	afterAll(async () => {
		await standIn.close();
	});
	beforeEach(() => standIn.reset());

	test.each(cases)('%s, mode %s, %s s, with every model-specific field set', async (id, mode, duration, model: KlingModel) => {
		const result = await runKlingNode({
			parameters: createParams({ model: id, mode, duration, ...EVERY_MODEL_SPECIFIC_FIELD }),
			credentials: jwtCredentials(standIn),
		});

		// the strict stand-in accepted the request and made the task
		expect(result.error).toBeUndefined();
		expect(standIn.requests.map((r) => r.status)).toEqual([200]);
		expect(standIn.tasks.size).toBe(1);
		const [body] = createBodies(standIn);

		const sendsMode = model.modes.length > 0;
		const effectiveMode = sendsMode ? mode : 'std';
		const cameraWorks =
			model.cameraControl !== null &&
			model.cameraControl.modes.includes(effectiveMode as KlingMode) &&
			model.cameraControl.durations.includes(duration);

		// from the table's meaning
		expect('mode' in body).toBe(sendsMode);
		expect('cfg_scale' in body).toBe(model.cfgScale);
		expect('sound' in body).toBe(model.soundModes.includes(effectiveMode as KlingMode));
		expect('multi_shot' in body).toBe(model.multiShot);
		if (model.multiShot) expect(body).toMatchObject({ multi_shot: true, shot_type: 'intelligence' });
		expect('camera_control' in body).toBe(cameraWorks);
		if (model.cfgScale) expect(body.cfg_scale).toBe(0.9);
		if ('sound' in body) expect(body.sound).toBe('on');
		if (cameraWorks) expect(body.camera_control).toEqual({ type: 'simple', config: expect.objectContaining({ zoom: 5 }) });

		// and Kling's documented rules, literally
		if (id.startsWith('kling-v2')) expect(body).not.toHaveProperty('cfg_scale');
		if (id !== 'kling-v3' && (id !== 'kling-v2-6' || mode !== 'pro')) expect(body).not.toHaveProperty('sound');
		if (id !== 'kling-v3') expect(body).not.toHaveProperty('multi_shot');
		if (id !== 'kling-v1' || mode !== 'std' || duration !== '5') expect(body).not.toHaveProperty('camera_control');
		if (id === 'kling-v2-master' || id === 'kling-v2-1-master') expect(body).not.toHaveProperty('mode');

		// nothing the API does not know
		for (const key of Object.keys(body)) {
			expect(['model_name', 'prompt', 'mode', 'duration', 'aspect_ratio', 'cfg_scale', 'sound', 'camera_control', 'external_task_id', 'multi_shot', 'shot_type']).toContain(key);
		}
	});

	it('sends nothing of the camera fields when Camera Control is None, even with a movement saved', async () => {
		const result = await runKlingNode({
			parameters: createParams({ model: 'kling-v1', mode: 'std', duration: '5', cameraControl: 'none', cameraMovement: { pan: 4 } }),
			credentials: jwtCredentials(standIn),
		});

		expect(result.error).toBeUndefined();
		expect(createBodies(standIn)[0]).not.toHaveProperty('camera_control');
	});

	it('does not send a Model ID left over from choosing "Custom Model ID"', async () => {
		const result = await runKlingNode({
			parameters: createParams({ model: 'kling-v2-5-turbo', customModel: 'kling-v9-leftover' }),
			credentials: jwtCredentials(standIn),
		});

		expect(result.error).toBeUndefined();
		expect(createBodies(standIn)[0].model_name).toBe('kling-v2-5-turbo');
		expect(JSON.stringify(createBodies(standIn)[0])).not.toContain('leftover');
	});
});
