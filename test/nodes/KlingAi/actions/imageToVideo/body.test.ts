/**
 * Bad image-to-video input is caught before anything is sent: the run fails with an error that names
 * the item, the field and the fix, and no request reaches Kling (the stand-in sees nothing). With
 * Continue On Fail only the bad item becomes an error item.
 */
import type { IDataObject, INodeExecutionData, INodeParameters } from 'n8n-workflow';

import { runKlingNode } from '../../../../helpers/engine';
import { i2vParams, memoryBinary, pngBase64, testJpeg, testPng } from '../../../../helpers/image-kit';
import { jwtCredentials, type RunError } from '../../../../helpers/kling-test-kit';
import { type KlingStandIn, startKlingStandIn } from '../../../../../stand-in';

interface BadInput {
	parameters: INodeParameters;
	/** The bad item, and a good one run beside it (null: the rule is in the node's parameters, every item is bad). */
	bad: INodeExecutionData;
	good: INodeExecutionData | null;
	message: RegExp;
	fix: RegExp;
}

const GOOD = pngBase64(320, 320, 'good');
const b64 = (field = 'photo'): INodeParameters => ({ imageInputType: 'base64', imageBase64: `={{ $json.${field} }}` });
const item = (json: IDataObject, binary?: INodeExecutionData['binary']): INodeExecutionData => ({ json, binary });
const points = (n: number) => Array.from({ length: n }, (_, i) => `${i},${i}`).join(' ');
const brush = (extra: IDataObject) => ({ model: 'kling-v1', mode: 'std', duration: '5', motionBrush: true, ...extra });

const BAD_INPUTS: Array<[string, BadInput]> = [
	['an empty image URL', { parameters: { imageUrl: '={{ $json.url }}' }, bad: item({ url: '' }), good: item({ url: 'https://example.com/a.png' }), message: /The image URL is empty/, fix: /Enter the URL of a JPG or PNG image/ }],
	['an image URL that is not http(s)', { parameters: { imageUrl: '={{ $json.url }}' }, bad: item({ url: 'ftp://example.com/a.png' }), good: item({ url: 'https://example.com/a.png' }), message: /image URL "ftp:.*" is not an http\(s\) URL/, fix: /Base64 or Binary File/ }],
	['base64 that is not base64', { parameters: b64(), bad: item({ photo: 'not base64 at all!' }), good: item({ photo: GOOD }), message: /image base64 is not valid base64/, fix: /URL-safe base64/ }],
	['base64 of a GIF', { parameters: b64(), bad: item({ photo: Buffer.from('GIF89a-some-gif-bytes').toString('base64') }), good: item({ photo: GOOD }), message: /The image is a GIF; Kling takes JPG or PNG images/, fix: /Convert the image to JPG or PNG/ }],
	['base64 of an HTML page', { parameters: b64(), bad: item({ photo: Buffer.from('<html>403</html>').toString('base64') }), good: item({ photo: GOOD }), message: /text \(HTML or XML\), not an image/, fix: /Convert the image/ }],
	['an image of 299 px', { parameters: b64(), bad: item({ photo: pngBase64(299, 600) }), good: item({ photo: GOOD }), message: /The image is 299×600 px; Kling needs at least 300 px/, fix: /Use a larger image/ }],
	['an image wider than 2.5:1', { parameters: b64(), bad: item({ photo: testJpeg(1001, 400).toString('base64') }), good: item({ photo: GOOD }), message: /1001×400 px, an aspect ratio of 2.50:1; Kling takes 1:2.5 to 2.5:1/, fix: /Crop the image/ }],
	['an image over 10 MB (binary)', { parameters: { imageInputType: 'binary', imageBinaryProperty: 'data' }, bad: item({}, { data: memoryBinary(testPng(300, 300, 'big', 10 * 1024 * 1024 + 10)) }), good: item({}, { data: memoryBinary(testPng(300, 300)) }), message: /The image \("photo.png"\) is 10.0 MB; Kling takes at most 10.0 MB/, fix: /Compress or scale down/ }],
	['a missing binary property', { parameters: { imageInputType: 'binary', imageBinaryProperty: 'photo' }, bad: item({}, { data: memoryBinary(testPng(300, 300)) }), good: item({}, { photo: memoryBinary(testPng(300, 300)) }), message: /The input item has no binary property "photo" for the image/, fix: /Use one of its binary properties: data/ }],
	['an item without binary data', { parameters: { imageInputType: 'binary', imageBinaryProperty: 'data' }, bad: item({}), good: item({}, { data: memoryBinary(testPng(300, 300)) }), message: /no binary property "data"/, fix: /The item has no binary data/ }],
	['a tail frame on kling-v1 in Professional mode', { parameters: { model: 'kling-v1', mode: '={{ $json.mode }}', tailFrame: 'url', tailImageUrl: 'https://example.com/end.png' }, bad: item({ mode: 'pro' }), good: item({ mode: 'std' }), message: /A tail frame does not work with kling-v1 in pro mode at 5 s \(kling-v1 takes a tail frame \(image_tail\) only in Standard mode at 5 s\)/, fix: /Set Tail Frame to None/ }],
	['a tail frame on kling-v1-6 in Standard mode', { parameters: { model: 'kling-v1-6', mode: '={{ $json.mode }}', tailFrame: 'url', tailImageUrl: 'https://example.com/end.png' }, bad: item({ mode: 'std' }), good: item({ mode: 'pro' }), message: /A tail frame does not work with kling-v1-6 in std mode/, fix: /Set Tail Frame to None/ }],
	['a tail frame on kling-v2-6 with sound', { parameters: { model: 'kling-v2-6', mode: 'pro', imageSound: '={{ $json.sound }}', tailFrame: 'url', tailImageUrl: 'https://example.com/end.png' }, bad: item({ sound: true }), good: item({ sound: false }), message: /kling-v2-6 makes videos with a tail frame only without sound, but Sound is on/, fix: /Turn Sound off, or set Tail Frame to None/ }],
	['a tail frame image that is too small', { parameters: { model: 'kling-v2-1', mode: 'pro', tailFrame: 'base64', tailImageBase64: '={{ $json.tail }}' }, bad: item({ tail: pngBase64(200, 200) }), good: item({ tail: GOOD }), message: /The tail frame image is 200×200 px/, fix: /Use a larger image/ }],
	['camera control on kling-v1 at 10 s', { parameters: { model: 'kling-v1', mode: 'std', duration: '={{ $json.d }}', imageCameraControl: 'down_back' }, bad: item({ d: '10' }), good: item({ d: '5' }), message: /Camera control does not work with kling-v1 in std mode at 10 s/, fix: /Set Camera Control to None/ }],
	['a camera preset on kling-v1-5', { parameters: { model: 'kling-v1-5', mode: 'pro', imageCameraControl: '={{ $json.type }}', imageCameraMovement: { zoom: 2 } }, bad: item({ type: 'down_back' }), good: item({ type: 'simple' }), message: /kling-v1-5 takes only the simple camera movement, not "down_back"/, fix: /Set Camera Control to simple/ }],
	['an unknown camera movement type by expression', { parameters: { model: 'kling-v1', mode: 'std', duration: '5', imageCameraControl: '={{ $json.type }}' }, bad: item({ type: 'spin' }), good: item({ type: 'down_back' }), message: /The camera movement type is "spin"/, fix: /Use one of simple, down_back, forward_up, right_turn_forward, left_turn_forward/ }],
	['two camera axes', { parameters: { model: 'kling-v1', imageCameraControl: 'simple', imageCameraMovement: { zoom: 1, pan: '={{ $json.pan }}' } }, bad: item({ pan: 2 }), good: item({ pan: 0 }), message: /sets 2 axes/, fix: /Keep one of/ }],
	['the motion brush on kling-v1 at 10 s', { parameters: brush({ duration: '={{ $json.d }}', staticMaskInputType: 'url', staticMaskUrl: 'https://example.com/m.png' }), bad: item({ d: '10' }), good: item({ d: '5' }), message: /The motion brush does not work with kling-v1 in std mode at 10 s/, fix: /Turn Motion Brush off/ }],
	['the motion brush without masks', { parameters: brush({ staticMaskInputType: '={{ $json.t }}', staticMaskUrl: 'https://example.com/m.png' }), bad: item({ t: 'none' }), good: item({ t: 'url' }), message: /Motion Brush is on, but there is neither a static mask nor a dynamic mask/, fix: /Add a static mask or at least one dynamic mask/ }],
	['seven dynamic masks', { parameters: brush({ dynamicMasks: { masks: Array.from({ length: 7 }, () => ({ maskInputType: 'url', mask: 'https://example.com/m.png', trajectory: '={{ $json.path }}' })) } }), bad: item({ path: '1,1 2,2' }), good: null, message: /There are 7 dynamic masks; Kling takes at most 6/, fix: /Remove 1 of them/ }],
	['a trajectory of one point', { parameters: brush({ dynamicMasks: { masks: [{ maskInputType: 'url', mask: 'https://example.com/m.png', trajectory: '={{ $json.path }}' }] } }), bad: item({ path: '5,5' }), good: item({ path: '5,5 6,6' }), message: /Dynamic mask 1's trajectory has 1 point; Kling takes 2 to 77/, fix: /Add at least a start and an end point/ }],
	['a trajectory of 78 points', { parameters: brush({ dynamicMasks: { masks: [{ maskInputType: 'url', mask: 'https://example.com/m.png', trajectory: '={{ $json.path }}' }] } }), bad: item({ path: points(78) }), good: item({ path: points(77) }), message: /has 78 points; Kling takes 2 to 77/, fix: /at most 77 points/ }],
	['a trajectory point that is not a whole number', { parameters: brush({ dynamicMasks: { masks: [{ maskInputType: 'url', mask: 'https://example.com/m.png', trajectory: '={{ $json.path }}' }] } }), bad: item({ path: '1.5,2 3,4' }), good: item({ path: '1,2 3,4' }), message: /Point 1 of dynamic mask 1's trajectory \(x\) is "1.5"; it must be a whole number/, fix: /Set Point 1/ }],
	['a trajectory point outside the image', { parameters: brush({ imageInputType: 'base64', imageBase64: GOOD, dynamicMasks: { masks: [{ maskInputType: 'url', mask: 'https://example.com/m.png', trajectory: '={{ $json.path }}' }] } }), bad: item({ path: '0,0 321,10' }), good: item({ path: '0,0 320,10' }), message: /Point 2 \(321,10\) of dynamic mask 1's trajectory lies outside the 320×320 px image/, fix: /from 0,0 at its bottom-left corner/ }],
	['a mask of another aspect ratio than the image', { parameters: brush({ imageInputType: 'base64', imageBase64: GOOD, staticMaskInputType: 'base64', staticMaskBase64: '={{ $json.mask }}' }), bad: item({ mask: pngBase64(640, 320) }), good: item({ mask: pngBase64(640, 640) }), message: /The static mask is 640×320 px, but the image is 320×320 px; Kling needs the same aspect ratio/, fix: /Make the static mask from the image/ }],
	['a tail frame with camera control (by expression)', { parameters: { model: 'kling-v1', tailFrame: 'url', tailImageUrl: 'https://example.com/end.png', imageCameraControl: '={{ $json.cam }}' }, bad: item({ cam: 'down_back' }), good: item({ cam: 'none' }), message: /uses a tail frame and camera control; Kling takes only one of tail frame, motion brush and camera control/, fix: /Tail Frame to None, or Camera Control to None/ }],
	['a tail frame with the motion brush', { parameters: brush({ motionBrush: '={{ $json.b }}', tailFrame: 'url', tailImageUrl: 'https://example.com/end.png', staticMaskInputType: 'url', staticMaskUrl: 'https://example.com/m.png' }), bad: item({ b: true }), good: item({ b: false }), message: /uses a tail frame and the motion brush/, fix: /Motion Brush off/ }],
	['the motion brush with camera control', { parameters: brush({ staticMaskInputType: 'url', staticMaskUrl: 'https://example.com/m.png', imageCameraControl: '={{ $json.cam }}' }), bad: item({ cam: 'forward_up' }), good: item({ cam: 'none' }), message: /uses the motion brush and camera control/, fix: /Motion Brush off, or Camera Control to None/ }],
	['sound on kling-v1-6 by expression', { parameters: { model: '={{ $json.model }}', mode: 'pro', imageSound: true }, bad: item({ model: 'kling-v1-6' }), good: item({ model: 'kling-v2-6' }), message: /kling-v1-6 cannot generate sound, but Sound is on/, fix: /Turn Sound off/ }],
	['CFG scale on kling-v2-1 by expression', { parameters: { model: '={{ $json.model }}', imageCfgScale: 0.9 }, bad: item({ model: 'kling-v2-1' }), good: item({ model: 'kling-v1-6' }), message: /kling-v2-1 does not support CFG Scale, but it is set to 0.9/, fix: /Remove CFG Scale/ }],
	['a prompt over 2500 characters', { parameters: { prompt: '={{ $json.p }}' }, bad: item({ p: 'x'.repeat(2501) }), good: item({ p: 'fine' }), message: /prompt is 2501 characters long/, fix: /Shorten the prompt by 1 character/ }],
];

describe('image-to-video input validation before sending', () => {
	let standIn: KlingStandIn;
	beforeAll(async () => {
		standIn = await startKlingStandIn({ callbacks: false });
	});
	afterAll(async () => {
		await standIn.close();
	});
	beforeEach(() => standIn.reset());

	const run = (parameters: INodeParameters, items: INodeExecutionData[], continueOnFail = false) => {
		return runKlingNode({ parameters: i2vParams(parameters), credentials: jwtCredentials(standIn), items, continueOnFail });
	};

	describe.each(BAD_INPUTS)('%s', (_label, input) => {
		it('fails naming the item, the field and the fix; nothing is sent for any item', async () => {
			const result = await run(input.parameters, input.good ? [input.good, input.bad, input.good] : [input.bad, input.bad]);
			const error = result.error as RunError;
			expect(error?.name).toBe('NodeOperationError');
			expect(error.message).toMatch(input.message);
			expect(error.message.endsWith(input.good ? ' [item 1]' : ' [item 0]')).toBe(true);
			expect(error.description).toMatch(input.fix);
			expect(error.description).toMatch(/Nothing was sent to Kling\.$/);
			expect(standIn.requests).toHaveLength(0);
		});

		it('with Continue On Fail, only the bad item is an error item; the good ones are accepted by the strict stand-in', async () => {
			if (!input.good) return;
			const result = await run(input.parameters, [input.good, input.bad], true);
			expect(result.error).toBeUndefined();
			expect(result.items[1].json.error).toMatch(input.message);
			expect(result.items[0].json.task_id).toEqual(expect.any(String));
			expect(standIn.requests.filter((r) => r.kind === 'create').map((r) => r.status)).toEqual([200]);
		});
	});
});
