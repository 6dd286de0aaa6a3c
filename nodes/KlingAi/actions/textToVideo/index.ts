import type { INodeProperties } from 'n8n-workflow';

import * as create from './create.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';

/** The Text to Video resource: its operations, each a file with its fields and its execute. */
export const operations = { create: create.execute, get: get.execute, getAll: getAll.execute };

export const description: INodeProperties[] = [
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
				description: 'Start a text-to-video task. Returns the task ID and status, or, when waiting, the finished video URL.',
			},
			{
				name: 'Get',
				value: 'get',
				action: 'Get video task',
				description: 'Get one task by its task ID or external task ID: status, and the video URL once it succeeded',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many video tasks',
				description: 'List tasks, newest first, with their status and video URLs',
			},
		],
		default: 'create',
	},
	...create.description,
	...get.description,
	...getAll.description,
];
