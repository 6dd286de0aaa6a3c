/**
 * The videos: deterministic MP4-looking bytes per task and video (a real ftyp box, then pseudo-random mdat
 * data), and serving them at `/files/{task_id}/{n}.mp4` without auth, streamed in chunks so even very large
 * files are never held in memory. Per-task plan options choose the Content-Type and chunked transfer; the
 * 'truncate' fault cuts the body short.
 */
import { createHash } from 'node:crypto';

import { ApiError, type RequestContext, drop, finishRecord, writeThenDestroy } from './respond';
import type { StandInState } from './state';

/** Downloads live outside any API prefix, like a CDN's URLs. */
export const DOWNLOAD_PATH_RE = /^\/files\/([^/]+)\/(\d+)\.mp4$/;
export const DOWNLOAD_CHUNK_BYTES = 64 * 1024;
export const DEFAULT_VIDEO_CONTENT_TYPE = 'video/mp4';

/** The URL a finished task reports for its video n (1-based). */
export function videoUrl(state: StandInState, taskId: string, n: number): string {
	return `${state.baseUrl}/files/${taskId}/${n}.mp4`;
}

// ftyp box (32 bytes): size, 'ftyp', major brand 'isom', minor version 0x200, four compatible brands.
const FTYP_BOX = Buffer.concat([
	Buffer.from([0, 0, 0, 32]),
	Buffer.from('ftypisom', 'latin1'),
	Buffer.from([0, 0, 2, 0]),
	Buffer.from('isomiso2avc1mp41', 'latin1'),
]);

/** Produces the bytes of one video sequentially, in chunks, without holding the whole file. */
export class VideoByteGenerator {
	private s0: number;
	private s1: number;
	private s2: number;
	private s3: number;
	private offset = 0;
	private readonly header: Buffer;

	constructor(taskId: string, n: number, readonly size: number) {
		const seed = createHash('sha256').update(`kling-stand-in\0${taskId}\0${n}`).digest();
		this.s0 = seed.readUInt32LE(0);
		this.s1 = seed.readUInt32LE(4);
		this.s2 = seed.readUInt32LE(8);
		this.s3 = seed.readUInt32LE(12) | 1; // never an all-zero state
		// ftyp box, then an mdat box header covering the rest of the file
		const mdat = Buffer.alloc(8);
		mdat.writeUInt32BE(Math.max(0, Math.min(size - 32, 0xffffffff)), 0);
		mdat.write('mdat', 4, 'latin1');
		this.header = Buffer.concat([FTYP_BOX, mdat]);
	}

	get done(): boolean {
		return this.offset >= this.size;
	}

	/** Next chunk of at most `max` bytes; only the final chunk may have a length that is not a multiple of 4. */
	next(max: number): Buffer {
		const remaining = this.size - this.offset;
		let length = Math.min(max, remaining);
		if (length < remaining) length = Math.max(4, length - (length % 4));
		const words = new Uint32Array(Math.ceil(length / 4));
		for (let i = 0; i < words.length; i++) words[i] = this.nextWord();
		const chunk = Buffer.from(words.buffer, 0, length);
		if (this.offset < this.header.length) {
			this.header.copy(chunk, 0, this.offset, Math.min(this.header.length, this.offset + length));
		}
		this.offset += length;
		return chunk;
	}

	// xoshiro128**
	private nextWord(): number {
		const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
		const t = this.s1 << 9;
		this.s2 ^= this.s0;
		this.s3 ^= this.s1;
		this.s1 ^= this.s2;
		this.s0 ^= this.s3;
		this.s2 ^= t;
		this.s3 = rotl(this.s3, 11);
		return result;
	}
}

function rotl(x: number, k: number): number {
	return (x << k) | (x >>> (32 - k));
}

/** Deterministic bytes of video n (1-based, as in the served URLs) of a task; identical to what is served. */
export function videoContent(taskId: string, n: number, size: number): Buffer {
	const generator = new VideoByteGenerator(taskId, n, size);
	const chunks: Buffer[] = [];
	while (!generator.done) chunks.push(generator.next(DOWNLOAD_CHUNK_BYTES));
	return Buffer.concat(chunks, size);
}

/** decodeURIComponent that keeps malformed escapes as they are. */
export function safeDecode(segment: string): string {
	try {
		return decodeURIComponent(segment);
	} catch {
		return segment;
	}
}

/** GET/HEAD /files/{task_id}/{n}.mp4: the video of a succeeded task, or 404/1203. */
export function serveDownload(state: StandInState, ctx: RequestContext, path: string): void {
	const match = DOWNLOAD_PATH_RE.exec(path)!;
	const taskId = safeDecode(match[1]);
	const n = Number(match[2]);
	ctx.record.taskId = taskId;
	const task = state.tasks.get(taskId);
	if (!task || task.status() !== 'succeed' || n < 1 || n > task.plan.videoCount) {
		throw new ApiError(404, 1203, `Resource not found: no video ${path}`);
	}
	if (ctx.dropInsteadOfAnswer) {
		drop(ctx);
		return;
	}
	const { res, record } = ctx;
	const size = task.plan.videoBytes;
	const headers: Record<string, string | number> = { 'content-type': task.plan.videoContentType ?? DEFAULT_VIDEO_CONTENT_TYPE };
	if (!task.plan.videoChunked) headers['content-length'] = size;
	finishRecord(ctx, 200, undefined);
	record.bytesSent = 0;
	res.writeHead(200, headers);
	if (ctx.req.method === 'HEAD') {
		res.end();
		return;
	}
	const limit = ctx.truncateAfterBytes ?? Infinity;
	if (limit <= 0) {
		writeThenDestroy(ctx, Buffer.alloc(0));
		return;
	}
	const generator = new VideoByteGenerator(taskId, n, size);
	// write in chunks, waiting for 'drain' so a large file never sits in memory whole
	const pump = (): void => {
		while (!generator.done) {
			if (res.destroyed) return;
			let chunk = generator.next(DOWNLOAD_CHUNK_BYTES);
			const sent = record.bytesSent ?? 0;
			if (sent + chunk.length >= limit) {
				chunk = chunk.subarray(0, limit - sent);
				record.bytesSent = sent + chunk.length;
				writeThenDestroy(ctx, chunk);
				return;
			}
			record.bytesSent = sent + chunk.length;
			if (!res.write(chunk)) {
				res.once('drain', pump);
				return;
			}
		}
		if (limit !== Infinity) {
			// truncation past the end: the whole file, then the connection is destroyed anyway
			writeThenDestroy(ctx, Buffer.alloc(0));
			return;
		}
		record.respondedAt = Date.now();
		res.end();
	};
	pump();
}
