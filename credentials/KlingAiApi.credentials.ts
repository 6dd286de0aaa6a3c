import { createHmac } from 'crypto';
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

export const KLING_REGION_URLS = {
	global: 'https://api-singapore.klingai.com',
	china: 'https://api-beijing.klingai.com',
} as const;

/** Where the Kling API lives for these credentials: region or custom URL, plus a proxy's path prefix. */
export function klingBaseUrl(credentials: ICredentialDataDecryptedObject): string {
	const region = String(credentials.region ?? 'global');
	if (region !== 'custom') {
		return KLING_REGION_URLS[region as keyof typeof KLING_REGION_URLS] ?? KLING_REGION_URLS.global;
	}
	const base = String(credentials.baseUrl ?? '').trim().replace(/\/+$/, '');
	const prefix = String(credentials.pathPrefix ?? '').trim().replace(/^\/+|\/+$/g, '');
	return prefix ? `${base}/${prefix}` : base;
}

/** Which body field(s) carry the model. The official API reads only `model_name`. */
export function klingModelFields(credentials: ICredentialDataDecryptedObject): string[] {
	if (String(credentials.region ?? 'global') !== 'custom') return ['model_name'];
	switch (credentials.modelField) {
		case 'model':
			return ['model'];
		case 'both':
			return ['model_name', 'model'];
		default:
			return ['model_name'];
	}
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

export class KlingAiApi implements ICredentialType {
	name = 'klingAiApi';

	displayName = 'Kling AI API';

	icon: Icon = { light: 'file:../icons/kling.svg', dark: 'file:../icons/kling.dark.svg' };

	documentationUrl = 'https://app.klingai.com/global/dev/document-api/quickStart/userManual';

	properties: INodeProperties[] = [
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{
					name: 'Access Key and Secret Key',
					value: 'accessKey',
					description: 'Official Kling API: a fresh signed token (JWT) is made for every request',
				},
				{
					name: 'API Key',
					value: 'apiKey',
					description: 'A single key sent as a Bearer token: newer Kling accounts, proxies and resellers',
				},
			],
			default: 'accessKey',
		},
		{
			displayName: 'Access Key',
			name: 'accessKey',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { authentication: ['accessKey'] } },
			description: 'The Access Key (AK) from the Kling developer console',
		},
		{
			displayName: 'Secret Key',
			name: 'secretKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authentication: ['accessKey'] } },
			description: 'The Secret Key (SK) that signs each request token. It never leaves n8n.',
		},
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authentication: ['apiKey'] } },
			description: 'Sent as "Authorization: Bearer &lt;key&gt;"',
		},
		{
			displayName: 'Region',
			name: 'region',
			type: 'options',
			options: [
				{ name: 'Global (Singapore)', value: 'global', description: KLING_REGION_URLS.global },
				{ name: 'China (Beijing)', value: 'china', description: KLING_REGION_URLS.china },
				{ name: 'Custom URL (Proxy or Reseller)', value: 'custom' },
			],
			default: 'global',
			description: 'Keys of one region do not work in the other',
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'e.g. https://api.example.com',
			displayOptions: { show: { region: ['custom'] } },
			description: 'The address of the proxy, without the path prefix',
		},
		{
			displayName: 'Path Prefix',
			name: 'pathPrefix',
			type: 'string',
			default: '',
			placeholder: 'e.g. /kling',
			displayOptions: { show: { region: ['custom'] } },
			description: 'Put in front of every API path, e.g. /kling for {base}/kling/v1/videos/text2video. Leave empty if the proxy serves /v1/... directly.',
		},
		{
			displayName: 'Model Field Name',
			name: 'modelField',
			type: 'options',
			options: [
				{ name: 'Model_name (Official)', value: 'model_name' },
				{ name: 'Model', value: 'model' },
				{ name: 'Both', value: 'both' },
			],
			default: 'model_name',
			displayOptions: { show: { region: ['custom'] } },
			description: 'The request field the proxy reads the model from. The official API reads only model_name (with only "model" it silently runs kling-v1).',
		},
	];

	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		return {
			...requestOptions,
			baseURL: klingBaseUrl(credentials),
			headers: { ...requestOptions.headers, Authorization: klingAuthorization(credentials) },
		};
	};

	// Listing one task is the cheapest authenticated call: it uses no concurrency slot and costs nothing.
	test: ICredentialTestRequest = {
		request: {
			method: 'GET',
			url: '/v1/videos/text2video',
			qs: { pageNum: 1, pageSize: 1 },
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message:
						'Kling rejected the credentials: check the Access Key and Secret Key (or the API key), that they belong to the chosen region, and that this machine\'s clock is correct',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 404,
					message: 'The API path was not found: check the base URL and the path prefix (e.g. /kling for a proxy)',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 429,
					message: 'The account cannot be used right now (arrears, used-up resource pack, or IP allow-list): check it in the Kling console',
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message: 'The key has no permission for the text-to-video API',
				},
			},
		],
	};
}
