import type { IExecuteFunctions } from 'n8n-workflow';

import { KlingInputError, shown } from './parameters';

/**
 * Images sent to Kling (image, image_tail, masks): given as a URL, as base64, or as a binary
 * property of the input item. Base64 and binary images are checked here before anything is sent:
 * JPG or PNG by their first bytes, the file size, and width and height read from the PNG or JPEG
 * header, as Kling's image-to-video reference states them (docs/KLING_API_REFERENCE.md "Image
 * Requirements" in github.com/aself101/kling-api): jpg/jpeg/png, at most 10 MB, at least 300 px
 * wide and high, aspect ratio between 1:2.5 and 2.5:1, base64 without a `data:` prefix.
 * A URL is sent as it is: Kling fetches it, and its answer names what is wrong with the file.
 */

export const IMAGE_MAX_BYTES = 10 * 1024 * 1024;
export const IMAGE_MIN_SIDE_PX = 300;
export const IMAGE_MAX_ASPECT = 2.5;

export type ImageInputType = 'url' | 'base64' | 'binary';
export const IMAGE_INPUT_TYPES: readonly ImageInputType[] = ['url', 'base64', 'binary'];

export interface ImageInfo {
	format: 'png' | 'jpeg';
	width: number;
	height: number;
	bytes: number;
}

export interface ImageInput {
	type: ImageInputType;
	/** The URL, the base64 text, or the binary property's name. */
	value: unknown;
}

export interface ImageRules {
	/** Check the minimum side and the aspect ratio (images and end frames; not masks). */
	frame: boolean;
	/** The image the mask must match in aspect ratio, when known. */
	sameAspectAs?: { info: ImageInfo; label: string };
}

export interface CheckedImage {
	/** What is sent: the URL, or base64 without a prefix. */
	value: string;
	/** Known for base64 and binary images. */
	info?: ImageInfo;
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const DATA_URL = /^data:([^;,]*)(;[^,]*)?,/i;
const MB = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** PNG: the signature, then the IHDR chunk with width and height (big-endian). */
function pngSize(data: Buffer): { width: number; height: number } | undefined {
	if (data.length < 24 || data.toString('latin1', 12, 16) !== 'IHDR') return undefined;
	return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

/** JPEG: walks the segments up to the first start-of-frame marker (SOF0–SOF15 but DHT, JPG, DAC). */
function jpegSize(data: Buffer): { width: number; height: number } | undefined {
	let offset = 2;
	while (offset + 4 <= data.length) {
		if (data[offset] !== 0xff) return undefined;
		const marker = data[offset + 1];
		if (marker === 0xff) {
			offset++; // fill byte
			continue;
		}
		if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
			offset += 2; // markers without a length
			continue;
		}
		if (marker === 0xd9 || marker === 0xda) return undefined; // end of image, start of scan: no frame header before
		const length = data.readUInt16BE(offset + 2);
		if (length < 2) return undefined;
		const isFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
		if (isFrame) {
			if (offset + 9 > data.length) return undefined;
			return { height: data.readUInt16BE(offset + 5), width: data.readUInt16BE(offset + 7) };
		}
		offset += 2 + length;
	}
	return undefined;
}

/** The image's format and size from its bytes, or a message saying why it is not a usable JPG or PNG. */
export function imageInfo(data: Buffer): ImageInfo | string {
	if (data.length >= 8 && PNG_SIGNATURE.every((byte, i) => data[i] === byte)) {
		const size = pngSize(data);
		return size ? { format: 'png', ...size, bytes: data.length } : 'a PNG whose header (IHDR) cannot be read';
	}
	if (data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) {
		const size = jpegSize(data);
		return size ? { format: 'jpeg', ...size, bytes: data.length } : 'a JPEG whose frame header (SOF) cannot be read';
	}
	if (data.length === 0) return 'empty';
	const head = data.subarray(0, 12).toString('latin1');
	const kind = /^GIF8/.test(head)
		? 'a GIF'
		: /^RIFF....WEBP/s.test(head)
			? 'a WebP image'
			: /^\s*</.test(head)
				? 'text (HTML or XML), not an image'
				: 'neither JPG nor PNG';
	return kind;
}

function checkInfo(label: string, info: ImageInfo, rules: ImageRules) {
	const { width, height } = info;
	if (rules.frame) {
		if (width < IMAGE_MIN_SIDE_PX || height < IMAGE_MIN_SIDE_PX) {
			throw new KlingInputError(
				`The ${label} is ${width}×${height} px; Kling needs at least ${IMAGE_MIN_SIDE_PX} px in width and height`,
				`Use a larger image (scale it up to at least ${IMAGE_MIN_SIDE_PX}×${IMAGE_MIN_SIDE_PX} px, e.g. with n8n's Edit Image node).`,
			);
		}
		const ratio = width / height;
		if (ratio > IMAGE_MAX_ASPECT || ratio < 1 / IMAGE_MAX_ASPECT) {
			throw new KlingInputError(
				`The ${label} is ${width}×${height} px, an aspect ratio of ${ratio.toFixed(2)}:1; Kling takes 1:2.5 to 2.5:1`,
				'Crop the image so that neither side is more than 2.5 times the other.',
			);
		}
	}
	const other = rules.sameAspectAs;
	if (other && Math.abs(width / height - other.info.width / other.info.height) > 0.01 * (other.info.width / other.info.height)) {
		throw new KlingInputError(
			`The ${label} is ${width}×${height} px, but the ${other.label} is ${other.info.width}×${other.info.height} px; Kling needs the same aspect ratio`,
			`Make the ${label} from the ${other.label} (same width and height), so that its areas line up.`,
		);
	}
}

/** Checks image bytes (decoded base64 or binary data) and returns what they are. */
export function checkImageBytes(data: Buffer, label: string, rules: ImageRules): ImageInfo {
	if (data.length > IMAGE_MAX_BYTES) {
		throw new KlingInputError(
			`The ${label} is ${MB(data.length)}; Kling takes at most ${MB(IMAGE_MAX_BYTES)}`,
			'Compress or scale down the image (e.g. save it as JPG), or give a URL to a smaller file.',
		);
	}
	const info = imageInfo(data);
	if (typeof info === 'string') {
		throw new KlingInputError(
			`The ${label} is ${info}; Kling takes JPG or PNG images`,
			'Convert the image to JPG or PNG (e.g. with n8n\'s Edit Image node), or check that the field holds the image itself.',
		);
	}
	checkInfo(label, info, rules);
	return info;
}

function readUrl(value: unknown, label: string): CheckedImage {
	const url = typeof value === 'string' ? value.trim() : '';
	if (url === '') {
		throw new KlingInputError(
			`The ${label} URL is ${shown(value)}`,
			`Enter the URL of a JPG or PNG image. If it comes from an expression, check that the input item has that field.`,
		);
	}
	if (!/^https?:\/\/[^\s/]+\S*$/i.test(url)) {
		throw new KlingInputError(
			`The ${label} URL "${url.slice(0, 80)}" is not an http(s) URL`,
			`Use a full URL such as https://example.com/photo.jpg that Kling can reach. For image data, set the input to Base64 or Binary File instead.`,
		);
	}
	return { value: url };
}

function readBase64(value: unknown, label: string, rules: ImageRules): CheckedImage {
	let text = typeof value === 'string' ? value.trim() : '';
	if (text === '') {
		throw new KlingInputError(
			`The ${label} base64 is ${shown(value)}`,
			'Map the base64 text of a JPG or PNG image. If it comes from an expression, check that the input item has that field.',
		);
	}
	// Kling takes base64 without a prefix: a data URL's prefix is dropped, line breaks too.
	const dataUrl = DATA_URL.exec(text);
	if (dataUrl) {
		if (!/;base64$/i.test(dataUrl[2] ?? '')) {
			throw new KlingInputError(`The ${label} is a data URL that is not base64`, 'Give the image as base64 text (a data URL with ;base64, or the base64 alone).');
		}
		text = text.slice(dataUrl[0].length);
	}
	text = text.replace(/\s+/g, '');
	if (/^https?:\/\//i.test(text)) {
		throw new KlingInputError(`The ${label} base64 holds a URL`, 'Set the input to URL for an image on the web.');
	}
	if (!BASE64.test(text) || text.length % 4 !== 0) {
		throw new KlingInputError(
			`The ${label} base64 is not valid base64 (it must use A–Z, a–z, 0–9, + and /, padded with = to a multiple of 4 characters)`,
			'Map the base64 text of the image as it is. URL-safe base64 (- and _) must be converted first.',
		);
	}
	const info = checkImageBytes(Buffer.from(text, 'base64'), label, rules);
	return { value: text, info };
}

/** Property names that cannot hold a value in an object. */
const UNUSABLE_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

async function readBinary(ctx: IExecuteFunctions, itemIndex: number, value: unknown, label: string, rules: ImageRules): Promise<CheckedImage> {
	const name = typeof value === 'string' ? value.trim() : '';
	if (name === '' || UNUSABLE_KEYS.has(name)) {
		throw new KlingInputError(
			`The ${label}'s binary property is ${shown(value)}`,
			'Enter the name of the input item\'s binary property that holds the image, such as data.',
		);
	}
	const binary = ctx.getInputData()[itemIndex]?.binary;
	if (!binary || !Object.prototype.hasOwnProperty.call(binary, name)) {
		const present = Object.keys(binary ?? {});
		throw new KlingInputError(
			`The input item has no binary property "${name}" for the ${label}`,
			present.length > 0
				? `Use one of its binary properties: ${present.join(', ')}.`
				: 'The item has no binary data: put the image in it first (e.g. HTTP Request with Response Format File, or Read/Write Files from Disk).',
		);
	}
	const meta = ctx.helpers.assertBinaryData(itemIndex, name);
	if (typeof meta.bytes === 'number' && meta.bytes > IMAGE_MAX_BYTES) {
		// Known before reading: a huge file is refused without loading it.
		throw new KlingInputError(
			`The ${label} ("${meta.fileName ?? name}") is ${MB(meta.bytes)}; Kling takes at most ${MB(IMAGE_MAX_BYTES)}`,
			'Compress or scale down the image (e.g. save it as JPG), or give a URL to a smaller file.',
		);
	}
	const data = await ctx.helpers.getBinaryDataBuffer(itemIndex, name);
	const info = checkImageBytes(data, `${label} ("${meta.fileName ?? name}")`, rules);
	return { value: data.toString('base64'), info };
}

/** Reads and checks one image input; throws KlingInputError (nothing is sent then). */
export async function readImage(
	ctx: IExecuteFunctions,
	itemIndex: number,
	input: ImageInput,
	label: string,
	rules: ImageRules,
): Promise<CheckedImage> {
	switch (input.type) {
		case 'url':
			return readUrl(input.value, label);
		case 'base64':
			return readBase64(input.value, label, rules);
		case 'binary':
			return await readBinary(ctx, itemIndex, input.value, label, rules);
		default:
			throw new KlingInputError(`The ${label} input type is ${shown(input.type)}`, 'Choose URL, Base64 or Binary File.');
	}
}
