import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';

import { getFields, runGet } from '../common/get';

export const description = updateDisplayOptions({ show: { resource: ['imageToVideo'], operation: ['get'] } }, getFields);

export async function execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	return await runGet(this, 'imageToVideo');
}
