/**
 * Shared by the image-to-video suites: Create parameters, and images made by the stand-in's own
 * generator (real PNGs, JPEG headers) as base64 and as n8n binary data.
 */
import type { IBinaryData, INodeParameters } from 'n8n-workflow';

import { testJpeg, testPng } from '../../stand-in';

export { testJpeg, testPng };

/** Image-to-video Create parameters that return at once. */
export function i2vParams(extra: INodeParameters = {}): INodeParameters {
	return {
		resource: 'imageToVideo',
		operation: 'create',
		imageInputType: 'url',
		imageUrl: 'https://example.com/photo.jpg',
		waitForCompletion: false,
		...extra,
	};
}

export const pngBase64 = (width = 320, height = 320, seed = 'img') => testPng(width, height, seed).toString('base64');

/** n8n's memory-mode binary data: the bytes inline as base64 (as n8n 1.x keeps them). */
export function memoryBinary(bytes: Buffer, fileName = 'photo.png', mimeType = 'image/png'): IBinaryData {
	return { data: bytes.toString('base64'), mimeType, fileName, fileSize: `${bytes.length} B` };
}
