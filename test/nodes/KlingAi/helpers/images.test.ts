/**
 * helpers/images.ts: JPG/PNG told by their first bytes, width and height read from the headers (no
 * dependencies), Kling's limits, base64 normalised without a data: prefix, URLs checked for shape.
 * The test images come from the stand-in's own generator (real PNGs, JPEG markers).
 */
import type { IExecuteFunctions } from 'n8n-workflow';

import { checkImageBytes, IMAGE_MAX_BYTES, imageInfo, readImage } from '../../../../nodes/KlingAi/helpers/images';
import { KlingInputError } from '../../../../nodes/KlingAi/helpers/parameters';
import { testJpeg, testPng } from '../../../../stand-in';

const frame = { frame: true };
const noCtx = {} as IExecuteFunctions;

describe('imageInfo', () => {
	it('reads PNG and JPEG sizes from their headers', () => {
		expect(imageInfo(testPng(640, 480))).toMatchObject({ format: 'png', width: 640, height: 480 });
		expect(imageInfo(testJpeg(1920, 1080))).toMatchObject({ format: 'jpeg', width: 1920, height: 1080 });
	});

	it('walks JPEG segments, fill bytes and progressive frames (SOF2)', () => {
		const jpeg = testJpeg(800, 600);
		const sof = jpeg.indexOf(Buffer.from([0xff, 0xc0]));
		const progressive = Buffer.concat([jpeg.subarray(0, sof), Buffer.from([0xff]), jpeg.subarray(sof)]);
		progressive[sof + 2] = 0xc2;
		expect(imageInfo(progressive)).toMatchObject({ format: 'jpeg', width: 800, height: 600 });
	});

	it('names what it got when it is not a JPG or PNG', () => {
		expect(imageInfo(Buffer.from('GIF89a......'))).toBe('a GIF');
		expect(imageInfo(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))).toBe('a WebP image');
		expect(imageInfo(Buffer.from('  <!DOCTYPE html>'))).toBe('text (HTML or XML), not an image');
		expect(imageInfo(Buffer.alloc(0))).toBe('empty');
		expect(imageInfo(testPng(300, 300).subarray(0, 20))).toMatch(/PNG whose header/);
		expect(imageInfo(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0, 2]))).toMatch(/JPEG whose frame header/);
	});
});

describe('checkImageBytes: Kling\'s limits', () => {
	const refused = (bytes: Buffer, pattern: RegExp, rules = frame) => {
		expect(() => checkImageBytes(bytes, 'image', rules)).toThrow(KlingInputError);
		expect(() => checkImageBytes(bytes, 'image', rules)).toThrow(pattern);
	};
	it('takes 300×300, 750×300 (2.5:1) and 300×750 (1:2.5)', () => {
		for (const [w, h] of [[300, 300], [750, 300], [300, 750]]) expect(checkImageBytes(testJpeg(w, h), 'image', frame)).toMatchObject({ width: w, height: h });
	});
	it('refuses sides under 300 px and aspect ratios beyond 2.5', () => {
		refused(testJpeg(299, 300), /299×300 px; Kling needs at least 300 px/);
		refused(testJpeg(751, 300), /aspect ratio of 2.50:1/);
		refused(testJpeg(300, 751), /1:2.5 to 2.5:1/);
	});
	it('refuses more than 10 MB, exactly 10 MB is fine', () => {
		expect(checkImageBytes(testPng(300, 300, 'x', IMAGE_MAX_BYTES), 'image', frame).bytes).toBe(IMAGE_MAX_BYTES);
		refused(testPng(300, 300, 'x', IMAGE_MAX_BYTES + 1), /Kling takes at most 10.0 MB/);
	});
	it('masks: no minimum size, but the image\'s aspect ratio', () => {
		const image = checkImageBytes(testPng(400, 300), 'image', frame);
		expect(checkImageBytes(testPng(40, 30), 'mask', { frame: false, sameAspectAs: { info: image, label: 'image' } })).toMatchObject({ width: 40 });
		refused(testPng(40, 40), /same aspect ratio/, { frame: false, sameAspectAs: { info: image, label: 'image' } } as never);
	});
});

describe('readImage', () => {
	const png = testPng(320, 320);
	it('base64: drops a data: prefix and line breaks, sends the bytes unchanged', async () => {
		const text = `data:image/png;base64,${png.toString('base64').replace(/(.{60})/g, '$1\r\n')}`;
		const read = await readImage(noCtx, 0, { type: 'base64', value: text }, 'image', frame);
		expect(read.value).toBe(png.toString('base64'));
		expect(read.info).toMatchObject({ format: 'png', width: 320, height: 320 });
	});
	it('base64: refuses URL-safe base64, a URL, and a data URL that is not base64', async () => {
		const urlSafe = png.toString('base64url');
		await expect(readImage(noCtx, 0, { type: 'base64', value: urlSafe }, 'image', frame)).rejects.toThrow(/not valid base64/);
		await expect(readImage(noCtx, 0, { type: 'base64', value: 'https://x.io/a.png' }, 'image', frame)).rejects.toThrow(/holds a URL/);
		await expect(readImage(noCtx, 0, { type: 'base64', value: 'data:image/png,abc' }, 'image', frame)).rejects.toThrow(/data URL that is not base64/);
	});
	it('URL: trimmed and taken as it is; anything but http(s) is refused', async () => {
		expect((await readImage(noCtx, 0, { type: 'url', value: ' https://x.io/a.png ' }, 'image', frame)).value).toBe('https://x.io/a.png');
		await expect(readImage(noCtx, 0, { type: 'url', value: 'x.io/a.png' }, 'tail frame image', frame)).rejects.toThrow(/tail frame image URL "x.io\/a.png" is not an http\(s\) URL/);
		await expect(readImage(noCtx, 0, { type: 'url', value: 42 }, 'image', frame)).rejects.toThrow(/image URL is 42/);
	});
	it('an unknown input type', async () => {
		await expect(readImage(noCtx, 0, { type: 'file' as never, value: 'x' }, 'image', frame)).rejects.toThrow(/input type is "file"/);
	});
});
