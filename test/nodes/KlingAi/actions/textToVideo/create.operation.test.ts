/**
 * Create (without waiting): every field of the official API reaches Kling as documented, per model,
 * per item, and the output has one item per input item, in order.
 */
import type { IDataObject } from 'n8n-workflow';

import { runKlingNode } from '../../../../helpers/engine';
import { createBodies, createParams, jwtCredentials, MODEL_FROM_ITEM } from '../../../../helpers/kling-test-kit';
import { DEFAULT_MODELS, type KlingStandIn, startKlingStandIn } from '../../../../../stand-in';

const AXES = ['horizontal', 'vertical', 'pan', 'tilt', 'roll', 'zoom'] as const;

/** The external task ID the node makes when none is given: n8n-<run>-<node>-<item index>. */
const AUTO_EXTERNAL_ID = /^n8n-[0-9a-f]{8}-[A-Za-z0-9]+-[A-Za-z0-9]+-\d+-\d+-[0-9a-f]{8}$/;

describe('Create', () => {
	let standIn: KlingStandIn;

	beforeAll(async () => {
		standIn = await startKlingStandIn({ callbacks: false, knownModels: [...DEFAULT_MODELS, 'kling-v4-preview'] });
	});
	afterAll(async () => {
		await standIn.close();
	});
	beforeEach(() => standIn.reset());

	const create = (parameters: Parameters<typeof createParams>[0], items?: Array<{ json: IDataObject }>) =>
		runKlingNode({ parameters: createParams(parameters), credentials: jwtCredentials(standIn), items });

	/** Runs one Create and returns the single body the stand-in received (and accepted). */
	async function sentBody(parameters: Parameters<typeof createParams>[0]) {
		const result = await create(parameters);
		expect(result.error).toBeUndefined();
		const bodies = createBodies(standIn);
		expect(bodies).toHaveLength(1);
		// With your own external task ID the node first asks whether it is taken (404/1203: it is not).
		expect(standIn.requests.map((r) => `${r.kind} ${r.status}`)).toEqual([...(String((parameters.options as IDataObject | undefined)?.externalTaskId ?? '').trim() ? ['get 404'] : []), 'create 200']);
		return bodies[0];
	}

	describe('sends every official field as documented', () => {
		it('kling-v1 with prompt, negative prompt, mode, duration, aspect ratio, CFG scale, camera preset, callback URL and external ID', async () => {
			const body = await sentBody({
				model: 'kling-v1',
				prompt: 'Walking through a misty forest',
				mode: 'std',
				duration: '5',
				aspectRatio: '9:16',
				cfgScale: 0.8,
				cameraControl: 'forward_up',
				options: {
					negativePrompt: 'people, text, watermark',
					callbackUrl: 'https://example.com/webhook/kling',
					externalTaskId: 'order-1234-video',
				},
			});

			expect(body).toEqual({
				model_name: 'kling-v1',
				prompt: 'Walking through a misty forest',
				negative_prompt: 'people, text, watermark',
				mode: 'std',
				duration: '5',
				aspect_ratio: '9:16',
				cfg_scale: 0.8,
				camera_control: { type: 'forward_up' },
				callback_url: 'https://example.com/webhook/kling',
				external_task_id: 'order-1234-video',
			});
		});

		it('sends the defaults of the reference when nothing is changed: std, 5 s, 16:9', async () => {
			const body = await sentBody({ model: 'kling-v2-5-turbo', prompt: 'Ocean waves' });
			expect(body).toEqual({
				model_name: 'kling-v2-5-turbo',
				prompt: 'Ocean waves',
				mode: 'std',
				duration: '5',
				aspect_ratio: '16:9',
				// made by the node so that a retried Create can find its task instead of paying twice
				external_task_id: expect.stringMatching(AUTO_EXTERNAL_ID),
			});
		});

		test.each([
			['pro', '10', '1:1'],
			['std', '10', '16:9'],
			['pro', '5', '9:16'],
		])('mode %s, duration %s, aspect ratio %s', async (mode, duration, aspectRatio) => {
			const body = await sentBody({ model: 'kling-v1-6', mode, duration, aspectRatio });
			expect(body).toMatchObject({ mode, duration, aspect_ratio: aspectRatio });
			expect(typeof body.duration).toBe('string');
		});

		test.each([0, 0.25, 1])('CFG scale %s on kling-v1 is sent as a number', async (cfgScale) => {
			const body = await sentBody({ model: 'kling-v1', cfgScale });
			expect(body.cfg_scale).toBe(cfgScale);
		});

		test.each(['down_back', 'forward_up', 'right_turn_forward', 'left_turn_forward'])(
			'camera preset %s is sent as its type alone',
			async (type) => {
				const body = await sentBody({ model: 'kling-v1', mode: 'std', duration: '5', cameraControl: type });
				expect(body.camera_control).toEqual({ type });
			},
		);

		test.each(AXES.map((axis, index) => [axis, index % 2 === 0 ? -(index + 3) : index + 3] as const))(
			'simple camera movement on %s (%s) is sent with all six axes, the others 0',
			async (axis, value) => {
				const body = await sentBody({
					model: 'kling-v1',
					mode: 'std',
					duration: '5',
					cameraControl: 'simple',
					cameraMovement: { [axis]: value },
				});
				const config = Object.fromEntries(AXES.map((a) => [a, a === axis ? value : 0]));
				expect(body.camera_control).toEqual({ type: 'simple', config });
			},
		);

		it('no camera control is sent when it is None', async () => {
			const body = await sentBody({ model: 'kling-v1', cameraControl: 'none' });
			expect(body).not.toHaveProperty('camera_control');
		});

		it('empty options are not sent (an empty external task ID is replaced by the node\'s own)', async () => {
			const body = await sentBody({ model: 'kling-v1', options: { negativePrompt: '  ', callbackUrl: '', externalTaskId: ' ' } });
			expect(Object.keys(body).sort()).toEqual(['aspect_ratio', 'cfg_scale', 'duration', 'external_task_id', 'mode', 'model_name', 'prompt']);
			expect(body.external_task_id).toMatch(AUTO_EXTERNAL_ID);
		});

		it('without an external task ID, every item of every run gets its own, unique in the account', async () => {
			const first = await create({ model: 'kling-v1' }, [{ json: {} }, { json: {} }, { json: {} }]);
			const second = await create({ model: 'kling-v1' }, [{ json: {} }]);

			expect(first.error).toBeUndefined();
			expect(second.error).toBeUndefined();
			const ids = createBodies(standIn).map((body) => body.external_task_id as string);
			expect(ids).toHaveLength(4);
			ids.forEach((id) => expect(id).toMatch(AUTO_EXTERNAL_ID));
			expect(new Set(ids).size).toBe(4);
			// and the output says which one each task got
			expect(first.items.map((item) => item.json.external_task_id).sort()).toEqual(ids.slice(0, 3).sort());
		});

		it('the external task ID is trimmed, and Kling knows the task by it', async () => {
			const body = await sentBody({ model: 'kling-v1', options: { externalTaskId: '  order-77  ' } });
			expect(body.external_task_id).toBe('order-77');
			expect([...standIn.tasks.values()][0].external_task_id).toBe('order-77');
		});
	});

	describe('sound', () => {
		it('is sent as "on" for kling-v2-6 in Professional mode', async () => {
			const body = await sentBody({ model: 'kling-v2-6', mode: 'pro', sound: true });
			expect(body).toMatchObject({ model_name: 'kling-v2-6', mode: 'pro', sound: 'on' });
		});

		it('is sent as "off" for kling-v2-6 in Professional mode when switched off', async () => {
			const body = await sentBody({ model: 'kling-v2-6', mode: 'pro', sound: false });
			expect(body.sound).toBe('off');
		});

		test.each([true, false])('is not sent for kling-v2-6 in Standard mode (switch %s)', async (sound) => {
			const body = await sentBody({ model: 'kling-v2-6', mode: 'std', sound });
			expect(body).not.toHaveProperty('sound');
			expect(body.mode).toBe('std');
		});
	});

	describe('custom model ID', () => {
		it('passes a model the node does not list through as typed (trimmed)', async () => {
			const body = await sentBody({ model: 'custom', customModel: ' kling-v4-preview ', mode: 'pro', duration: '5' });

			expect(body.model_name).toBe('kling-v4-preview');
			expect([...standIn.tasks.values()][0].model).toBe('kling-v4-preview');
		});

		it('keeps the CFG scale default out of the request, and sends a value the user set', async () => {
			const untouched = await sentBody({ model: 'custom', customModel: 'kling-v4-preview' });
			expect(untouched).not.toHaveProperty('cfg_scale');
			standIn.reset();
			const set = await sentBody({ model: 'custom', customModel: 'kling-v4-preview', cfgScale: 0.7 });
			expect(set.cfg_scale).toBe(0.7);
		});
	});

	describe('model by expression', () => {
		it('uses each item\'s own model, dropping what that model does not take', async () => {
			const models = ['kling-v1', 'kling-v2-6', 'kling-v2-master'];

			const result = await create(
				{ ...MODEL_FROM_ITEM, prompt: '={{ "clip for " + $json.model }}' },
				models.map((model) => ({ json: { model } })),
			);

			expect(result.error).toBeUndefined();
			expect(result.items).toHaveLength(3);
			// the items come out in input order, each with the task made for its own model
			result.items.forEach((item, index) => {
				const task = standIn.tasks.get(item.json.task_id as string)!;
				expect(task.model).toBe(models[index]);
				expect(task.body.prompt).toBe(`clip for ${models[index]}`);
			});
			const byModel = Object.fromEntries(createBodies(standIn).map((body) => [body.model_name, body]));
			expect(Object.keys(byModel).sort()).toEqual([...models].sort());
			// kling-v1 takes cfg_scale (default sent), V2 models do not; kling-v2-master takes no mode
			expect(byModel['kling-v1']).toMatchObject({ cfg_scale: 0.5, mode: 'std' });
			expect(byModel['kling-v2-6']).not.toHaveProperty('cfg_scale');
			expect(byModel['kling-v2-6']).not.toHaveProperty('sound');
			expect(byModel['kling-v2-master']).not.toHaveProperty('cfg_scale');
			expect(byModel['kling-v2-master']).not.toHaveProperty('mode');
		});

		/*
		 * With the model set by expression n8n shows every field the model controls, Model ID
		 * (customModel) included. Model ID is not `required`, so leaving it empty is no parameter
		 * issue and n8n runs the workflow (a required one would stop it with WorkflowHasIssuesError).
		 */
		it('runs with the model by expression alone, without anything typed into Model ID', async () => {
			const result = await create({ model: '={{ $json.model }}' }, [{ json: { model: 'kling-v2-6' } }]);

			expect(result.error).toBeUndefined();
			expect(createBodies(standIn)[0].model_name).toBe('kling-v2-6');
		});
	});

	describe('output', () => {
		it('is simplified by default: the task ID, its status and empty video fields', async () => {
			const result = await create({ model: 'kling-v1', options: { externalTaskId: 'simple-1' } });

			expect(result.error).toBeUndefined();
			const [task] = [...standIn.tasks.values()];
			expect(result.items[0].json).toEqual({
				task_id: task.task_id,
				task_status: 'submitted',
				task_status_msg: '',
				video_url: null,
				video_urls: [],
				duration: null,
				external_task_id: 'simple-1',
				created_at: new Date(task.createdAt).toISOString(),
				updated_at: new Date(task.createdAt).toISOString(),
			});
		});

		it('is Kling\'s own answer when Simplify is off', async () => {
			const result = await create({ model: 'kling-v1', simplify: false, options: { externalTaskId: 'raw-1' } });

			const [task] = [...standIn.tasks.values()];
			expect(result.items[0].json).toEqual({
				task_id: task.task_id,
				task_status: 'submitted',
				task_info: { external_task_id: 'raw-1' },
				created_at: task.createdAt,
				updated_at: task.createdAt,
			});
		});

		it('has one item per input item, in input order, each paired with its input', async () => {
			const prompts = ['first', 'second', 'third', 'fourth', 'fifth'];

			const result = await create({ model: 'kling-v1', prompt: '={{ $json.p }}' }, prompts.map((p) => ({ json: { p } })));

			expect(result.error).toBeUndefined();
			expect(result.items).toHaveLength(prompts.length);
			expect(result.items.map((item) => standIn.tasks.get(item.json.task_id as string)?.body.prompt)).toEqual(prompts);
			expect(result.items.map((item) => item.pairedItem)).toEqual(prompts.map((_, item) => ({ item })));
			expect(new Set(result.items.map((item) => item.json.task_id)).size).toBe(prompts.length);
		});
	});
});
