/**
 * Tests a Kling credential the way n8n's "Test" button does (CredentialsTester in packages/cli,
 * `testCredentials`): when the credential type has a `test` request, n8n makes a copy of a plain
 * node type (NoOp) whose only property routes `credentialType.test.request`, runs it once with
 * n8n-core's own RoutingNode and the decrypted credential, and turns a failed response into a
 * message through the test's `rules`. The same steps are followed here with n8n-core's real
 * RoutingNode and ExecuteContext; only the stored credential and the credentials helper (which calls
 * the credential type's own `authenticate`) are supplied, as in ./engine.ts.
 */
import { klingCredentialType } from './engine'; // first: it points N8N_USER_FOLDER at a temp folder

import { ExecuteContext, RoutingNode } from 'n8n-core';
import {
	createRunExecutionData,
	ICredentialsHelper,
	NodeHelpers,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentials,
	type ICredentialsDecrypted,
	type IExecuteData,
	type IHttpRequestOptions,
	type INode,
	type INodeCredentialTestResult,
	type INodeExecutionData,
	type INodeType,
	type INodeTypes,
	type IWorkflowExecuteAdditionalData,
} from 'n8n-workflow';

/** The NoOp node's description, the base CredentialsTester copies when the test sits on the credential. */
const noOpType: INodeType = {
	description: {
		displayName: 'No Operation, do nothing',
		name: 'noOp',
		icon: 'fa:arrow-right',
		group: ['organization'],
		version: 1,
		description: 'No Operation',
		defaults: { name: 'No Operation, do nothing' },
		inputs: ['main'],
		outputs: ['main'],
		properties: [],
	},
};

class CredentialTestHelper extends ICredentialsHelper {
	/** Every request the helper authenticated (after authentication), for the tests to inspect. */
	readonly authenticated: IHttpRequestOptions[] = [];

	getParentTypes(): string[] {
		return [];
	}

	async authenticate(credentials: ICredentialDataDecryptedObject, typeName: string, requestOptions: IHttpRequestOptions) {
		if (typeName !== klingCredentialType.name || typeof klingCredentialType.authenticate !== 'function') {
			throw new Error(`Unknown credential type ${typeName}`);
		}
		const options = await klingCredentialType.authenticate(credentials, requestOptions);
		this.authenticated.push(options);
		return options;
	}

	async preAuthentication() {
		return undefined;
	}

	async getCredentials(): Promise<ICredentials> {
		throw new Error('not used: the tester passes the decrypted credential itself');
	}

	async getDecrypted(): Promise<ICredentialDataDecryptedObject> {
		throw new Error('not used: the tester passes the decrypted credential itself');
	}

	async updateCredentials() {}

	async updateCredentialsOauthTokenData() {}

	getCredentialsProperties() {
		return klingCredentialType.properties;
	}
}

export interface CredentialTestOutcome extends INodeCredentialTestResult {
	/** The error RoutingNode threw, when the request failed. */
	error?: Error & { cause?: { response?: { status?: number } } };
}

/** Runs the credential type's `test` request like n8n's CredentialsTester and returns its verdict. */
export async function testKlingCredential(data: ICredentialDataDecryptedObject): Promise<CredentialTestOutcome> {
	const credentialType = klingCredentialType.name;
	const testRequest = klingCredentialType.test;
	if (!testRequest) return { status: 'Error', message: 'No testing function found for this credential.' };

	const credentialsDecrypted: ICredentialsDecrypted = { id: 'cred-test', name: 'Kling AI account', type: credentialType, data };
	const node: INode = {
		id: 'temp',
		parameters: {},
		name: 'Temp-Node',
		type: noOpType.description.name,
		typeVersion: 1,
		position: [0, 0],
		credentials: { [credentialType]: { id: credentialsDecrypted.id, name: credentialsDecrypted.name } },
	};
	const nodeTypeCopy: INodeType = {
		description: {
			...noOpType.description,
			credentials: [{ name: credentialType, required: true }],
			properties: [
				{
					displayName: 'Temp',
					name: 'temp',
					type: 'string',
					routing: { request: testRequest.request },
					default: '',
				},
			],
		},
	};
	const nodeTypes: INodeTypes = {
		getByName: () => nodeTypeCopy,
		getByNameAndVersion: (_type, version) => NodeHelpers.getVersionedNodeType(nodeTypeCopy, version),
		getKnownTypes: () => ({}),
	};
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes });
	const additionalData = {
		credentialsHelper: new CredentialTestHelper(),
		executionId: 'credential-test',
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://127.0.0.1:5678/rest',
		instanceBaseUrl: 'http://127.0.0.1:5678/',
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test',
		formWaitingBaseUrl: 'http://127.0.0.1:5678/form-waiting',
		variables: {},
	} as unknown as IWorkflowExecuteAdditionalData;
	const workflowNode = workflow.getNode(node.name)!;
	const executeData: IExecuteData = { node: workflowNode, data: {}, source: null };
	const context = new ExecuteContext(
		workflow,
		workflowNode,
		additionalData,
		'internal',
		createRunExecutionData({ resultData: { runData: {} } }),
		0,
		[],
		{ main: [[{ json: {} }]] },
		executeData,
		[],
	);
	const routingNode = new RoutingNode(context, nodeTypeCopy, credentialsDecrypted);

	let response: INodeExecutionData[][] | null | undefined;
	try {
		response = await routingNode.runNode();
	} catch (caught) {
		const error = caught as CredentialTestOutcome['error'] & { cause?: { response?: { status?: number; statusText?: string }; code?: string } };
		// From here on, CredentialsTester's own handling of a failed test request.
		if (error?.cause?.response) {
			const statusCode = error.cause.response.status ?? 0;
			for (const rule of testRequest.rules ?? []) {
				if (rule.type === 'responseCode' && rule.properties.value === statusCode) {
					return { status: 'Error', message: rule.properties.message, error };
				}
			}
			if (statusCode < 199 || statusCode > 299) {
				return {
					status: 'Error',
					message: error.cause.response.statusText || `Received HTTP status code: ${statusCode}`,
					error,
				};
			}
		} else if (error?.cause?.code) {
			return { status: 'Error', message: error.cause.code, error };
		}
		return { status: 'Error', message: String(error?.message), error };
	}
	void response;
	return { status: 'OK', message: 'Connection successful!' };
}
