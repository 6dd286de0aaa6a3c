/**
 * The text-to-video resource: every Create rule of the official reference, the model-field modes of proxies, and listing.
 */
import { type KlingStandIn, type StandInOptions } from '../../stand-in';
import { CREATE, type CallOptions, call, useStandIn } from './helpers';

const suite = useStandIn();
const start = (options?: StandInOptions) => suite.start(options);
let api: KlingStandIn;
beforeAll(() => {
	api = suite.api;
});
const create = (body: unknown, opts: CallOptions = {}) => call(api.url, 'POST', CREATE, { body, ...opts });

describe('create validation', () => {
	const cameraSimple = (config: Record<string, unknown>) => ({ type: 'simple', config });
	const accepted: Array<[string, Record<string, unknown>]> = [
		['minimal body', { prompt: 'p' }],
		['all official fields', {
			model_name: 'kling-v1', prompt: 'p', negative_prompt: 'n', cfg_scale: 0.5, mode: 'pro',
			aspect_ratio: '9:16', duration: '10', external_task_id: 'ext-all',
		}],
		['prompt of exactly 2500 chars', { prompt: 'x'.repeat(2500) }],
		['camera preset on kling-v1 std 5 s', { prompt: 'p', mode: 'std', duration: '5', camera_control: { type: 'forward_up' } }],
		['camera preset with all-zero config', { prompt: 'p', camera_control: { type: 'down_back', config: { zoom: 0 } } }],
		['simple camera with one non-zero value', {
			prompt: 'p', camera_control: cameraSimple({ horizontal: 0, vertical: 0, pan: 0, tilt: 0, roll: 0, zoom: -10 }),
		}],
		['sound on kling-v2-6 pro', { model_name: 'kling-v2-6', prompt: 'p', mode: 'pro', sound: 'on' }],
		['mode on kling-v2-5-turbo', { model_name: 'kling-v2-5-turbo', prompt: 'p', mode: 'pro' }],
		['kling-v2-master without mode or cfg', { model_name: 'kling-v2-master', prompt: 'p', duration: '10' }],
	];
	it.each(accepted)('accepts %s', async (_name, body) => {
		const answer = await create(body);
		expect(answer.status).toBe(200);
		expect(answer.json.data).toMatchObject({ task_status: 'submitted', task_id: expect.any(String) });
		expect(api.tasks.size).toBe(1);
	});

	// every row has all four cells: jest passes a `done` callback in place of a missing last argument
	const rejected: Array<[string, Record<string, unknown> | unknown[], number, RegExp | undefined]> = [
		['an array body', [{ prompt: 'p' }], 1200, undefined],
		['an unknown field', { prompt: 'p', image_tail: 'x' }, 1200, /image_tail/],
		['a missing prompt', { negative_prompt: 'n' }, 1201, /prompt/],
		['an empty prompt', { prompt: '' }, 1201, /prompt/],
		['a prompt over 2500 chars', { prompt: 'x'.repeat(2501) }, 1201, /2500/],
		['a negative_prompt over 2500 chars', { prompt: 'p', negative_prompt: 'x'.repeat(2501) }, 1201, undefined],
		['a non-string negative_prompt', { prompt: 'p', negative_prompt: 3 }, 1201, undefined],
		['an unknown model', { prompt: 'p', model_name: 'kling-v9' }, 1201, /not supported/],
		['cfg_scale out of range', { prompt: 'p', cfg_scale: 1.5 }, 1201, undefined],
		['cfg_scale on a V2 model', { prompt: 'p', model_name: 'kling-v2-master', cfg_scale: 0.5 }, 1201,
			/cfg_scale is not supported by kling-v2-master/],
		['an unknown mode', { prompt: 'p', mode: 'turbo' }, 1201, undefined],
		['mode on kling-v2-1-master', { prompt: 'p', model_name: 'kling-v2-1-master', mode: 'std' }, 1201, undefined],
		['sound on kling-v1', { prompt: 'p', sound: 'off' }, 1201, undefined],
		['sound on kling-v2-6 std', { prompt: 'p', model_name: 'kling-v2-6', mode: 'std', sound: 'on' }, 1201, undefined],
		['sound on kling-v2-6 without mode (std)', { prompt: 'p', model_name: 'kling-v2-6', sound: 'on' }, 1201, undefined],
		['an unknown sound value', { prompt: 'p', model_name: 'kling-v2-6', mode: 'pro', sound: 'loud' }, 1201, undefined],
		['camera_control on kling-v1-6', { prompt: 'p', model_name: 'kling-v1-6', camera_control: { type: 'forward_up' } }, 1201, undefined],
		['camera_control on kling-v1 pro', { prompt: 'p', mode: 'pro', camera_control: { type: 'forward_up' } }, 1201, undefined],
		['camera_control with duration 10', { prompt: 'p', duration: '10', camera_control: { type: 'forward_up' } }, 1201, undefined],
		['an unknown camera type', { prompt: 'p', camera_control: { type: 'spin' } }, 1201, undefined],
		['simple camera without config', { prompt: 'p', camera_control: { type: 'simple' } }, 1201, undefined],
		['simple camera with two non-zero values', { prompt: 'p', camera_control: cameraSimple({ pan: 1, zoom: 2 }) }, 1201, undefined],
		['simple camera with all zeros', { prompt: 'p', camera_control: cameraSimple({ zoom: 0 }) }, 1201, undefined],
		['simple camera value out of range', { prompt: 'p', camera_control: cameraSimple({ zoom: 11 }) }, 1201, undefined],
		['simple camera with an unknown axis', { prompt: 'p', camera_control: cameraSimple({ dolly: 1 }) }, 1201, undefined],
		['a camera preset with config', { prompt: 'p', camera_control: { type: 'forward_up', config: { zoom: 3 } } }, 1201, undefined],
		['an unknown aspect_ratio', { prompt: 'p', aspect_ratio: '4:3' }, 1201, undefined],
		['a numeric duration', { prompt: 'p', duration: 5 }, 1201, undefined],
		['an unknown duration', { prompt: 'p', duration: '7' }, 1201, undefined],
		['a non-http callback_url', { prompt: 'p', callback_url: 'ftp://example.com/hook' }, 1201, undefined],
		['an empty external_task_id', { prompt: 'p', external_task_id: '' }, 1201, undefined],
	];
	it.each(rejected)('rejects %s', async (_name, body, code, message) => {
		const answer = await create(body);
		expect([answer.status, answer.json.code]).toEqual([400, code]);
		if (message) expect(answer.json.message).toMatch(message);
		expect(api.tasks.size).toBe(0);
		expect(api.requests[0]).toMatchObject({ kind: 'create', status: 400, code });
	});

	it('rejects bodies that are not JSON or not sent as JSON', async () => {
		expect((await create(undefined, { rawBody: '{"prompt":' })).json.code).toBe(1200);
		expect(api.requests[0].body).toBe('{"prompt":');
		expect((await create({ prompt: 'p' }, { contentType: 'text/plain' })).json.code).toBe(1200);
		expect(api.tasks.size).toBe(0);
	});

	it('rejects a duplicate external_task_id', async () => {
		expect((await create({ prompt: 'p', external_task_id: 'order-1' })).status).toBe(200);
		const duplicate = await create({ prompt: 'q', external_task_id: 'order-1' });
		expect([duplicate.status, duplicate.json.code]).toEqual([400, 1201]);
		expect(duplicate.json.message).toMatch(/duplicate external_task_id/);
		expect(api.tasks.size).toBe(1);
	});

	it('lets extra known models through with type checks only', async () => {
		const newer = await start({ knownModels: ['kling-v1', 'kling-v3'] });
		const answer = await call(newer.url, 'POST', CREATE, { body: { model_name: 'kling-v3', prompt: 'p', duration: '8' } });
		expect(answer.status).toBe(200);
		const removed = await call(newer.url, 'POST', CREATE, { body: { model_name: 'kling-v2-6', prompt: 'p' } });
		expect(removed.json.code).toBe(1201);
	});
});

describe('modelField', () => {
	it('official: reads model_name only; `model` alone silently runs kling-v1', async () => {
		expect((await create({ model: 'kling-v2-6', prompt: 'p' })).status).toBe(200);
		expect((await create({ model_name: 'kling-v2-6', prompt: 'p' })).status).toBe(200);
		expect([...api.tasks.values()].map((task) => task.model)).toEqual(['kling-v1', 'kling-v2-6']);
	});

	it("'model': reads model only", async () => {
		const proxy = await start({ modelField: 'model' });
		const post = (body: unknown) => call(proxy.url, 'POST', CREATE, { body });
		expect((await post({ prompt: 'p' })).json.code).toBe(1200);
		const withModelName = await post({ model_name: 'kling-v1', prompt: 'p' });
		expect([withModelName.status, withModelName.json.code]).toEqual([400, 1200]);
		expect(withModelName.json.message).toMatch(/model_name/);
		expect((await post({ model: 'kling-v9', prompt: 'p' })).json.code).toBe(1201);
		expect((await post({ model: 'kling-v1-6', prompt: 'p' })).status).toBe(200);
		expect([...proxy.tasks.values()].map((task) => task.model)).toEqual(['kling-v1-6']);
	});

	it("'either': accepts both names and rejects disagreement", async () => {
		const proxy = await start({ modelField: 'either' });
		const post = (body: unknown) => call(proxy.url, 'POST', CREATE, { body });
		expect((await post({ model: 'kling-v1', model_name: 'kling-v1-6', prompt: 'p' })).json.code).toBe(1201);
		expect((await post({ model: 'kling-v1-6', model_name: 'kling-v1-6', prompt: 'p' })).status).toBe(200);
		expect((await post({ model: 'kling-v2-master', prompt: 'p' })).status).toBe(200);
		expect((await post({ model_name: 'kling-v2-6', prompt: 'p' })).status).toBe(200);
		expect((await post({ prompt: 'p' })).status).toBe(200);
		expect([...proxy.tasks.values()].map((task) => task.model)).toEqual([
			'kling-v1-6', 'kling-v2-master', 'kling-v2-6', 'kling-v1',
		]);
	});
});

describe('list', () => {
	it('pages newest first', async () => {
		for (let i = 0; i < 5; i++) await create({ prompt: 'p', external_task_id: `e${i}` });
		const page = async (query: string) =>
			(await call(api.url, 'GET', `${CREATE}?${query}`)).json.data.map((task: { task_info: { external_task_id: string } }) => task.task_info.external_task_id);
		expect(await page('')).toEqual(['e4', 'e3', 'e2', 'e1', 'e0']);
		expect(await page('pageNum=1&pageSize=2')).toEqual(['e4', 'e3']);
		expect(await page('pageNum=3&pageSize=2')).toEqual(['e0']);
		expect(await page('pageNum=4&pageSize=2')).toEqual([]);
		expect(api.requests.at(-1)!.query).toEqual({ pageNum: '4', pageSize: '2' });
		// listing does not count as polling
		expect([...api.tasks.values()].every((task) => task.polls === 0)).toBe(true);
	});

	it.each(['pageSize=0', 'pageSize=501', 'pageSize=abc', 'pageSize=2.5', 'pageNum=0', 'pageNum=1001'])(
		'rejects %s',
		async (query) => {
			const answer = await call(api.url, 'GET', `${CREATE}?${query}`);
			expect([answer.status, answer.json.code]).toEqual([400, 1201]);
		},
	);

	it('accepts the bounds pageSize=500 and pageNum=1000', async () => {
		expect((await call(api.url, 'GET', `${CREATE}?pageSize=500&pageNum=1000`)).status).toBe(200);
	});
});

describe('Kling 3.0 (kling-v3) and the 2026 rules', () => {
	const v3 = (extra: Record<string, unknown>) => create({ model_name: 'kling-v3', prompt: 'p', ...extra });
	const code = async (answer: Promise<{ json: { code: number } }>) => (await answer).json.code;

	it('takes 3–15 s, 4K and sound in every mode; kling-v2-6 takes none of these', async () => {
		expect(await code(v3({ duration: '15', mode: '4k', sound: 'on' }))).toBe(0);
		expect(await code(v3({ duration: '3', mode: 'std', sound: 'on' }))).toBe(0);
		expect(await code(v3({ duration: '16' }))).toBe(1201);
		expect(await code(create({ model_name: 'kling-v2-6', prompt: 'p', mode: '4k' }))).toBe(1201);
		expect(await code(create({ model_name: 'kling-v2-6', prompt: 'p', duration: '12' }))).toBe(1201);
		expect(await code(v3({ cfg_scale: 0.5 }))).toBe(1201);
	});

	it('checks multi-shot: custom shots add up to the duration, 1–6 of them, indexed from 1; intelligence takes no list', async () => {
		const shot = (index: number, duration: string, prompt = `shot ${index}`) => ({ index, prompt, duration });
		expect(await code(v3({ duration: '8', multi_shot: true, shot_type: 'customize', multi_prompt: [shot(1, '3'), shot(2, '5')] }))).toBe(0);
		expect(await code(v3({ duration: '9', multi_shot: true, shot_type: 'customize', multi_prompt: [shot(1, '3'), shot(2, '5')] }))).toBe(1201);
		expect(await code(v3({ duration: '8', multi_shot: true, shot_type: 'customize', multi_prompt: [shot(2, '8')] }))).toBe(1201);
		expect(await code(v3({ duration: '5', multi_shot: true, shot_type: 'customize', multi_prompt: [shot(1, '5', 'x'.repeat(513))] }))).toBe(1201);
		expect(await code(v3({ duration: '5', multi_shot: true, shot_type: 'intelligence' }))).toBe(0);
		expect(await code(v3({ duration: '5', multi_shot: true, shot_type: 'intelligence', multi_prompt: [shot(1, '5')] }))).toBe(1201);
		expect(await code(create({ model_name: 'kling-v2-6', prompt: 'p', multi_shot: true, shot_type: 'intelligence' }))).toBe(1201);
	});

	it('answers a retired model as Kling does, and the proxy dialect takes cfg_scale up to 100 and image_tail', async () => {
		const retired = await start({ retiredModels: ['kling-v1'] });
		const answer = await call(retired.url, 'POST', CREATE, { body: { model_name: 'kling-v1', prompt: 'p' } });
		expect([answer.status, answer.json.code, answer.json.message]).toEqual([400, 1201, "The model 'kling-v1' has been discontinued"]);

		const proxy = await start({ dialect: 'proxy' });
		const body = { model_name: 'kling-v1-6', prompt: 'p', cfg_scale: 50, image_tail: 'https://example.com/last.png' };
		expect((await call(proxy.url, 'POST', CREATE, { body })).json.code).toBe(0);
		expect(await code(create(body))).toBe(1200);
		expect((await call(proxy.url, 'POST', CREATE, { body: { ...body, cfg_scale: 101 } })).json.code).toBe(1201);
	});
});
