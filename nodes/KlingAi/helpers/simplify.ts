import type { IDataObject } from 'n8n-workflow';

import type { KlingTask } from '../transport';

const isoDate = (ms: unknown) =>
	typeof ms === 'number' && Number.isFinite(ms) ? new Date(ms).toISOString() : null;

/**
 * The fields a workflow (or an AI agent) usually needs from a task: its id and status, why it
 * failed, where the video is, and when it was created and last updated (ISO dates).
 */
export function simplifyTask(task: KlingTask): IDataObject {
	const videos = task.task_result?.videos ?? [];
	return {
		task_id: task.task_id,
		task_status: task.task_status,
		task_status_msg: task.task_status_msg ?? '',
		video_url: videos[0]?.url ?? null,
		video_urls: videos.map((video) => video.url),
		duration: videos[0]?.duration ?? null,
		external_task_id: task.task_info?.external_task_id ?? null,
		created_at: isoDate(task.created_at),
		updated_at: isoDate(task.updated_at),
	};
}
