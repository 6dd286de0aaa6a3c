import type { DeclarativeRestApiSettings, IExecutePaginationFunctions, INodeExecutionData, INodePropertyRouting } from 'n8n-workflow';

export type OperationHandler = (
	this: IExecutePaginationFunctions,
	requestData: DeclarativeRestApiSettings.ResultOptions,
) => Promise<INodeExecutionData[]>;

/**
 * n8n builds each request declaratively (requestDefaults + the routing of every visible parameter)
 * and, when `send.paginate` is set, hands the built request to `operations.pagination` instead of
 * sending it itself. Get and Get Many use that hook, so that their requests go through the node's one
 * transport (Kling's codes mapped, retries, no secret in any error) like Create's, which runs as a
 * custom operation.
 */
export function handledBy(handler: OperationHandler, routing: INodePropertyRouting = {}): INodePropertyRouting {
	return {
		...routing,
		send: { ...routing.send, paginate: true },
		operations: { ...routing.operations, pagination: handler },
	};
}
