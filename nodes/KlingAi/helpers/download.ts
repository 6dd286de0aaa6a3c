import type { IBinaryKeyData, IN8nHttpFullResponse, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { cancelSignal, type KlingContext, type KlingTask } from '../transport';

export const VIDEO_MIME_TYPE = 'video/mp4';

/** Binary property names for a task's videos: `data` for the first, then `data_1`, `data_2`, … */
export function videoPropertyName(base: string, index: number): string {
	return index === 0 ? base : `${base}_${index}`;
}

export function videoFileName(task: KlingTask, index: number): string {
	return index === 0 ? `${task.task_id}.mp4` : `${task.task_id}_${index}.mp4`;
}

/**
 * Streams each video of a succeeded task into n8n's binary data store. The body is never held
 * whole in the node's memory: n8n's filesystem (or S3) binary mode writes the stream as it
 * arrives. Video URLs are public CDN links: they are fetched without the Kling credential, so no
 * token is sent anywhere but to the API.
 */
export async function downloadVideos(
	ctx: KlingContext,
	task: KlingTask,
	binaryPropertyName: string,
	itemIndex: number,
): Promise<IBinaryKeyData> {
	const videos = task.task_result?.videos ?? [];
	const binary: IBinaryKeyData = {};
	for (const [index, video] of videos.entries()) {
		const response = (await ctx.helpers
			.httpRequest({
				method: 'GET',
				url: video.url,
				encoding: 'stream',
				returnFullResponse: true,
				ignoreHttpStatusErrors: true,
				abortSignal: cancelSignal(ctx),
			})
			.catch((error: Error) => {
				throw new NodeApiError(ctx.getNode(), { code: (error as { code?: string }).code ?? 'NETWORK' } as JsonObject, {
					message: `Could not download the video of Kling task ${task.task_id}`,
					description: `The download from ${new URL(video.url).host} failed before an answer (${(error as { code?: string }).code ?? error.name}). Run again, or use Get with Download Video later.`,
					itemIndex,
				});
			})) as IN8nHttpFullResponse;
		// A readable stream (encoding: 'stream'); prepareBinaryData consumes it chunk by chunk.
		const stream = response.body as Buffer & { resume(): void };
		if (response.statusCode >= 400) {
			stream.resume();
			throw new NodeApiError(ctx.getNode(), { httpStatus: response.statusCode } as JsonObject, {
				message: `Could not download the video of Kling task ${task.task_id} (HTTP ${response.statusCode})`,
				description:
					'Kling deletes videos 30 days after creation, and its links can expire. Fetch the task again with Get (it returns a fresh URL) and download soon after it succeeds.',
				httpCode: String(response.statusCode),
				itemIndex,
			});
		}
		binary[videoPropertyName(binaryPropertyName, index)] = await ctx.helpers.prepareBinaryData(
			stream,
			videoFileName(task, index),
			VIDEO_MIME_TYPE,
		);
	}
	return binary;
}
