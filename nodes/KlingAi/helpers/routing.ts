import type { DeclarativeRestApiSettings, IExecutePaginationFunctions, INodeExecutionData, INodePropertyRouting } from 'n8n-workflow';

export type OperationHandler = (
	this: IExecutePaginationFunctions,
	requestData: DeclarativeRestApiSettings.ResultOptions,
) => Promise<INodeExecutionData[]>;

/**
 * n8n builds each request declaratively (requestDefaults + the routing of every visible parameter)
 * and, when `send.paginate` is set, hands the built request to `operations.pagination` instead of
 * sending it itself. Every operation uses that hook, so that all requests go through one transport
 * (errors mapped, no secret in any error), and so that Create can wait, retry and download.
 */
export function handledBy(handler: OperationHandler, routing: INodePropertyRouting = {}): INodePropertyRouting {
	return {
		...routing,
		send: { ...routing.send, paginate: true },
		operations: { ...routing.operations, pagination: handler },
	};
}
