import type { IDataObject, IHttpRequestOptions } from 'n8n-workflow';

import { klingRequest, type KlingContext, type KlingTask, type RetryPolicy, DEFAULT_RETRY } from './index';

/**
 * Kling's task endpoints per resource. Every resource has the same three: create (POST), one task
 * by task ID or external task ID (GET …/{id}), and the list (GET with pageNum/pageSize).
 */
const KLING_ENDPOINTS = {
	textToVideo: '/v1/videos/text2video',
	imageToVideo: '/v1/videos/image2video',
} as const;

export type KlingResource = keyof typeof KLING_ENDPOINTS;

/** `.` and `..` would be read as path steps, not as an ID: they never name a task. */
export function isUsableTaskId(id: string): boolean {
	return id.trim() !== '' && id !== '.' && id !== '..';
}

export function createTaskRequest(resource: KlingResource, body: IDataObject): IHttpRequestOptions {
	return { method: 'POST', url: KLING_ENDPOINTS[resource], body };
}

/** The request that reads one task, by task ID or external task ID. */
export function getTaskRequest(resource: KlingResource, id: string): IHttpRequestOptions {
	return { method: 'GET', url: `${KLING_ENDPOINTS[resource]}/${encodeURIComponent(id)}` };
}

export function listTasksRequest(resource: KlingResource, pageNum: number, pageSize: number): IHttpRequestOptions {
	return { method: 'GET', url: KLING_ENDPOINTS[resource], qs: { pageNum, pageSize } };
}

export async function getTask(
	ctx: KlingContext,
	resource: KlingResource,
	id: string,
	itemIndex: number,
	policy: RetryPolicy = DEFAULT_RETRY,
): Promise<KlingTask> {
	return await klingRequest<KlingTask>(ctx, getTaskRequest(resource, id), itemIndex, policy);
}
