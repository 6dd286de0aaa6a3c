import type { IDataObject } from 'n8n-workflow';

import type { KlingTask } from '../transport';
import { isUsableTaskId } from '../transport/tasks';

/**
 * The two callback bodies Kling posts (its callback page, "Callback Protocol"):
 * - legacy (Kling 3.0 Omni and earlier, the `/v1/videos/...` API): the task as the query answers it,
 *   `task_id`, `task_status` (submitted, processing, succeed, failed), `task_result.videos[]`, … Some
 *   senders wrap it as `{ code, message, data }`.
 * - new style (the API with the model in the path): `id`, `status` (submitted, processing, succeeded,
 *   failed), `message`, `create_time`, `update_time`, `external_id`, `outputs[]` (type video: id, url,
 *   watermark_url, duration), `billing[]`. Kling's console "Send Test Callback" posts this shape with
 *   status submitted and no outputs.
 * Both are read into the legacy task, so that a workflow filters on one status vocabulary.
 */

export type CallbackStyle = 'legacy' | 'new';

export interface CallbackTask {
	/** The task in the legacy shape (new-style bodies mapped). */
	task: KlingTask;
	/** The body as posted (unwrapped from { code, message, data }). */
	raw: IDataObject;
	style: CallbackStyle;
}

const NEW_STATUS: Record<string, string> = {
	submitted: 'submitted',
	processing: 'processing',
	succeeded: 'succeed',
	failed: 'failed',
};

const isRecord = (value: unknown): value is IDataObject =>
	typeof value === 'object' && value !== null && !Array.isArray(value);

const usableId = (id: unknown): string | undefined =>
	(typeof id === 'string' || typeof id === 'number') && isUsableTaskId(String(id)) ? String(id).trim() : undefined;

/** The legacy task of a callback: flat, or wrapped as { code, message, data }. */
export function legacyTaskFromBody(body: unknown): KlingTask | undefined {
	if (!isRecord(body)) return undefined;
	const candidate = isRecord(body.data) && 'task_id' in body.data ? body.data : body;
	const id = usableId(candidate.task_id);
	if (id === undefined) return undefined;
	return { ...candidate, task_id: id } as KlingTask;
}

/** A new-style task as the legacy task: same fields, legacy names, legacy status vocabulary. */
export function newStyleToLegacy(body: IDataObject, id: string): KlingTask {
	const status = typeof body.status === 'string' ? body.status : '';
	const outputs = Array.isArray(body.outputs) ? body.outputs.filter(isRecord) : [];
	const videos = outputs
		.filter((output) => output.type === 'video' && typeof output.url === 'string')
		.map((output) => {
			const video: { id?: string; url: string; duration?: string; watermark_url?: string } = { url: output.url as string };
			if (output.id !== undefined) video.id = String(output.id);
			if (output.duration !== undefined) video.duration = String(output.duration);
			if (typeof output.watermark_url === 'string') video.watermark_url = output.watermark_url;
			return video;
		});
	const task: KlingTask = {
		task_id: id,
		task_status: NEW_STATUS[status] ?? status,
		task_status_msg: typeof body.message === 'string' ? body.message : '',
	};
	if (typeof body.create_time === 'number') task.created_at = body.create_time;
	if (typeof body.update_time === 'number') task.updated_at = body.update_time;
	if (typeof body.external_id === 'string' && body.external_id !== '') task.task_info = { external_task_id: body.external_id };
	if (videos.length > 0) task.task_result = { videos };
	return task;
}

/** The task a callback carries, in either style; undefined when the body holds no usable task ID. */
export function callbackFromBody(body: unknown): CallbackTask | undefined {
	const legacy = legacyTaskFromBody(body);
	if (legacy) return { task: legacy, raw: legacy, style: 'legacy' };
	if (!isRecord(body)) return undefined;
	const candidate = isRecord(body.data) && 'id' in body.data && 'status' in body.data ? body.data : body;
	const id = usableId(candidate.id);
	if (id === undefined || !('status' in candidate)) return undefined;
	return { task: newStyleToLegacy(candidate, id), raw: candidate, style: 'new' };
}
