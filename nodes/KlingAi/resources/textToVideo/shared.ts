import type { INodeProperties } from 'n8n-workflow';

export const simplifyField: INodeProperties = {
	displayName: 'Simplify',
	name: 'simplify',
	type: 'boolean',
	default: true,
	description:
		'Whether to return a simplified version of the task (ID, status, video URL, duration, dates) instead of the raw data',
};

/** Download Video and its binary property, for operations that return a finished task. */
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
	];
}
