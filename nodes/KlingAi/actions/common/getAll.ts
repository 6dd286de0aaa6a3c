import type { IExecuteFunctions, INodeExecutionData, INodeProperties, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { asNodeError, numberParameter, optionNumber } from '../../helpers/parameters';
import { simplifyTask } from '../../helpers/simplify';
import { klingRequest, type KlingTask } from '../../transport';
import { type KlingResource, listTasksRequest } from '../../transport/tasks';
import { simplifyField } from './fields';
import { eachItem } from './items';

/** Kling's bounds for listing: pageNum 1–1000, pageSize 1–500. */
const MAX_PAGE_NUM = 1000;
const MAX_PAGE_SIZE = 500;
const MAX_LIMIT = MAX_PAGE_NUM * MAX_PAGE_SIZE;

/** Get Many, for every resource: the tasks, newest first, with Return All or a Limit. */
export const getAllFields: INodeProperties[] = [
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

/**
 * Kling lists tasks newest first with no total count, so the node reads page after page until a
 * page comes back shorter than asked for, or the limit is reached.
 */
export async function runGetAll(ctx: IExecuteFunctions, resource: KlingResource): Promise<INodeExecutionData[][]> {
	return await eachItem(ctx, async (itemIndex) => {
		let limit: number;
		let pageSize: number;
		try {
			const returnAll = ctx.getNodeParameter('returnAll', itemIndex, false) === true;
			limit = returnAll ? Infinity : numberParameter(ctx, 'limit', itemIndex, 'Limit', { min: 1, max: MAX_LIMIT, integer: true }, 50);
			const options = (ctx.getNodeParameter('options', itemIndex, {}) ?? {}) as object;
			// A fixed page size for the whole listing (pages are numbered in units of it), no larger than the limit.
			pageSize = Math.min(limit, optionNumber(options, 'pageSize', 'Page Size', { min: 1, max: MAX_PAGE_SIZE, integer: true }, MAX_PAGE_SIZE));
		} catch (error) {
			throw asNodeError(ctx.getNode(), error, itemIndex);
		}
		const simplify = ctx.getNodeParameter('simplify', itemIndex, true) as boolean;

		const tasks: KlingTask[] = [];
		for (let pageNum = 1; pageNum <= MAX_PAGE_NUM && tasks.length < limit; pageNum++) {
			const page = await klingRequest<KlingTask[]>(ctx, listTasksRequest(resource, pageNum, pageSize), itemIndex);
			if (!Array.isArray(page)) {
				throw new NodeApiError(ctx.getNode(), {} as JsonObject, {
					message: 'Kling answered the task list with something that is not a list',
					description:
						'Expected data to be an array of tasks. A proxy may reshape Kling\'s answers: check the credential\'s Base URL and Path Prefix.',
					itemIndex,
				});
			}
			tasks.push(...page.slice(0, limit - tasks.length));
			if (page.length < pageSize) break;
		}
		return tasks.map((task): INodeExecutionData => ({ json: simplify ? simplifyTask(task) : task }));
	});
}
