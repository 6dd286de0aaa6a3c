/**
 * An image-to-video field the editor hides for the chosen model, mode and duration is never sent, even
 * when the node's saved parameters still hold a value for it (set while another model was selected).
 * The strict stand-in, which refuses any field a model does not take (and the exclusions), must accept
 * every one of these requests.
 */
import { IMAGE_TO_VIDEO_MODELS, worksIn, type ImageToVideoModel } from '../../../../nodes/KlingAi/models/imageToVideo';
import { runKlingNode } from '../../../helpers/engine';
import { i2vParams } from '../../../helpers/image-kit';
import { createBodies, jwtCredentials } from '../../../helpers/kling-test-kit';
import { type KlingStandIn, startKlingStandIn } from '../../../../stand-in';

/** Every model-specific field set away from its default; one of tail / brush / camera at a time (they exclude each other). */
const SAVED = { imageCfgScale: 0.9, imageSound: true, imageCameraMovement: { zoom: 5 }, staticMaskUrl: 'https://example.com/m.png', tailImageUrl: 'https://example.com/end.png' };
const FEATURES = {
	tail: { tailFrame: 'url' },
	camera: { imageCameraControl: 'simple' },
	brush: { motionBrush: true, staticMaskInputType: 'url' },
} as const;

const cases = IMAGE_TO_VIDEO_MODELS.flatMap((model) =>
	(model.modes.length > 0 ? model.modes : (['pro'] as const)).flatMap((mode) =>
		['5', '10'].flatMap((duration) => (Object.keys(FEATURES) as Array<keyof typeof FEATURES>).map((feature) => [model.id, mode, duration, feature, model] as const)),
	),
);

describe('image-to-video hidden fields are never sent', () => {
	let standIn: KlingStandIn;
	beforeAll(async () => {
		standIn = await startKlingStandIn({ callbacks: false });
	});
	afterAll(async () => {
		await standIn.close();
	});
	beforeEach(() => standIn.reset());

	test.each(cases)('%s, mode %s, %s s, with %s set', async (id, mode, duration, feature, model: ImageToVideoModel) => {
		const result = await runKlingNode({
			parameters: i2vParams({ model: id, mode, duration, ...SAVED, ...FEATURES[feature] }),
			credentials: jwtCredentials(standIn),
		});
		expect(result.error).toBeUndefined();
		expect(standIn.requests.map((r) => r.status)).toEqual([200]);
		const [body] = createBodies(standIn);
		const effectiveMode = model.modes.length > 0 ? mode : 'std';
		const soundSent = model.soundModes.includes(effectiveMode as 'std' | 'pro');
		expect('mode' in body).toBe(model.modes.length > 0);
		expect('cfg_scale' in body).toBe(model.cfgScale);
		expect('sound' in body).toBe(soundSent);
		// Sound is on where sent, so a silent-only tail frame stays hidden there
		const tail = model.modes.length > 0 && worksIn(model.tailFrame, mode, duration) && !(model.tailFrame?.silentOnly && soundSent);
		expect('image_tail' in body).toBe(feature === 'tail' && tail);
		expect('camera_control' in body).toBe(feature === 'camera' && model.modes.length > 0 && worksIn(model.cameraControl, mode, duration));
		expect('static_mask' in body).toBe(feature === 'brush' && model.modes.length > 0 && worksIn(model.motionBrush, mode, duration));
		for (const key of Object.keys(body)) {
			expect(['model_name', 'image', 'image_tail', 'mode', 'duration', 'cfg_scale', 'sound', 'camera_control', 'static_mask', 'external_task_id']).toContain(key);
		}
	});
});
