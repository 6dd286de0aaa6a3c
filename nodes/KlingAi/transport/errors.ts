import type { INode, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';

import { IMAGE_TO_VIDEO_MODELS } from '../models/imageToVideo';
import { CURRENT_MODELS } from '../models/textToVideo';

/**
 * Kling's body codes (see the error table of the API): what happened, how to fix it, and whether
 * the same request can pass when sent again. Retries are decided by this code, never by the HTTP
 * status: 1100–1102 arrive as 429 but will not pass on a retry.
 */
export interface KlingErrorInfo {
	message: string;
	fix: string;
	retryable: boolean;
}

const CHECK_KEYS =
	'Check the credential: the Access Key and Secret Key (or the API key), and that they belong to the selected region (Global or China).';

export const KLING_ERRORS: Record<number, KlingErrorInfo> = {
	1000: { message: 'Kling could not authenticate the request', fix: CHECK_KEYS, retryable: false },
	1001: {
		message: 'Kling received no Authorization header',
		fix: 'Fill in the credential keys. A proxy in front of Kling may also be dropping the header.',
		retryable: false,
	},
	1002: {
		message: 'Kling rejected the Authorization token as invalid',
		fix: `${CHECK_KEYS} For a proxy or reseller, use the API Key authentication with its key.`,
		retryable: false,
	},
	1003: {
		message: 'Kling says the token is not valid yet',
		fix: 'The clock of the n8n host is ahead of Kling\'s. Synchronise the host clock (e.g. with NTP) and run again.',
		retryable: false,
	},
	1004: {
		message: 'Kling says the token has expired',
		fix: 'Each request gets a fresh token valid for 30 minutes, so this means the clock of the n8n host is wrong. Synchronise it (e.g. with NTP) and run again.',
		retryable: false,
	},
	1100: {
		message: 'The Kling account has a problem',
		fix: 'Check the account status in the Kling developer console.',
		retryable: false,
	},
	1101: {
		message: 'The Kling account is in arrears',
		fix: 'Top up the account in the Kling developer console, then run again.',
		retryable: false,
	},
	1102: {
		message: 'The Kling resource pack is used up or expired',
		fix: 'Buy or renew a resource pack in the Kling developer console, then run again.',
		retryable: false,
	},
	1103: {
		message: 'The Kling account has no permission for this resource',
		fix: 'The model (or feature) is not enabled for this account. Choose another model or enable it in the Kling console.',
		retryable: false,
	},
	1200: {
		message: 'Kling rejected the request parameters',
		fix: 'Check the node\'s fields against what the chosen model supports. For a proxy, check the Model Field Name in the credential.',
		retryable: false,
	},
	1201: {
		message: 'Kling rejected a parameter value',
		fix: 'Check the node\'s fields against what the chosen model supports.',
		retryable: false,
	},
	1202: {
		message: 'Kling does not know this API path',
		fix: 'Check the credential\'s Base URL and Path Prefix (a proxy often needs one, e.g. /kling).',
		retryable: false,
	},
	1203: {
		message: 'Kling could not find the task or model',
		fix: 'Check the task ID (or external task ID) and that the credential points at the region where the task was created.',
		retryable: false,
	},
	1300: {
		message: 'Kling\'s platform policy blocked the request',
		fix: 'Change the prompt or settings so that they meet Kling\'s platform policy.',
		retryable: false,
	},
	1301: {
		message: 'Kling\'s content-safety check blocked the prompt',
		fix: 'Rephrase the prompt (and the negative prompt) so that it passes Kling\'s content-safety rules.',
		retryable: false,
	},
	1302: {
		message: 'Kling is rate-limiting the requests',
		fix: 'Send fewer requests at once: lower the number of items per run, or space the runs out.',
		retryable: true,
	},
	1303: {
		message: 'The account is running as many Kling tasks as its resource pack allows',
		fix: 'Wait for running tasks to finish, send fewer items at once, or raise the concurrency of the resource pack.',
		retryable: true,
	},
	1304: {
		message: 'Kling\'s IP allow-list blocked the request',
		fix: 'Add the public IP address of the n8n host to the allow-list in the Kling console.',
		retryable: false,
	},
	5000: { message: 'Kling had an internal server error', fix: 'Run again in a moment.', retryable: true },
	5001: { message: 'Kling is temporarily unavailable', fix: 'Run again in a few minutes.', retryable: true },
	5002: { message: 'Kling timed out on the server side', fix: 'Run again in a moment.', retryable: true },
};

export function isRetryableKlingCode(code: number): boolean {
	return KLING_ERRORS[code]?.retryable ?? (code >= 5000 && code < 6000);
}

export interface KlingErrorBody {
	code?: number;
	message?: string;
	request_id?: string;
}

/** The current models of the endpoint a request went to (image-to-video or text-to-video), for errors that suggest one. */
function currentModelsFor(url: string | undefined): string {
	const models = url && /\/image2video(\/|$|\?)/.test(url) ? IMAGE_TO_VIDEO_MODELS.filter((model) => !model.legacy) : CURRENT_MODELS;
	return models.map((model) => `${model.name} (${model.id})`).join(', ');
}

/**
 * Turns a Kling error body into a NodeApiError: what happened in the message, the fix in the description.
 * `url` (the request's) picks the models a "discontinued" answer suggests.
 */
export function klingApiError(
	node: INode,
	httpStatus: number,
	body: KlingErrorBody,
	itemIndex?: number,
	url?: string,
): NodeApiError {
	const code = typeof body.code === 'number' ? body.code : undefined;
	const known = code !== undefined ? KLING_ERRORS[code] : undefined;
	let message = known?.message ?? `Kling answered with an error (HTTP ${httpStatus})`;
	let fix = known?.fix ?? 'Check the node\'s fields and the credential, then run again.';
	const said = typeof body.message === 'string' && body.message ? body.message : '';
	const retired = /model\s+['"]?([\w.-]+)['"]?\s+(?:has been |is )?(discontinued|retired|deprecated|offline|no longer (?:available|supported))/i.exec(said);
	if (retired) {
		message = `Kling no longer runs the model ${retired[1]}`;
		fix = `Choose a current model: ${currentModelsFor(url)}. Older models stay in the list for proxies that still run them.`;
	} else if (code === 1201 && /external_task_id/i.test(said)) {
		message = 'Kling already has a task with this external task ID';
		fix = 'External task IDs must be unique per account: give each item its own (e.g. add the item index or a timestamp), or leave the field empty.';
	}
	const details = [said && `Kling said: "${said}"`, body.request_id && `request ID ${body.request_id}`]
		.filter(Boolean)
		.join('; ');
	return new NodeApiError(node, { ...body } as JsonObject, {
		message: code !== undefined ? `${message} (code ${code})` : message,
		description: details ? `${fix} (${details})` : fix,
		httpCode: String(httpStatus),
		itemIndex,
	});
}
