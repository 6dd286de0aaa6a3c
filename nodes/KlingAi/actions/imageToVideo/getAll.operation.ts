import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { getAllFields, runGetAll } from '../common/getAll';

export const description = updateDisplayOptions({ show: { resource: ['imageToVideo'], operation: ['getAll'] } }, getAllFields);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await runGetAll(this, 'imageToVideo');
}
