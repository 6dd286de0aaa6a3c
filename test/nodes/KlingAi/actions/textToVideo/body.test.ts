/**
 * Bad Create input is caught before anything is sent: the run fails with an error that names the
 * item and says how to fix it, and no request reaches Kling, for any item. With Continue On Fail
 * only the bad item becomes an error item.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { runKlingNode } from '../../../../helpers/engine';
import { createBodies, createParams, jwtCredentials, MODEL_FROM_ITEM, type RunError } from '../../../../helpers/kling-test-kit';
import { type KlingStandIn, startKlingStandIn } from '../../../../../stand-in';

interface BadInput {
	/** Parameters of the node; the items decide which one is bad. */
	parameters: INodeParameters;
	/** Three items: the second (item 1) is the bad one. */
	items: IDataObject[];
	message: RegExp;
	fix: RegExp;
}

const long = (length: number) => 'a'.repeat(length);
const camera = { model: 'kling-v1', mode: 'std', duration: '5', cameraControl: 'simple' };

const BAD_INPUTS: Array<[string, BadInput]> = [
	[
		'a custom model with an empty Model ID',
		{
			parameters: { model: 'custom', customModel: '={{ $json.id }}' },
			items: [{ id: 'kling-v2-6' }, { id: '' }, { id: 'kling-v1-6' }],
			message: /The model is empty/,
			fix: /type a model ID/,
		},
	],
	[
		'a prompt over 2500 characters',
		{
			parameters: { model: 'kling-v1', prompt: '={{ $json.prompt }}' },
			items: [{ prompt: 'fine' }, { prompt: long(2501) }, { prompt: 'fine too' }],
			message: /prompt is 2501 characters long; Kling takes at most 2500/,
			fix: /Shorten the prompt by 1 character/,
		},
	],
	[
		'a negative prompt over 2500 characters',
		{
			parameters: { model: 'kling-v1', options: { negativePrompt: '={{ $json.negative }}' } },
			items: [{ negative: 'blur' }, { negative: long(2600) }, { negative: '' }],
			message: /negative prompt is 2600 characters long/,
			fix: /Shorten the negative prompt by 100 characters/,
		},
	],
	[
		'a whitespace-only prompt',
		{
			parameters: { model: 'kling-v1', prompt: '={{ $json.prompt }}' },
			items: [{ prompt: 'fine' }, { prompt: ' \n\t ' }, { prompt: 'fine too' }],
			message: /prompt is empty/,
			fix: /Describe the video in Prompt/,
		},
	],
	[
		'a prompt expression that resolves to nothing',
		{
			parameters: { model: 'kling-v1', prompt: '={{ $json.text }}' },
			items: [{ text: 'fine' }, { title: 'no text field here' }, { text: 'fine too' }],
			message: /prompt is empty/,
			fix: /expression.*input item has that field/,
		},
	],
	[
		'a simple camera movement with no non-zero axis',
		{
			parameters: { ...camera, cameraMovement: { zoom: '={{ $json.zoom }}' } },
			items: [{ zoom: 3 }, { zoom: 0 }, { zoom: -2 }],
			message: /simple camera movement has no non-zero axis/,
			fix: /Set exactly one of horizontal, vertical, pan, tilt, roll, zoom/,
		},
	],
	[
		'a simple camera movement with two non-zero axes',
		{
			parameters: { ...camera, cameraMovement: { zoom: '={{ $json.zoom }}', pan: '={{ $json.pan }}' } },
			items: [
				{ zoom: 3, pan: 0 },
				{ zoom: 3, pan: 2 },
				{ zoom: 0, pan: 1 },
			],
			message: /sets 2 axes \(pan, zoom\); Kling takes exactly one/,
			fix: /Keep one of pan, zoom and set the others to 0/,
		},
	],
	[
		'a camera movement out of range (11, by expression)',
		{
			parameters: { ...camera, cameraMovement: { zoom: '={{ $json.zoom }}' } },
			items: [{ zoom: 10 }, { zoom: 11 }, { zoom: -10 }],
			message: /Camera movement zoom is 11; it must be a number from -10 to 10/,
			fix: /Set Camera movement zoom to a number from -10 to 10/,
		},
	],
	[
		'a CFG scale out of range (1.5, by expression)',
		{
			parameters: { model: 'kling-v1', cfgScale: '={{ $json.cfg }}' },
			items: [{ cfg: 0 }, { cfg: 1.5 }, { cfg: 1 }],
			message: /CFG Scale is 1.5; it must be a number from 0 to 1/,
			fix: /Set CFG Scale to a number from 0 to 1/,
		},
	],
	[
		'a CFG scale set for a V2 model chosen by expression',
		{
			parameters: { ...MODEL_FROM_ITEM, cfgScale: 0.8 },
			items: [{ model: 'kling-v1' }, { model: 'kling-v2-master' }, { model: 'kling-v1-6' }],
			message: /kling-v2-master does not support CFG Scale, but it is set to 0.8/,
			fix: /Remove CFG Scale .*kling-v1-6, kling-v1/,
		},
	],
	[
		'sound on for kling-v1-6 chosen by expression',
		{
			parameters: { ...MODEL_FROM_ITEM, mode: 'pro', sound: true },
			items: [{ model: 'kling-v2-6' }, { model: 'kling-v1-6' }, { model: 'kling-v2-6' }],
			message: /kling-v1-6 cannot generate sound, but Sound is on/,
			fix: /Turn Sound off, or choose a model with sound: kling-v3, kling-v2-6/,
		},
	],
	[
		'camera control on kling-v2-5-turbo chosen by expression',
		{
			parameters: { ...MODEL_FROM_ITEM, mode: 'std', duration: '5', cameraControl: 'forward_up' },
			items: [{ model: 'kling-v1' }, { model: 'kling-v2-5-turbo' }, { model: 'kling-v1' }],
			message: /Camera control does not work with kling-v2-5-turbo in std mode at 5 s/,
			fix: /Set Camera Control to None, or use kling-v1 in Standard mode with a 5 s duration/,
		},
	],
	[
		'mode pro for kling-v2-master chosen by expression',
		{
			parameters: { ...MODEL_FROM_ITEM, mode: 'pro' },
			items: [{ model: 'kling-v2-6' }, { model: 'kling-v2-master' }, { model: 'kling-v2-5-turbo' }],
			message: /kling-v2-master has no modes, but Mode is set to Professional/,
			fix: /Remove the mode, or choose a model with modes/,
		},
	],
];

describe('input validation before sending', () => {
	let standIn: KlingStandIn;

	beforeAll(async () => {
		standIn = await startKlingStandIn({ callbacks: false });
	});
	afterAll(async () => {
		await standIn.close();
	});
	beforeEach(() => standIn.reset());

	const run = (parameters: INodeParameters, items: IDataObject[], continueOnFail = false) =>
		runKlingNode({
			parameters: createParams(parameters),
			credentials: jwtCredentials(standIn),
			items: items.map((json): INodeExecutionData => ({ json })),
			continueOnFail,
		});

	function expectInputError(error: RunError | undefined, itemIndex: number, bad: BadInput) {
		expect(error).toBeDefined();
		expect(error!.name).toBe('NodeOperationError');
		expect(error!.message).toMatch(bad.message);
		expect(error!.message.endsWith(` [item ${itemIndex}]`)).toBe(true);
		expect(error!.context?.itemIndex).toBe(itemIndex);
		expect(error!.description).toMatch(bad.fix);
		expect(error!.description).toMatch(/Nothing was sent to Kling\.$/);
	}

	describe.each(BAD_INPUTS)('%s', (_label, bad) => {
		it('fails the run naming item 1 with the fix, and sends nothing for any item', async () => {
			const result = await run(bad.parameters, bad.items);

			expectInputError(result.error as RunError, 1, bad);
			expect(result.items).toEqual([]);
			expect(standIn.requests).toHaveLength(0);
			expect(standIn.tasks.size).toBe(0);
		});

		it('names item 0 when it is the only item', async () => {
			const result = await run(bad.parameters, [bad.items[1]]);

			expectInputError(result.error as RunError, 0, bad);
			expect(standIn.requests).toHaveLength(0);
		});

		it('with Continue On Fail, makes only item 1 an error item and creates the others', async () => {
			const result = await run(bad.parameters, bad.items, true);

			expect(result.error).toBeUndefined();
			expect(result.items).toHaveLength(3);
			expect(result.items[0].json.task_id).toEqual(expect.any(String));
			expect(result.items[1].json).not.toHaveProperty('task_id');
			expect(String(result.items[1].json.error)).toMatch(bad.message);
			expect(String(result.items[1].json.error)).toMatch(/\[item 1\]$/);
			expect(result.items[2].json.task_id).toEqual(expect.any(String));
			// only the two good items reached Kling, and Kling accepted them
			expect(createBodies(standIn)).toHaveLength(2);
			expect(standIn.requests.every((r) => r.status === 200)).toBe(true);
		});
	});

	it('an empty literal prompt is a parameter issue: n8n refuses to run, nothing is sent', async () => {
		await expect(run({ model: 'kling-v1', prompt: '' }, [{}])).rejects.toThrow(/workflow has issues/i);
		expect(standIn.requests).toHaveLength(0);
	});

	it('a literal whitespace-only prompt fails before sending', async () => {
		const result = await run({ model: 'kling-v1', prompt: '    ' }, [{}, {}]);

		expect(result.error?.message).toBe('The prompt is empty [item 0]');
		expect(standIn.requests).toHaveLength(0);
	});

	describe('what is allowed is sent', () => {
		test.each<[string, INodeParameters, IDataObject[], (bodies: Array<Record<string, unknown>>) => void]>([
			[
				'a V2 model by expression with CFG scale left at its default: sent without cfg_scale',
				{ ...MODEL_FROM_ITEM },
				[{ model: 'kling-v2-master' }, { model: 'kling-v2-1-master' }, { model: 'kling-v2-5-turbo' }],
				(bodies) => bodies.forEach((body) => expect(body).not.toHaveProperty('cfg_scale')),
			],
			[
				'kling-v1-6 by expression with Sound off: sent without sound',
				{ ...MODEL_FROM_ITEM, mode: 'pro', sound: false },
				[{ model: 'kling-v1-6' }],
				([body]) => expect(body).not.toHaveProperty('sound'),
			],
			[
				'kling-v2-6 by expression with Sound on in pro mode: sent as on',
				{ ...MODEL_FROM_ITEM, mode: 'pro', sound: true },
				[{ model: 'kling-v2-6' }],
				([body]) => expect(body.sound).toBe('on'),
			],
			[
				'kling-v2-5-turbo by expression with Camera Control None: sent without camera_control',
				{ ...MODEL_FROM_ITEM, cameraControl: 'none' },
				[{ model: 'kling-v2-5-turbo' }],
				([body]) => expect(body).not.toHaveProperty('camera_control'),
			],
			[
				'kling-v2-master by expression with Mode std: sent without mode',
				{ ...MODEL_FROM_ITEM, mode: 'std' },
				[{ model: 'kling-v2-master' }],
				([body]) => expect(body).not.toHaveProperty('mode'),
			],
			[
				'a prompt and a negative prompt of exactly 2500 characters',
				{ model: 'kling-v1', prompt: long(2500), options: { negativePrompt: long(2500) } },
				[{}],
				([body]) => {
					expect((body.prompt as string).length).toBe(2500);
					expect((body.negative_prompt as string).length).toBe(2500);
				},
			],
			[
				'camera movements at the limits, -10 and 10',
				{ ...camera, cameraMovement: { roll: '={{ $json.roll }}' } },
				[{ roll: -10 }, { roll: 10 }],
				(bodies) => expect(bodies.map((b) => (b.camera_control as { config: { roll: number } }).config.roll).sort()).toEqual([-10, 10]),
			],
			[
				'CFG scale at the limits, 0 and 1, by expression',
				{ model: 'kling-v1', cfgScale: '={{ $json.cfg }}' },
				[{ cfg: 0 }, { cfg: 1 }],
				(bodies) => expect(bodies.map((b) => b.cfg_scale).sort()).toEqual([0, 1]),
			],
		])('%s', async (_label, parameters, items, check) => {
			const result = await run(parameters, items);

			expect(result.error).toBeUndefined();
			expect(result.items).toHaveLength(items.length);
			expect(standIn.requests.map((r) => r.status)).toEqual(items.map(() => 200));
			check(createBodies(standIn));
		});
	});
});
