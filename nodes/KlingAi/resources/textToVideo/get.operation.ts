import type { IHttpRequestOptions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import type { OperationHandler } from '../../helpers/routing';
import { simplifyTask } from '../../helpers/simplify';
import { klingRequest, type KlingTask, TEXT2VIDEO_PATH } from '../../transport';

const fields: INodeProperties[] = [
	{
		displayName: 'Get By',
		name: 'lookupBy',
		type: 'options',
		options: [
			{ name: 'Task ID', value: 'taskId', description: 'The ID Kling gave the task when it was created' },
			{ name: 'External Task ID', value: 'externalTaskId', description: 'Your own ID, set when the task was created' },
		],
		default: 'taskId',
	},
	{
		displayName: 'Task ID',
		name: 'taskId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. 8f3a0c8e-1d2b-4c5d-9e6f-0a1b2c3d4e5f',
		description: 'The task_id returned by Create',
		displayOptions: { show: { lookupBy: ['taskId'] } },
	},
	{
		displayName: 'External Task ID',
		name: 'externalTaskId',
		type: 'string',
		default: '',
		required: true,
		placeholder: 'e.g. order-1234-video',
		description: 'The external task ID given to Create',
		displayOptions: { show: { lookupBy: ['externalTaskId'] } },
	},
	{
		displayName: 'Simplify',
		name: 'simplify',
		type: 'boolean',
		default: true,
		description:
			'Whether to return a simplified version of the task (id, status, video URL, duration, dates) instead of the raw data',
	},
];

export const description = updateDisplayOptions({ show: { resource: ['textToVideo'], operation: ['get'] } }, fields);

export const execute: OperationHandler = async function (requestData) {
	const lookupBy = this.getNodeParameter('lookupBy', 'taskId') as string;
	const id = String(this.getNodeParameter(lookupBy === 'externalTaskId' ? 'externalTaskId' : 'taskId', '')).trim();
	if (!id) {
		const itemIndex = this.getItemIndex();
		throw new NodeOperationError(this.getNode(), `The ${lookupBy === 'externalTaskId' ? 'external task ID' : 'task ID'} is empty [item ${itemIndex}]`, {
			description: 'Enter the ID, or map it from the output of Create (e.g. {{ $json.task_id }}). Nothing was sent to Kling.',
			itemIndex,
		});
	}
	const task = await klingRequest<KlingTask>(this, {
		...(requestData.options as IHttpRequestOptions),
		url: `${TEXT2VIDEO_PATH}/${encodeURIComponent(id)}`,
	});
	const simplify = this.getNodeParameter('simplify', true) as boolean;
	return [{ json: simplify ? simplifyTask(task) : task }];
};
