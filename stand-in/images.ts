/**
 * Images for image to video: the stand-in's own reading of JPG/PNG bytes (format by the first bytes,
 * width and height from the PNG IHDR chunk or the JPEG SOFn segment, written apart from the node's
 * helpers/images.ts so that each checks the other), test images of any size, and serving them at
 * `/files/images/{name}-{width}x{height}.{png|jpg}` without auth (like a CDN), so that workflows can
 * download an image from the stand-in and the image URL of a Create can point at it.
 */
import { createHash } from 'node:crypto';
import { deflateSync } from 'node:zlib';

import { ApiError, type RequestContext, finishRecord } from './respond';

export const IMAGE_PATH_RE = /^\/files\/images\/([A-Za-z0-9_.-]+)-(\d{1,5})x(\d{1,5})\.(png|jpg)$/;

export interface ImageFacts {
	format: 'png' | 'jpeg';
	width: number;
	height: number;
}

/** Format and size of JPG/PNG bytes, or undefined when they are neither (or have no readable header). */
export function readImageFacts(bytes: Buffer): ImageFacts | undefined {
	if (bytes.subarray(0, 8).equals(Buffer.from('89504e470d0a1a0a', 'hex'))) {
		if (bytes.length < 24 || bytes.subarray(12, 16).toString('latin1') !== 'IHDR') return undefined;
		return { format: 'png', width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
	}
	if (bytes[0] !== 0xff || bytes[1] !== 0xd8) return undefined;
	let at = 2;
	while (at + 9 <= bytes.length) {
		while (bytes[at] === 0xff && bytes[at + 1] === 0xff) at++;
		if (bytes[at] !== 0xff) return undefined;
		const marker = bytes[at + 1];
		if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
			at += 2;
			continue;
		}
		if (marker === 0xda || marker === 0xd9) return undefined;
		if ([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf].includes(marker)) {
			return { format: 'jpeg', height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7) };
		}
		at += 2 + bytes.readUInt16BE(at + 2);
	}
	return undefined;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
	let c = n;
	for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
	return c >>> 0;
});

function crc32(data: Buffer): number {
	let c = 0xffffffff;
	for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff] ^ (c >>> 8);
	return (c ^ 0xffffffff) >>> 0;
}

function pngChunk(type: string, data: Buffer): Buffer {
	const length = Buffer.alloc(4);
	length.writeUInt32BE(data.length);
	const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
	const crc = Buffer.alloc(4);
	crc.writeUInt32BE(crc32(body));
	return Buffer.concat([length, body, crc]);
}

/**
 * A real, decodable PNG (8-bit RGB) of the given size: a gradient seeded by `seed`, so different seeds
 * give different bytes. `padTo`: append an ancillary chunk so the file has at least that many bytes.
 */
export function testPng(width: number, height: number, seed = 'kling', padTo = 0): Buffer {
	const tint = createHash('sha256').update(seed).digest();
	const row = Buffer.alloc(1 + width * 3);
	const rows: Buffer[] = [];
	for (let y = 0; y < height; y++) {
		for (let x = 0; x < width; x++) {
			row[1 + x * 3] = (x + tint[0]) & 0xff;
			row[2 + x * 3] = (y + tint[1]) & 0xff;
			row[3 + x * 3] = tint[2];
		}
		rows.push(Buffer.from(row));
	}
	const ihdr = Buffer.alloc(13);
	ihdr.writeUInt32BE(width, 0);
	ihdr.writeUInt32BE(height, 4);
	ihdr.set([8, 2, 0, 0, 0], 8);
	const parts = [Buffer.from('89504e470d0a1a0a', 'hex'), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.concat(rows)))];
	const size = parts.reduce((sum, p) => sum + p.length, 0) + 12;
	if (padTo > size) parts.push(pngChunk('teXt', Buffer.alloc(padTo - size - 12, 0x61)));
	parts.push(pngChunk('IEND', Buffer.alloc(0)));
	return Buffer.concat(parts);
}

/** A JPEG's markers with the given size (SOI, APP0 JFIF, SOF0, EOI); enough for any header reader. */
export function testJpeg(width: number, height: number, seed = 'kling'): Buffer {
	const app0 = Buffer.from([0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]);
	const comment = Buffer.from(`kling stand-in ${seed}`, 'latin1');
	const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0, comment.length + 2]), comment]);
	const sof = Buffer.from([0xff, 0xc0, 0, 17, 8, height >> 8, height & 0xff, width >> 8, width & 0xff, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]);
	return Buffer.concat([Buffer.from([0xff, 0xd8]), app0, com, sof, Buffer.from([0xff, 0xd9])]);
}

/** The bytes served at an image path (deterministic: the name seeds the picture). */
export function imageAt(path: string): { bytes: Buffer; contentType: string } | undefined {
	const match = IMAGE_PATH_RE.exec(path);
	if (!match) return undefined;
	const [, name, w, h, ext] = match;
	const width = Number(w);
	const height = Number(h);
	if (width < 1 || height < 1 || width * height > 4096 * 4096) return undefined;
	return ext === 'png'
		? { bytes: testPng(width, height, name), contentType: 'image/png' }
		: { bytes: testJpeg(width, height, name), contentType: 'image/jpeg' };
}

/** GET/HEAD /files/images/{name}-{w}x{h}.{png|jpg}. */
export function serveImage(ctx: RequestContext, path: string): void {
	const image = imageAt(path);
	if (!image) throw new ApiError(404, 1203, `Resource not found: no image ${path}`);
	finishRecord(ctx, 200, undefined);
	ctx.record.bytesSent = ctx.req.method === 'HEAD' ? 0 : image.bytes.length;
	ctx.res.writeHead(200, { 'content-type': image.contentType, 'content-length': image.bytes.length });
	ctx.res.end(ctx.req.method === 'HEAD' ? undefined : image.bytes);
}
