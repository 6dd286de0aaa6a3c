import { NodeConnectionTypes, type INodeType, type INodeTypeDescription } from 'n8n-workflow';

import { textToVideoDescription } from './resources/textToVideo';
import * as create from './resources/textToVideo/create.operation';

export class KlingAi implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Kling AI',
		name: 'klingAi',
		icon: { light: 'file:../../icons/kling.svg', dark: 'file:../../icons/kling.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description: 'Generate videos from text with Kling AI',
		defaults: { name: 'Kling AI' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'klingAiApi', required: true }],
		requestDefaults: {
			headers: { Accept: 'application/json', 'Content-Type': 'application/json' },
			json: true,
		},
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Text to Video', value: 'textToVideo' }],
				default: 'textToVideo',
			},
			...textToVideoDescription,
		],
	};

	// Operations n8n runs as code; every other operation is routed from the description above.
	customOperations = {
		textToVideo: { create: create.execute },
	};
}
