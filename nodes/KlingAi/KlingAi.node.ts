import { NodeConnectionTypes, type INodeType, type INodeTypeDescription } from 'n8n-workflow';

import * as imageToVideo from './actions/imageToVideo';
import * as textToVideo from './actions/textToVideo';

/**
 * The Kling AI node. How its operations run: every operation is code, listed in `customOperations`
 * (resource → operation → execute, from each resource's actions/<resource>/index.ts), which n8n runs
 * with the execution's cancel signal. The description is declarative in form (requestDefaults, one
 * description per resource and operation), but no operation is routed by n8n: each sends its requests
 * through the node's one transport (transport/), which signs them, maps Kling's codes, retries what
 * can pass and keeps secrets out of every error.
 */
export class KlingAi implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Kling AI',
		name: 'klingAi',
		icon: { light: 'file:../../icons/kling.svg', dark: 'file:../../icons/kling.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{ $parameter["operation"] + ": " + $parameter["resource"] }}',
		description: 'Generate videos from text or images with Kling AI',
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
				options: [
					{ name: 'Image to Video', value: 'imageToVideo' },
					{ name: 'Text to Video', value: 'textToVideo' },
				],
				default: 'textToVideo',
			},
			...textToVideo.description,
			...imageToVideo.description,
		],
	};

	customOperations = {
		textToVideo: textToVideo.operations,
		imageToVideo: imageToVideo.operations,
	};
}
