import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

import { downloadVideos, readDownloadSettings } from '../../helpers/download';
import { asNodeError } from '../../helpers/parameters';
import { simplifyTask } from '../../helpers/simplify';
import { getTask, isUsableTaskId, type KlingResource } from '../../transport/tasks';
import { downloadFields, simplifyField } from './fields';
import { eachItem } from './items';

/** Get, for every resource: one task by task ID or external task ID, optionally with its video. */
export const getFields: INodeProperties[] = [
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

export async function runGet(ctx: IExecuteFunctions, resource: KlingResource): Promise<INodeExecutionData[][]> {
	return await eachItem(ctx, async (itemIndex) => {
		const byExternal = ctx.getNodeParameter('lookupBy', itemIndex, 'taskId') === 'externalTaskId';
		const label = byExternal ? 'external task ID' : 'task ID';
		const raw = ctx.getNodeParameter(byExternal ? 'externalTaskId' : 'taskId', itemIndex, '') as unknown;
		const id = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim() : '';
		if (!isUsableTaskId(id)) {
			throw new NodeOperationError(ctx.getNode(), `The ${label} is ${id === '' ? 'empty' : `"${id}", which is not a task ID`} [item ${itemIndex}]`, {
				description: 'Enter the ID, or map it from the output of Create (e.g. {{ $json.task_id }}). Nothing was sent to Kling.',
				itemIndex,
			});
		}
		let download;
		try {
			download = (ctx.getNodeParameter('downloadVideo', itemIndex, false) as boolean)
				? readDownloadSettings((name, fallback) => ctx.getNodeParameter(name, itemIndex, fallback))
				: undefined;
		} catch (error) {
			throw asNodeError(ctx.getNode(), error, itemIndex);
		}
		const task = await getTask(ctx, resource, id, itemIndex);
		const simplify = ctx.getNodeParameter('simplify', itemIndex, true) as boolean;
		const item: INodeExecutionData = { json: simplify ? simplifyTask(task) : task, pairedItem: { item: itemIndex } };
		// Only a succeeded task has a video; for any other status the item says where the task stands.
		if (task.task_status === 'succeed' && download) item.binary = await downloadVideos(ctx, task, download, itemIndex);
		return [item];
	});
}
