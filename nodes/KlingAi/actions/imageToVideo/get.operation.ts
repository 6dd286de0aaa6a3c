import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { operationFields } from '../common/fields';
import { getFields, runGet } from '../common/get';

export const description = operationFields('imageToVideo', 'get', getFields);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await runGet(this, 'imageToVideo');
}
