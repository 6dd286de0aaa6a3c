import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	Icon,
	INodeProperties,
} from 'n8n-workflow';

import { KLING_REGION_URLS, klingAuthorization, klingBaseUrl } from './common/kling';

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
		{
			displayName: 'CFG Scale Range',
			name: 'cfgScaleRange',
			type: 'options',
			options: [
				{ name: '0 to 1 (Official)', value: '0-1' },
				{ name: '0 to 100', value: '0-100' },
			],
			default: '0-1',
			displayOptions: { show: { region: ['custom'] } },
			description: 'The range of CFG Scale the proxy takes. The official API takes 0–1; some proxies document 0–100 (default 5).',
		},
		{
			displayName: 'Callback URL Secret',
			name: 'callbackSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'Optional, for the Kling AI Trigger: a callback must carry it as the query parameter secret (add ?secret=… to the trigger\'s URL when you use it as Callback URL). Kept here, not in the workflow, so that nobody who can read the workflow sees it.',
		},
		{
			displayName: 'Webhook Secret',
			name: 'webhookSecret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			placeholder: 'e.g. whsec_…',
			description:
				'Optional, for the Kling AI Trigger: the Webhook Secret from the Kling console (Basic Settings → Webhook), with which Kling signs its callbacks. With it, the trigger checks every callback\'s signature and needs no API request. After a Standard Rotation, paste the new secret: for Kling\'s 7-day grace period callbacks carry a signature for each secret, so the old and the new one both work.',
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
					message:
						'Kling refused the request with HTTP 429: the account or key is limited right now (rate or concurrency limit, arrears, used-up resource pack, or IP allow-list). Test again in a minute; if it persists, check the account in the Kling console',
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
