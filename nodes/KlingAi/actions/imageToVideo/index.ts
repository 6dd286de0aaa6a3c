import type { INodeProperties } from 'n8n-workflow';

import * as create from './create.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';

/** The Image to Video resource (Kling's legacy /v1/videos/image2video): its operations, each a file with its fields and its execute. */
export const operations = { create: create.execute, get: get.execute, getAll: getAll.execute };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['imageToVideo'] } },
		options: [
			{
				name: 'Create',
				value: 'create',
				action: 'Create video from image',
				description: 'Start an image-to-video task. Returns the task ID and status, or, when waiting, the finished video URL.',
			},
			{
				name: 'Get',
				value: 'get',
				action: 'Get image to video task',
				description: 'Get one image-to-video task by its task ID or external task ID: status, and the video URL once it succeeded',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many image to video tasks',
				description: 'List image-to-video tasks, newest first, with their status and video URLs',
			},
		],
		default: 'create',
	},
	...create.description,
	...get.description,
	...getAll.description,
];
