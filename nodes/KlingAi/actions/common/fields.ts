import type { INodeProperties } from 'n8n-workflow';

import { PROMPT_MAX_LENGTH } from './body';
import { MAX_VIDEO_MB_DEFAULT, MAX_VIDEO_MB_LIMIT } from '../../helpers/download';
import {
	MAX_WAIT_DEFAULT_S,
	MAX_WAIT_LIMIT_S,
	POLL_INTERVAL_DEFAULT_S,
	POLL_INTERVAL_MAX_S,
	POLL_INTERVAL_MIN_S,
} from '../../helpers/polling';
import { DEFAULT_MAX_TRIES, MAX_TRIES_LIMIT } from '../../transport';

/** Fields that every resource's operations (and the trigger) share: one definition each. */

export const MAX_QUEUE_DEFAULT_S = 7200;
export const MAX_QUEUE_LIMIT_S = 86_400;
export const MAX_CONCURRENT_LIMIT = 1000;

export const simplifyField: INodeProperties = {
	displayName: 'Simplify',
	name: 'simplify',
	type: 'boolean',
	default: true,
	description:
		'Whether to return a simplified version of the task (ID, status, video URL, duration, dates) instead of the raw data',
};

/** Download Video, its binary property and its size limit, for operations that return a finished task. */
export function downloadFields(show: Record<string, Array<string | boolean>> = {}): INodeProperties[] {
	return [
		{
			displayName: 'Download Video',
			name: 'downloadVideo',
			type: 'boolean',
			default: false,
			displayOptions: { show },
			description:
				'Whether to download the finished video into the item as binary data (MP4), ready for nodes that upload files. Kling deletes videos after 30 days.',
		},
		{
			displayName: 'Put Output File in Field',
			name: 'binaryPropertyName',
			type: 'string',
			default: 'data',
			required: true,
			displayOptions: { show: { ...show, downloadVideo: [true] } },
			hint: 'The name of the binary property for the video. Further videos of the same task go to data_1, data_2, …',
			description: 'The binary property the video is written to',
		},
		{
			displayName: 'Max Video Size (MB)',
			name: 'maxVideoSize',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: MAX_VIDEO_MB_LIMIT },
			default: MAX_VIDEO_MB_DEFAULT,
			displayOptions: { show: { ...show, downloadVideo: [true] } },
			description:
				'A larger answer is refused before it fills memory. For videos, run n8n in filesystem or S3 binary data mode: in the default memory mode every video sits in memory.',
		},
	];
}

/** Wait for Completion and its timing, on every Create. */
export const waitFields: INodeProperties[] = [
	{
		displayName: 'Wait for Completion',
		name: 'waitForCompletion',
		type: 'boolean',
		default: true,
		description:
			'Whether to wait until the video is ready and return its URL. Off: return at once with the task ID, and fetch the video later with Get (or a callback).',
	},
	{
		displayName: 'Poll Interval (Seconds)',
		name: 'pollInterval',
		type: 'number',
		typeOptions: { minValue: POLL_INTERVAL_MIN_S, maxValue: POLL_INTERVAL_MAX_S },
		default: POLL_INTERVAL_DEFAULT_S,
		description:
			'How often to ask Kling whether the video is ready, and, while items wait for a free slot of the account, whether one of their tasks has ended',
	},
	{
		displayName: 'Max Wait (Seconds)',
		name: 'maxWait',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_WAIT_LIMIT_S },
		default: MAX_WAIT_DEFAULT_S,
		displayOptions: { show: { waitForCompletion: [true] } },
		description:
			'How long an item may take in all, waiting for a free slot of the account included. Then it fails with an error that names the task ID (the task keeps running at Kling). Busy times can take over 15 minutes per video.',
	},
];

/** Options that every Create has, whatever the resource. */
export const createOptions: INodeProperties[] = [
	{
		displayName: 'Callback URL',
		name: 'callbackUrl',
		type: 'string',
		default: '',
		placeholder: 'e.g. https://example.com/webhook/kling',
		description: 'Kling POSTs the task to this URL every time its status changes',
	},
	{
		displayName: 'External Task ID',
		name: 'externalTaskId',
		type: 'string',
		default: '',
		placeholder: 'e.g. order-1234-video',
		description:
			'Your own ID for the task, unique in the account; Get accepts it in place of the task ID. Left empty, the node makes one that stays the same when n8n retries the node (Retry On Fail), so a retry finds the task instead of paying for it again.',
	},
	{
		displayName: 'Max Concurrent Tasks',
		name: 'maxConcurrentTasks',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: MAX_CONCURRENT_LIMIT },
		default: 0,
		description:
			'The most tasks this node keeps running at Kling at once over its items; the others wait for a free slot. 0: no cap: the node learns the account\'s limit from Kling\'s refusals (code 1303). At or below the account\'s limit, Kling never refuses a Create for concurrency.',
	},
	{
		displayName: 'Max Queue Time (Seconds)',
		name: 'maxQueueTime',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_QUEUE_LIMIT_S },
		default: MAX_QUEUE_DEFAULT_S,
		description:
			'Without Wait for Completion: how long an item may wait for a free slot of the account before it fails (nothing is created or paid for then). With waiting, Max Wait bounds the queue time instead.',
	},
	{
		displayName: 'Max Tries',
		name: 'maxTries',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: MAX_TRIES_LIMIT },
		default: DEFAULT_MAX_TRIES,
		description:
			'How many times to send a request that failed in a way that can pass (Kling\'s rate limit, a server error, a dropped connection), waiting longer each time. Waiting for a free slot (code 1303) does not count. Other errors fail at once.',
	},
];

/**
 * Shows fields for one resource and operation only. Unlike n8n-workflow's updateDisplayOptions, the
 * resource and operation come first in each field's show rule: n8n shows a field as soon as it meets
 * a rule on a parameter set by expression (e.g. a model from {{ $json.model }}), without looking at
 * the rules after it, so a field of another resource would show up if its model rule came first.
 */
export function operationFields(resource: string, operation: string, properties: INodeProperties[]): INodeProperties[] {
	return properties.map((property) => ({
		...property,
		displayOptions: {
			...property.displayOptions,
			show: { resource: [resource], operation: [operation], ...property.displayOptions?.show },
		},
	}));
}

/** Negative Prompt, in the Options of every Create that takes one. */
export const negativePromptOption: INodeProperties = {
	displayName: 'Negative Prompt',
	name: 'negativePrompt',
	type: 'string',
	typeOptions: { rows: 2 },
	default: '',
	placeholder: 'e.g. blur, watermark, text',
	description: `What the video should avoid, at most ${PROMPT_MAX_LENGTH.toLocaleString('en-US')} characters`,
};
