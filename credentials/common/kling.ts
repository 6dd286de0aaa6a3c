import { createHmac } from 'crypto';
import type { ICredentialDataDecryptedObject } from 'n8n-workflow';

/**
 * What the Kling AI API credential means for a request: where the API lives, how a request is
 * signed, which body field names the model, and which values are secret. The credential file holds
 * the form, `authenticate` and `test`; the node's transport and the trigger read these.
 */

export const KLING_REGION_URLS = {
	global: 'https://api-singapore.klingai.com',
	china: 'https://api-beijing.klingai.com',
} as const;

/** A custom Base URL that cannot work, found before anything is sent: what is wrong, and the fix. */
export interface CredentialProblem {
	message: string;
	fix: string;
}

const isCustom = (credentials: ICredentialDataDecryptedObject) => String(credentials.region ?? 'global') === 'custom';

/**
 * Checks a custom Base URL and Path Prefix: a full http(s) address without user:password, query or
 * fragment, and without the `/v1` that every API path already starts with.
 */
export function customUrlProblem(credentials: ICredentialDataDecryptedObject): CredentialProblem | undefined {
	if (!isCustom(credentials)) return undefined;
	const raw = String(credentials.baseUrl ?? '').trim();
	const fix = (what: string) => `${what} Set the credential's Base URL to the proxy's address, e.g. https://api.example.com.`;
	if (raw === '') return problem('The credential\'s Base URL is empty', fix('Region is Custom URL, so a Base URL is needed.'));
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return problem(`The credential's Base URL "${raw.slice(0, 100)}" is not a URL`, fix('Start it with https:// (or http://).'));
	}
	if (url.protocol !== 'https:' && url.protocol !== 'http:') {
		return problem(`The credential's Base URL uses ${url.protocol}`, fix('Use an https:// (or http://) address.'));
	}
	if (url.username || url.password) {
		return problem(
			'The credential\'s Base URL holds a user name or password',
			'Remove user:password@ from the Base URL and put the key into the credential\'s API Key field instead.',
		);
	}
	if (url.search || url.hash || raw.includes('?') || raw.includes('#')) {
		return problem(
			'The credential\'s Base URL holds a query (?…) or fragment (#…)',
			'Remove everything from ? or # on: the node adds the API paths and parameters itself.',
		);
	}
	const path = `${url.pathname.replace(/\/+$/, '')}/${String(credentials.pathPrefix ?? '').trim().replace(/^\/+|\/+$/g, '')}`;
	if (/(^|\/)v1\/?$/.test(path.replace(/\/+$/, ''))) {
		return problem(
			'The credential\'s Base URL or Path Prefix ends in /v1',
			'Remove /v1: every API path the node calls already starts with /v1 (e.g. /v1/videos/text2video).',
		);
	}
	return undefined;
}

const problem = (message: string, fix: string): CredentialProblem => ({ message, fix });

/** Where the Kling API lives for these credentials: region or custom URL, plus a proxy's path prefix. */
export function klingBaseUrl(credentials: ICredentialDataDecryptedObject): string {
	if (!isCustom(credentials)) {
		const region = String(credentials.region ?? 'global');
		return KLING_REGION_URLS[region as keyof typeof KLING_REGION_URLS] ?? KLING_REGION_URLS.global;
	}
	const base = String(credentials.baseUrl ?? '').trim().replace(/\/+$/, '');
	const prefix = String(credentials.pathPrefix ?? '').trim().replace(/^\/+|\/+$/g, '');
	return prefix ? `${base}/${prefix}` : base;
}

/** Which body field(s) carry the model. The official API reads only `model_name`. */
export function klingModelFields(credentials: ICredentialDataDecryptedObject): string[] {
	if (!isCustom(credentials)) return ['model_name'];
	switch (credentials.modelField) {
		case 'model':
			return ['model'];
		case 'both':
			return ['model_name', 'model'];
		default:
			return ['model_name'];
	}
}

/** The largest CFG Scale the API takes: 1 on the official API; a proxy's credential may say 100. */
export function klingCfgScaleMax(credentials: ICredentialDataDecryptedObject): number {
	return isCustom(credentials) && credentials.cfgScaleRange === '0-100' ? 100 : 1;
}

/** Whether the API takes a tail frame (image_tail) on text-to-video: some proxies do, the official API does not. */
export function klingTextToVideoTailFrame(credentials: ICredentialDataDecryptedObject): boolean {
	return isCustom(credentials);
}

const base64Url = (input: string | Buffer) => Buffer.from(input).toString('base64url');

/**
 * Kling's token: HS256 JWT with iss = Access Key, exp = now + 30 min, nbf = now - 5 s, signed with
 * the Secret Key. A fresh one is signed for every request, so a long wait never outlives its token.
 */
export function signKlingJwt(accessKey: string, secretKey: string, nowSeconds = Math.floor(Date.now() / 1000)) {
	const header = base64Url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
	const payload = base64Url(JSON.stringify({ iss: accessKey, exp: nowSeconds + 1800, nbf: nowSeconds - 5 }));
	const signature = createHmac('sha256', secretKey).update(`${header}.${payload}`).digest('base64url');
	return `${header}.${payload}.${signature}`;
}

export function klingAuthorization(credentials: ICredentialDataDecryptedObject): string {
	if (credentials.authentication === 'apiKey') {
		return `Bearer ${String(credentials.apiKey ?? '').trim()}`;
	}
	return `Bearer ${signKlingJwt(String(credentials.accessKey ?? '').trim(), String(credentials.secretKey ?? '').trim())}`;
}

/** The credential's secret values, to be kept out of every error, item and log line. */
export function klingSecrets(credentials: ICredentialDataDecryptedObject): string[] {
	return ['secretKey', 'apiKey', 'callbackSecret', 'webhookSecret']
		.map((field) => String(credentials[field] ?? '').trim())
		.filter((value) => value.length >= 4);
}
