/**
 * Kling as it is in 2026: Kling 3.0 on the text-to-video endpoint (3–15 s, 4K, sound in every mode,
 * multi-shot), retired models named in the error with a current one to pick, and the proxy dialect
 * (CFG Scale 0–100 declared by the credential). Through n8n's engine against the strict stand-in,
 * which knows the same rules.
 */
import { runKlingNode } from '../../../../helpers/engine';
import { apiKeyCredentials, createBodies, createParams, jwtCredentials, type RunError } from '../../../../helpers/kling-test-kit';
import { type KlingStandIn, startKlingStandIn } from '../../../../../stand-in';
import { memoryBinary, testPng } from '../../../../helpers/image-kit';

let standIn: KlingStandIn;
beforeAll(async () => {
	standIn = await startKlingStandIn({ callbacks: false, retiredModels: ['kling-v1'] });
});
afterAll(async () => await standIn.close());
beforeEach(() => standIn.reset());

const shots = (...list: Array<[string, number]>) => ({ shot: list.map(([prompt, duration]) => ({ prompt, duration })) });

async function create(parameters: Record<string, unknown>, credentials = jwtCredentials(standIn)) {
	return await runKlingNode({ parameters: createParams({ model: 'kling-v3', ...parameters }), credentials });
}

async function refused(parameters: Record<string, unknown>, message: RegExp, fix: RegExp, credentials = jwtCredentials(standIn)) {
	const { error } = await create(parameters, credentials);
	const e = error as RunError;
	expect(e?.message).toMatch(message);
	expect(e?.message).toMatch(/\[item 0\]$/);
	expect(e?.description).toMatch(fix);
	expect(e?.description).toMatch(/Nothing was sent to Kling\.$/);
	expect(standIn.requests).toHaveLength(0);
}

describe('Kling 3.0 on text-to-video', () => {
	it('sends a 12 s 4K video with sound and three custom shots exactly as Kling names them', async () => {
		const { error } = await create({
			mode: '4k',
			duration: '12',
			sound: true,
			multiShot: true,
			shotType: 'customize',
			shots: shots(['Wide: a lighthouse at dusk', 3], ['Close-up: the lamp turns on', 4], ['Aerial: waves below', 5]),
		});

		expect(error).toBeUndefined();
		const [body] = createBodies(standIn);
		expect(body).toEqual({
			model_name: 'kling-v3',
			prompt: 'A red fox running through fresh snow at sunrise',
			mode: '4k',
			duration: '12',
			aspect_ratio: '16:9',
			sound: 'on',
			multi_shot: true,
			shot_type: 'customize',
			multi_prompt: [
				{ index: 1, prompt: 'Wide: a lighthouse at dusk', duration: '3' },
				{ index: 2, prompt: 'Close-up: the lamp turns on', duration: '4' },
				{ index: 3, prompt: 'Aerial: waves below', duration: '5' },
			],
			external_task_id: expect.any(String),
		});
	});

	it('with Intelligent shots sends the shot type and no shot list (Kling splits the prompt)', async () => {
		const { error } = await create({ duration: '15', multiShot: true, shotType: 'intelligence' });

		expect(error).toBeUndefined();
		const [body] = createBodies(standIn);
		expect(body).toMatchObject({ multi_shot: true, shot_type: 'intelligence', duration: '15' });
		expect(body).not.toHaveProperty('multi_prompt');
	});

	it('makes sound in Standard mode too (Kling 2.6 does not)', async () => {
		await create({ mode: 'std', sound: true });
		await create({ model: 'kling-v2-6', mode: 'std', sound: true });

		const [v3, v26] = createBodies(standIn);
		expect(v3.sound).toBe('on');
		expect(v26).not.toHaveProperty('sound');
	});

	describe('is checked before anything is sent', () => {
		it('shots that do not add up to the duration', async () => {
			await refused(
				{ duration: '10', multiShot: true, shots: shots(['one', 3], ['two', 4]) },
				/The shots last 7 s together, but the video is 10 s/,
				/add up to the Duration \(10 s\), or change the Duration to 7 s/,
			);
		});
		it('a shot without a prompt', async () => {
			await refused({ duration: '6', multiShot: true, shots: shots(['one', 3], [' ', 3]) }, /The prompt of shot 2 is empty/, /Describe what shot 2 shows/);
		});
		it('a shot prompt over 512 characters', async () => {
			await refused(
				{ duration: '5', multiShot: true, shots: shots(['x'.repeat(513), 5]) },
				/The prompt of shot 1 is 513 characters long; Kling takes at most 512 per shot/,
				/Shorten it by 1 characters/,
			);
		});
		it('no shots', async () => {
			await refused({ duration: '5', multiShot: true, shots: {} }, /needs 1 to 6 shots, and 0 are set/, /Add between 1 and 6 shots/);
		});
		it('seven shots: the editor allows six, and n8n refuses the workflow before the node runs', async () => {
			const seven = shots(...Array.from({ length: 7 }, (_, i): [string, number] => [`s${i}`, 1]));
			await expect(create({ duration: '7', multiShot: true, shots: seven })).rejects.toThrow(/workflow has issues/);
			expect(standIn.requests).toHaveLength(0);
		});
		it('multi-shot for a model without it (by expression)', async () => {
			await refused(
				{ model: '={{ "kling-v2-6" }}', multiShot: true, shotType: 'intelligence' },
				/kling-v2-6 cannot make multi-shot videos, but Multi-Shot is on/,
				/Turn Multi-Shot off, or choose kling-v3/,
			);
		});
		it('4K or 12 s for a model that does not make them', async () => {
			await refused({ model: 'kling-v2-6', mode: '4k' }, /kling-v2-6 has no 4K mode/, /Use Standard or Professional, or choose kling-v3/);
			await refused({ model: 'kling-v2-6', duration: '12' }, /kling-v2-6 makes videos of 5 or 10 seconds/, /choose kling-v3 for 3–15 s/);
		});
	});
});

describe('retired models', () => {
	it('a model Kling says is discontinued: the error names it and the current models, without a retry', async () => {
		const { error } = await create({ model: 'kling-v1', mode: 'std' });

		const e = error as RunError;
		expect(e.message).toBe('Kling no longer runs the model kling-v1 (code 1201) [item 0]');
		expect(e.description).toMatch(/^Choose a current model: Kling 3\.0 \(kling-v3\), Kling 2\.6 \(kling-v2-6\), Kling 2\.5 Turbo \(kling-v2-5-turbo\)\./);
		expect(e.description).toContain(`Kling said: "The model 'kling-v1' has been discontinued"`);
		expect(standIn.requests).toHaveLength(1);
	});
});

describe('CFG Scale range, declared by the credential', () => {
	let proxy: KlingStandIn;
	beforeAll(async () => {
		proxy = await startKlingStandIn({ callbacks: false, apiKeys: ['sk-test-proxy-key-123'], dialect: 'proxy' });
	});
	afterAll(async () => await proxy.close());

	it('the official API takes 0–1: 5 is refused per item, nothing sent', async () => {
		await refused({ model: 'kling-v1-6', cfgScale: 5 }, /CFG Scale is 5; it must be a number from 0 to 1/, /Set CFG Scale to a number from 0 to 1/);
	});

	it('a proxy credential declaring 0–100 sends 50, and the proxy takes it', async () => {
		const { error } = await runKlingNode({
			parameters: createParams({ model: 'kling-v1-6', cfgScale: 50 }),
			credentials: apiKeyCredentials(proxy, { cfgScaleRange: '0-100' }),
		});

		expect(error).toBeUndefined();
		expect(createBodies(proxy)[0].cfg_scale).toBe(50);
	});

	it('the official stand-in refuses 0–100 values as Kling does, the proxy one takes them', async () => {
		expect(standIn.requests).toHaveLength(0);
		const direct = async (target: KlingStandIn, key: string) =>
			(await (
				await fetch(`${target.url}/v1/videos/text2video`, {
					method: 'POST',
					headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
					body: JSON.stringify({ model_name: 'kling-v1-6', prompt: 'p', cfg_scale: 50, image_tail: 'https://example.com/t.png' }),
				})
			).json()) as { code: number };
		const official = await startKlingStandIn({ callbacks: false, apiKeys: ['k-official'] });
		try {
			expect((await direct(official, 'k-official')).code).toBe(1200);
			expect((await direct(proxy, 'sk-test-proxy-key-123')).code).toBe(0);
		} finally {
			await official.close();
		}
	});
});

describe('tail frame on text-to-video (the proxy dialect)', () => {
	let proxy: KlingStandIn;
	beforeAll(async () => {
		proxy = await startKlingStandIn({ callbacks: false, apiKeys: ['sk-test-proxy-key-123'], dialect: 'proxy' });
	});
	afterAll(async () => await proxy.close());
	beforeEach(() => proxy.reset());

	it('a proxy credential sends an image URL, or the item\'s binary image base64-encoded without prefix', async () => {
		const png = testPng(400, 300, 'tail');
		const { error } = await runKlingNode({
			parameters: createParams({ model: 'kling-v2-6', options: { tailFrameImage: '={{ $json.tail }}' } }),
			credentials: apiKeyCredentials(proxy),
			items: [{ json: { tail: 'https://example.com/last.png' } }, { json: { tail: 'frame' }, binary: { frame: memoryBinary(png) } }],
		});

		expect(error).toBeUndefined();
		const bodies = createBodies(proxy);
		expect(bodies.map((body) => body.image_tail)).toEqual(['https://example.com/last.png', png.toString('base64')]);
	});

	it('the official API refuses it per item, says Image to Video has one, and sends nothing', async () => {
		await refused(
			{ model: 'kling-v2-6', options: { tailFrameImage: 'https://example.com/last.png' } },
			/The official Kling API has no tail frame on text-to-video/,
			/use the Image to Video resource/,
			{ ...jwtCredentials(standIn), region: 'global' } as never,
		);
	});

	it('a base64 tail frame that is not an image is refused before sending', async () => {
		const { error } = await runKlingNode({
			parameters: createParams({ model: 'kling-v2-6', options: { tailFrameImage: Buffer.from('not an image at all').toString('base64') } }),
			credentials: apiKeyCredentials(proxy),
		});

		expect((error as RunError).message).toMatch(/tail frame image/);
		expect(proxy.requests).toHaveLength(0);
	});
});
