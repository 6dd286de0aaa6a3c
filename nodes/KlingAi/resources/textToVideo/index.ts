import type { INodeProperties } from 'n8n-workflow';

import { handledBy } from '../../helpers/routing';
import { TEXT2VIDEO_PATH } from '../../transport';
import * as create from './create.operation';
import * as get from './get.operation';
import * as getMany from './getMany.operation';

export const textToVideoDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['textToVideo'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				action: 'Create video from text',
				description:
					'Start a text-to-video task. Returns the task ID and status, or, when waiting, the finished video URL.',
				// A custom operation (see create.operation.ts): it waits, so it needs the cancel signal.
			},
			{
				name: 'Get',
				value: 'get',
				action: 'Get video task',
				description: 'Get one task by its task ID or external task ID: status, and the video URL once it succeeded',
				routing: handledBy(get.execute, { request: { method: 'GET', url: TEXT2VIDEO_PATH } }),
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many video tasks',
				description: 'List tasks, newest first, with their status and video URLs',
				routing: handledBy(getMany.execute, { request: { method: 'GET', url: TEXT2VIDEO_PATH } }),
			},
		],
		default: 'create',
	},
	...create.description,
	...get.description,
	...getMany.description,
];
