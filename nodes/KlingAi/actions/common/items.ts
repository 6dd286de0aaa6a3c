import type { IExecuteFunctions, INodeExecutionData, NodeApiError, NodeOperationError } from 'n8n-workflow';

/**
 * Runs an operation for every input item side by side, in item order in the output. A failing item
 * stops the run, or, with Continue On Fail, becomes an error item paired with its input.
 */
export async function eachItem(
	ctx: IExecuteFunctions,
	run: (itemIndex: number) => Promise<INodeExecutionData[]>,
): Promise<INodeExecutionData[][]> {
	const settled = await Promise.allSettled(ctx.getInputData().map(async (_, itemIndex) => await run(itemIndex)));
	const results: INodeExecutionData[] = [];
	for (const [itemIndex, outcome] of settled.entries()) {
		if (outcome.status === 'fulfilled') {
			results.push(...outcome.value.map((item) => ({ ...item, pairedItem: { item: itemIndex } })));
			continue;
		}
		const error = namingItem(outcome.reason as NodeApiError | NodeOperationError, itemIndex);
		if (!ctx.continueOnFail()) throw error;
		results.push({ json: { error: error.message }, error, pairedItem: { item: itemIndex } });
	}
	return [results];
}

/** Every error names its item. */
export function namingItem<E extends NodeApiError | NodeOperationError>(error: E, itemIndex: number): E {
	if (error instanceof Error && !/\[item \d+\]$/.test(error.message)) error.message = `${error.message} [item ${itemIndex}]`;
	return error;
}
