/**
 * Small shared pieces for the node's suites: test keys, credentials pointing at a stand-in,
 * Create parameters, tasks made directly at the stand-in, and the "no secret in this error" check.
 */
import type { ICredentialDataDecryptedObject, INodeParameters } from 'n8n-workflow';

import { type KlingStandIn, type RecordedRequest, signTestJwt } from '../../stand-in';

export const ACCESS_KEY = 'test-access-key';
export const SECRET_KEY = 'test-secret-key';
export const API_KEY = 'sk-test-proxy-key-123';

/** Access Key + Secret Key credentials pointing at the stand-in (custom URL). */
export function jwtCredentials(standIn: KlingStandIn, extra: ICredentialDataDecryptedObject = {}): ICredentialDataDecryptedObject {
	return {
		authentication: 'accessKey',
		accessKey: ACCESS_KEY,
		secretKey: SECRET_KEY,
		region: 'custom',
		baseUrl: standIn.url,
		pathPrefix: '',
		modelField: 'model_name',
		...extra,
	};
}

/** API-key credentials pointing at the stand-in (custom URL). */
export function apiKeyCredentials(standIn: KlingStandIn, extra: ICredentialDataDecryptedObject = {}): ICredentialDataDecryptedObject {
	return {
		authentication: 'apiKey',
		apiKey: API_KEY,
		region: 'custom',
		baseUrl: standIn.url,
		pathPrefix: '',
		modelField: 'model_name',
		...extra,
	};
}

/** Create parameters that return at once (waiting is covered by its own suite). */
export function createParams(extra: INodeParameters = {}): INodeParameters {
	return {
		resource: 'textToVideo',
		operation: 'create',
		prompt: 'A red fox running through fresh snow at sunrise',
		waitForCompletion: false,
		...extra,
	};
}

/** Model chosen per item by expression (Model ID, shown then too, is ignored for listed models). */
export const MODEL_FROM_ITEM: INodeParameters = { model: '={{ $json.model }}' };

export function getParams(extra: INodeParameters = {}): INodeParameters {
	return { resource: 'textToVideo', operation: 'get', ...extra };
}

export function getManyParams(extra: INodeParameters = {}): INodeParameters {
	return { resource: 'textToVideo', operation: 'getAll', ...extra };
}

export const createRequests = (standIn: KlingStandIn): RecordedRequest[] => standIn.requests.filter((r) => r.kind === 'create');

/** The JSON bodies of the Create requests the stand-in received, in arrival order. */
export const createBodies = (standIn: KlingStandIn): Array<Record<string, unknown>> =>
	createRequests(standIn).map((r) => r.body as Record<string, unknown>);

/**
 * Creates tasks at the stand-in over HTTP (not through the node), one after the other, so that the
 * stand-in's list order is known. Returns the task IDs in creation order (oldest first).
 */
export async function createTasksDirectly(
	standIn: KlingStandIn,
	count: number,
	body: (index: number) => Record<string, unknown> = (index) => ({ model_name: 'kling-v1', prompt: `task ${index}` }),
	prefix = '',
): Promise<string[]> {
	const ids: string[] = [];
	for (let index = 0; index < count; index++) {
		const response = await fetch(`${standIn.url}${prefix}/v1/videos/text2video`, {
			method: 'POST',
			headers: { authorization: `Bearer ${signTestJwt(ACCESS_KEY, SECRET_KEY)}`, 'content-type': 'application/json' },
			body: JSON.stringify(body(index)),
		});
		const answer = (await response.json()) as { code: number; message: string; data?: { task_id: string } };
		if (answer.code !== 0 || !answer.data) throw new Error(`stand-in refused a task: ${answer.code} ${answer.message}`);
		ids.push(answer.data.task_id);
	}
	return ids;
}

/** Anything that looks like a JWT (base64url JSON header starting with {"). */
export const JWT_PATTERN = /eyJ[A-Za-z0-9_-]{4,}/;

/**
 * Fails when the error's message, description, or whole JSON form holds one of the secrets or
 * anything shaped like a JWT.
 */
export function expectNoSecrets(error: unknown, secrets: string[] = [SECRET_KEY, API_KEY]) {
	const e = error as { message?: string; description?: string | null } | undefined;
	const texts = { message: String(e?.message ?? ''), description: String(e?.description ?? ''), json: JSON.stringify(error) };
	for (const [where, text] of Object.entries(texts)) {
		for (const secret of secrets) {
			if (text.includes(secret)) throw new Error(`the error's ${where} contains the secret "${secret}"`);
		}
		const jwt = JWT_PATTERN.exec(text);
		if (jwt) throw new Error(`the error's ${where} contains a JWT-looking string ${jwt[0].slice(0, 16)}…`);
	}
}

/** A run's error as the suites read it (n8n hands it over as a plain copy of the thrown error). */
export interface RunError {
	name?: string;
	message: string;
	description?: string | null;
	httpCode?: string | null;
	context?: { itemIndex?: number };
}
