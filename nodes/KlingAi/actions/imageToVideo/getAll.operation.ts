import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';

import { operationFields } from '../common/fields';
import { getAllFields, runGetAll } from '../common/getAll';

export const description = operationFields('imageToVideo', 'getAll', getAllFields);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await runGetAll(this, 'imageToVideo');
}
