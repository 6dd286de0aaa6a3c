import type { IBinaryKeyData, IN8nHttpFullResponse, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { cancelSignal, type KlingContext, type KlingTask } from '../transport';
import { readBinaryPropertyName, readNumber } from './parameters';

const VIDEO_MIME_TYPE = 'video/mp4';
export const MAX_VIDEO_MB_DEFAULT = 250;
export const MAX_VIDEO_MB_LIMIT = 4096;

/** Binary property names for a task's videos: `data` for the first, then `data_1`, `data_2`, … */
function videoPropertyName(base: string, index: number): string {
	return index === 0 ? base : `${base}_${index}`;
}

function videoFileName(task: KlingTask, index: number): string {
	return index === 0 ? `${task.task_id}.mp4` : `${task.task_id}_${index}.mp4`;
}

export interface DownloadSettings {
	binaryPropertyName: string;
	maxBytes: number;
}

/**
 * The download fields of an operation or the trigger (Put Output File in Field, Max Video Size),
 * read through the caller's own getNodeParameter (items and webhooks read parameters differently).
 */
export function readDownloadSettings(parameter: (name: string, fallback: unknown) => unknown): DownloadSettings {
	return {
		binaryPropertyName: readBinaryPropertyName(parameter('binaryPropertyName', 'data'), 'Put Output File in Field'),
		maxBytes: readNumber(parameter('maxVideoSize', MAX_VIDEO_MB_DEFAULT), 'Max Video Size', { min: 1, max: MAX_VIDEO_MB_LIMIT, unit: 'MB' }) * 1024 * 1024,
	};
}

type ByteSource = AsyncIterable<Buffer> & { resume(): void; destroy(error?: Error): void };
type ReadableClass = { from(iterable: AsyncIterable<Buffer>, options: { objectMode: boolean }): unknown };

/**
 * The stream class of the answer's body. The community rules allow no import of node:stream, so
 * the class is taken from the body itself (an http.IncomingMessage or a zlib stream: both Readables).
 */
function readableClassOf(body: object): ReadableClass | undefined {
	for (let proto = Object.getPrototypeOf(body); proto; proto = Object.getPrototypeOf(proto)) {
		const ctor = (proto as { constructor?: { name?: string; from?: unknown } }).constructor;
		if (ctor?.name === 'Readable' && typeof ctor.from === 'function') return ctor as ReadableClass;
	}
	return undefined;
}

const megabytes = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/**
 * Streams each video of a succeeded task into n8n's binary data store. The body is checked on the
 * way: an answer that is not a video (an HTML page served with 200, for instance) or that grows past
 * the size limit is refused, and a stream cut short says how much arrived. The body is never held
 * whole by the node: n8n's filesystem (or S3) binary mode writes it as it arrives. Video URLs are
 * public CDN links, fetched without the Kling credential, so no token is sent anywhere but the API.
 */
export async function downloadVideos(
	ctx: KlingContext,
	task: KlingTask,
	settings: DownloadSettings,
	itemIndex: number,
): Promise<IBinaryKeyData> {
	const videos = task.task_result?.videos ?? [];
	const binary: IBinaryKeyData = {};
	for (const [index, video] of videos.entries()) {
		binary[videoPropertyName(settings.binaryPropertyName, index)] = await downloadOne(ctx, task, video.url, index, settings, itemIndex);
	}
	return binary;
}

async function downloadOne(ctx: KlingContext, task: KlingTask, url: string, index: number, settings: DownloadSettings, itemIndex: number) {
	const node = ctx.getNode();
	const fail = (message: string, description: string, details: JsonObject = {}) =>
		new NodeApiError(node, { task_id: task.task_id, ...details } as JsonObject, { message, description, itemIndex });
	const host = (() => {
		try {
			return new URL(url).host;
		} catch {
			return 'the video URL';
		}
	})();
	const response = (await ctx.helpers
		.httpRequest({
			method: 'GET',
			url,
			encoding: 'stream',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			abortSignal: cancelSignal(ctx),
		})
		.catch((error: Error) => {
			const code = (error as { code?: string }).code ?? error.name;
			throw fail(
				`Could not download the video of Kling task ${task.task_id}`,
				`The download from ${host} failed before an answer (${code}). Run again, or use Get with Download Video later.`,
				{ code },
			);
		})) as IN8nHttpFullResponse;
	const body = response.body as unknown as ByteSource;
	const header = (name: string) => {
		const value = response.headers?.[name];
		return String(Array.isArray(value) ? value[0] : value ?? '');
	};
	if (response.statusCode >= 400) {
		body.resume();
		throw new NodeApiError(node, { httpStatus: response.statusCode } as JsonObject, {
			message: `Could not download the video of Kling task ${task.task_id} (HTTP ${response.statusCode})`,
			description:
				'Kling deletes videos 30 days after creation, and its links can expire. Fetch the task again with Get (it returns a fresh URL) and download soon after it succeeds.',
			httpCode: String(response.statusCode),
			itemIndex,
		});
	}
	const contentType = header('content-type').split(';')[0].trim().toLowerCase();
	if (contentType && !/^(video\/|application\/octet-stream$|binary\/octet-stream$|application\/mp4$)/.test(contentType)) {
		body.destroy();
		throw fail(
			`The video URL of Kling task ${task.task_id} answered with ${contentType}, not a video`,
			`${host} sent a ${contentType} page instead of the MP4 (a CDN or proxy error page, or an expired link). Fetch the task again with Get for a fresh URL, and check the proxy if you use one. Nothing was stored.`,
			{ contentType },
		);
	}
	const declared = Number(header('content-length'));
	const expected = Number.isFinite(declared) && declared > 0 ? declared : undefined;
	// What a failure says about n8n's binary store: before the first byte went to it, nothing is
	// there; once streaming, the part that arrived may stay in the store (the node cannot delete it:
	// n8n's helpers have no delete), but it is never put in the item.
	const storedNote = (partial: boolean) => (partial ? 'The part that arrived was not put in the item.' : 'Nothing was stored.');
	const tooLarge = (bytes: string, partial: boolean) =>
		fail(
			`The video of Kling task ${task.task_id} is larger than Max Video Size (${bytes} > ${megabytes(settings.maxBytes)})`,
			`Raise Max Video Size if the video is expected to be this large, and run n8n with filesystem or S3 binary data mode (N8N_DEFAULT_BINARY_DATA_MODE=filesystem) so videos are not held in memory. Or turn Download Video off and pass the URL on. ${storedNote(partial)}`,
		);
	if (expected !== undefined && expected > settings.maxBytes) {
		body.destroy();
		throw tooLarge(megabytes(expected), false);
	}

	let failure: NodeApiError | undefined;
	let received = 0;
	const cutShort = (partial: boolean, error?: Error) =>
		fail(
			`The download of the video of Kling task ${task.task_id} was cut short after ${megabytes(received)}${expected ? ` of ${megabytes(expected)}` : ''}`,
			`The connection to ${host} ended before the whole file arrived${error ? ` (${(error as { code?: string }).code ?? error.message})` : ''}. Run again, or fetch the task later with Get and Download Video: the task and its video are not lost. ${storedNote(partial)}`,
			{ bytesReceived: received, ...(expected ? { bytesExpected: expected } : {}) },
		);

	// The first bytes are read and checked before n8n's store is given anything, so an answer that
	// is not an MP4 (or ends at once) stores nothing.
	const chunks = body[Symbol.asyncIterator]();
	let head = Buffer.alloc(0);
	let ended = false;
	try {
		while (head.length < 12) {
			const next = await chunks.next();
			if (next.done) {
				ended = true;
				break;
			}
			received += next.value.length;
			if (received > settings.maxBytes) throw (failure = tooLarge(`more than ${megabytes(received)}`, false));
			head = Buffer.concat([head, next.value]);
		}
		if (head.length < 8 || head.toString('latin1', 4, 8) !== 'ftyp') {
			const text = head.toString('utf8', 0, Math.min(head.length, 40)).replace(/[^\x20-\x7e]+/g, ' ').trim();
			throw (failure = fail(
				`The video URL of Kling task ${task.task_id} answered with something that is not an MP4`,
				`${host} sent ${received} bytes that do not start like an MP4 file (no "ftyp"${text ? `; it begins "${text}"` : ''}). Fetch the task again with Get for a fresh URL. Nothing was stored.`,
			));
		}
		if (ended && expected !== undefined && received < expected) throw (failure = cutShort(false));
	} catch (error) {
		body.destroy();
		throw failure ?? cutShort(false, error as Error);
	}

	async function* checked(): AsyncGenerator<Buffer> {
		yield head;
		if (ended) return;
		try {
			for (;;) {
				const next = await chunks.next();
				if (next.done) break;
				received += next.value.length;
				if (received > settings.maxBytes) throw (failure = tooLarge(`more than ${megabytes(received)}`, true));
				yield next.value;
			}
		} catch (error) {
			if (failure) throw failure;
			failure = cutShort(true, error as Error);
			throw failure;
		}
		if (expected !== undefined && received < expected) throw (failure = cutShort(true));
	}

	const Readable = readableClassOf(body);
	if (!Readable) {
		body.destroy();
		throw cutShort(false, new Error('the download is not a stream'));
	}
	const source = Readable.from(checked(), { objectMode: false });
	try {
		return await ctx.helpers.prepareBinaryData(source as Buffer, videoFileName(task, index), VIDEO_MIME_TYPE);
	} catch (error) {
		body.destroy();
		if (failure) throw failure;
		throw cutShort(true, error as Error);
	}
}
