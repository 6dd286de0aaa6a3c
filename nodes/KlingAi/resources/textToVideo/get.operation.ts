import type { IHttpRequestOptions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';

import type { OperationHandler } from '../../helpers/routing';
import { simplifyTask } from '../../helpers/simplify';
import { downloadVideos } from '../../helpers/download';
import { getTask } from '../../helpers/wait';
import { downloadFields, simplifyField } from './shared';

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
	...downloadFields(),
	simplifyField,
];

export const description = updateDisplayOptions({ show: { resource: ['textToVideo'], operation: ['get'] } }, fields);

export const execute: OperationHandler = async function (requestData) {
	const itemIndex = this.getItemIndex();
	const lookupBy = this.getNodeParameter('lookupBy', 'taskId') as string;
	const id = String(this.getNodeParameter(lookupBy === 'externalTaskId' ? 'externalTaskId' : 'taskId', '')).trim();
	if (!id) {
		throw new NodeOperationError(this.getNode(), `The ${lookupBy === 'externalTaskId' ? 'external task ID' : 'task ID'} is empty [item ${itemIndex}]`, {
			description: 'Enter the ID, or map it from the output of Create (e.g. {{ $json.task_id }}). Nothing was sent to Kling.',
			itemIndex,
		});
	}
	const task = await getTask(this, id, itemIndex, requestData.options as IHttpRequestOptions);
	const simplify = this.getNodeParameter('simplify', true) as boolean;
	const item: INodeExecutionData = { json: simplify ? simplifyTask(task) : task };
	// Only a succeeded task has a video; for any other status the item says where the task stands.
	if (task.task_status === 'succeed' && (this.getNodeParameter('downloadVideo', false) as boolean)) {
		item.binary = await downloadVideos(this, task, this.getNodeParameter('binaryPropertyName', 'data') as string, itemIndex);
	}
	return [item];
};
