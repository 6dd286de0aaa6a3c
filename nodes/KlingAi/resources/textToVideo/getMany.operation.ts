import type { IHttpRequestOptions, INodeExecutionData, INodeProperties, JsonObject } from 'n8n-workflow';
import { NodeApiError, updateDisplayOptions } from 'n8n-workflow';

import type { OperationHandler } from '../../helpers/routing';
import { simplifyTask } from '../../helpers/simplify';
import { klingRequest, type KlingTask } from '../../transport';
import { simplifyField } from './shared';

/** Kling's bounds for listing: pageNum 1–1000, pageSize 1–500. */
export const MAX_PAGE_NUM = 1000;
export const MAX_PAGE_SIZE = 500;

const fields: INodeProperties[] = [
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { returnAll: [false] } },
	},
	simplifyField,
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Page Size',
				name: 'pageSize',
				type: 'number',
				typeOptions: { minValue: 1, maxValue: MAX_PAGE_SIZE },
				default: MAX_PAGE_SIZE,
				description: 'Tasks asked for per request (1–500). Lower it if a proxy returns fewer per page than asked.',
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['textToVideo'], operation: ['getAll'] } }, fields);

/**
 * Kling lists tasks newest first with no total count, so the node reads page after page until a
 * page comes back shorter than asked for, or the limit is reached.
 */
export const execute: OperationHandler = async function (requestData) {
	const returnAll = this.getNodeParameter('returnAll', false) as boolean;
	const limit = returnAll ? Infinity : Math.max(1, Number(this.getNodeParameter('limit', 50)));
	const options = this.getNodeParameter('options', {}) as { pageSize?: number };
	// A fixed page size for the whole listing (pages are numbered in units of it), no larger than the limit.
	const pageSize = Math.min(MAX_PAGE_SIZE, limit, Math.max(1, Math.floor(options.pageSize ?? MAX_PAGE_SIZE)));
	const simplify = this.getNodeParameter('simplify', true) as boolean;

	const tasks: KlingTask[] = [];
	for (let pageNum = 1; pageNum <= MAX_PAGE_NUM && tasks.length < limit; pageNum++) {
		const page = await klingRequest<KlingTask[]>(
			this,
			{ ...(requestData.options as IHttpRequestOptions), qs: { ...requestData.options.qs, pageNum, pageSize } },
			this.getItemIndex(),
		);
		if (!Array.isArray(page)) {
			throw new NodeApiError(this.getNode(), {} as JsonObject, {
				message: 'Kling answered the task list with something that is not a list',
				description:
					'Expected data to be an array of tasks. A proxy may reshape Kling\'s answers: check the credential\'s Base URL and Path Prefix.',
				itemIndex: this.getItemIndex(),
			});
		}
		const list = page;
		tasks.push(...list.slice(0, limit - tasks.length));
		if (list.length < pageSize) break;
	}
	return tasks.map((task): INodeExecutionData => ({ json: simplify ? simplifyTask(task) : task }));
};
