/**
 * Runs the Kling AI node through n8n's own execution engine (n8n-core's WorkflowExecute, which
 * hands declarative nodes to its RoutingNode), the way n8n runs it in a workflow. Nothing of n8n is
 * faked: only the parts a server would provide (stored credentials, hooks) are supplied here.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

if (!process.env.N8N_USER_FOLDER) {
	// n8n-core writes its instance settings under $N8N_USER_FOLDER/.n8n: keep them out of $HOME.
	process.env.N8N_USER_FOLDER = mkdtempSync(path.join(tmpdir(), 'kling-n8n-'));
}

import { ExecutionLifecycleHooks, WorkflowExecute } from 'n8n-core';
import {
	createDeferredPromise,
	sleep,
	createRunExecutionData,
	ICredentialsHelper,
	NodeHelpers,
	Workflow,
	type ICredentialDataDecryptedObject,
	type ICredentials,
	type ICredentialType,
	type IExecuteWorkflowInfo,
	type IHttpRequestOptions,
	type INode,
	type INodeCredentialsDetails,
	type INodeExecutionData,
	type INodeParameters,
	type INodeProperties,
	type INodeType,
	type INodeTypes,
	type IRun,
	type IRunExecutionData,
	type IVersionedNodeType,
	type IWorkflowBase,
	type IWorkflowExecuteAdditionalData,
	type ExecutionError,
} from 'n8n-workflow';

import { KlingAiApi } from '../../credentials/KlingAiApi.credentials';
// The explicit .ts: without it tsx resolves KlingAi.node to the codex file KlingAi.node.json.
import { KlingAi } from '../../nodes/KlingAi/KlingAi.node.ts';
import { KlingAiTrigger } from '../../nodes/KlingAi/KlingAiTrigger.node.ts';

export const NODE_NAME = 'Kling AI';
export const NODE_TYPE = 'n8n-nodes-kling.klingAi';
export const TRIGGER_NODE_TYPE = 'n8n-nodes-kling.klingAiTrigger';

export const klingNodeType = new KlingAi();
export const klingTriggerNodeType = new KlingAiTrigger();
export const klingCredentialType = new KlingAiApi();

/** This package's node types, as n8n's node loader would offer them. */
export class TestNodeTypes implements INodeTypes {
	private readonly types: Record<string, INodeType | IVersionedNodeType> = {
		[NODE_TYPE]: klingNodeType,
		[TRIGGER_NODE_TYPE]: klingTriggerNodeType,
	};

	getByName(type: string) {
		return this.types[type];
	}

	getByNameAndVersion(type: string, version?: number): INodeType {
		return NodeHelpers.getVersionedNodeType(this.types[type], version);
	}

	getKnownTypes() {
		return {};
	}
}

/** Stands in for n8n's stored, encrypted credentials; authentication is the credential type's own. */
export class TestCredentialsHelper extends ICredentialsHelper {
	constructor(private readonly data: ICredentialDataDecryptedObject) {
		super();
	}

	getParentTypes(): string[] {
		return [];
	}

	async authenticate(credentials: ICredentialDataDecryptedObject, typeName: string, requestOptions: IHttpRequestOptions) {
		const type = this.type(typeName);
		if (typeof type.authenticate !== 'function') throw new Error(`${typeName} has no authenticate function`);
		return await type.authenticate(credentials, requestOptions);
	}

	async preAuthentication() {
		return undefined;
	}

	async getCredentials(_details: INodeCredentialsDetails, _type: string): Promise<ICredentials> {
		throw new Error('not used by the engine nor by webhook contexts');
	}

	async getDecrypted(_additionalData: IWorkflowExecuteAdditionalData, _details: INodeCredentialsDetails, typeName: string) {
		this.type(typeName);
		// A copy each time, as n8n decrypts a fresh copy for every use.
		return { ...this.data };
	}

	async updateCredentials() {}

	async updateCredentialsOauthTokenData() {}

	getCredentialsProperties(typeName: string): INodeProperties[] {
		return this.type(typeName).properties;
	}

	private type(typeName: string): ICredentialType {
		if (typeName !== klingCredentialType.name) throw new Error(`Unknown credential type ${typeName}`);
		return klingCredentialType;
	}
}

export interface RunOptions {
	parameters: INodeParameters;
	credentials: ICredentialDataDecryptedObject;
	items?: INodeExecutionData[];
	continueOnFail?: boolean;
	/**
	 * n8n's Retry On Fail node settings: n8n runs the node again when it throws, or when item 0 of its
	 * output has json.error (Continue On Fail). n8n clamps maxTries to 2–5 and waitBetweenTries to
	 * 0–5000 ms, and takes a waitBetweenTries of 0 as its default, 1000 ms (the suites use 1 ms).
	 */
	retryOnFail?: { maxTries: number; waitBetweenTries: number };
	executionId?: string;
	/**
	 * How many times the node runs in this execution, one run after the other with the same input
	 * items, as in a loop: it is put on n8n's execution stack that many times, and n8n gives each run
	 * the next run index (0, 1, …). Default 1.
	 */
	runs?: number;
	/** The node's ID in the workflow (default 'kling-node-id'). */
	nodeId?: string;
	/**
	 * Runs as n8n's Retry of that failed execution (the button, POST /rest/executions/:id/retry): a new
	 * execution (its own ID) on the failed one's saved data, a JSON copy as n8n stores it, with the error
	 * removed and the failed run of the last node popped, as n8n's ExecutionService.retry does.
	 */
	retryOf?: RunResult;
	/**
	 * With retryOf: n8n's "Retry with currently saved workflow" (loadWorkflow: true), the nodes on the
	 * execution stack are this run's (its parameters); otherwise "Retry with original workflow", the
	 * failed execution's own.
	 */
	retryWithSavedWorkflow?: boolean;
}

export interface RunResult {
	/** The node's output items (main output), empty when the node failed. */
	items: INodeExecutionData[];
	/** The workflow's error, when the node failed (and did not continue on fail). n8n stores it as a
	 * plain copy of the thrown error: its `name` (e.g. NodeApiError) tells the class. */
	error?: ExecutionError;
	/** The output items of every run of the node in this execution (run index 0, 1, …). */
	runs: INodeExecutionData[][];
	run: IRun;
	node: INode;
	/** When the node finished by the engine's record (for a cancelled run: when it gave up its work). */
	nodeFinishedAt: number;
	cancelled: boolean;
}

export interface RunHandle {
	promise: Promise<RunResult>;
	/** Cancels the execution, as the Stop button in the editor does. */
	cancel(): void;
}

let executionCounter = 0;

/** The data n8n's Retry of a failed execution runs on (see RunOptions.retryOf). */
function retryData(failed: RunResult, savedWorkflow?: Workflow): IRunExecutionData {
	const data = JSON.parse(JSON.stringify(failed.run.data)) as IRunExecutionData;
	if (savedWorkflow) {
		for (const entry of data.executionData?.nodeExecutionStack ?? []) entry.node = savedWorkflow.getNode(entry.node.name)!;
	}
	data.resultData.error = undefined;
	const last = data.resultData.lastNodeExecuted;
	const runs = last ? data.resultData.runData[last] : undefined;
	if (runs && runs.length > 0 && runs[runs.length - 1].error !== undefined) runs.pop();
	return data;
}

/** Starts the node with its input items; the promise settles when n8n's engine reports the run. */
export function startKlingNode(options: RunOptions): RunHandle {
	const node: INode = {
		id: options.nodeId ?? 'kling-node-id',
		name: NODE_NAME,
		type: NODE_TYPE,
		typeVersion: 1,
		position: [0, 0],
		parameters: options.parameters,
		credentials: { klingAiApi: { id: 'cred-1', name: 'Kling AI account' } },
		...(options.continueOnFail ? { onError: 'continueRegularOutput' as const } : {}),
		...(options.retryOnFail ? { retryOnFail: true, ...options.retryOnFail } : {}),
	};
	const workflowData: IWorkflowBase = {
		id: 'wf-kling-test',
		name: 'Kling AI test',
		active: false,
		isArchived: false,
		nodes: [node],
		connections: {},
		settings: {},
		createdAt: new Date(),
		updatedAt: new Date(),
		activeVersionId: null,
	};
	const workflow = new Workflow({
		id: workflowData.id,
		name: workflowData.name,
		nodes: workflowData.nodes,
		connections: workflowData.connections,
		active: false,
		nodeTypes: new TestNodeTypes(),
		settings: {},
	});
	const executionId = options.executionId ?? `test-exec-${++executionCounter}`;
	const hooks = new ExecutionLifecycleHooks('manual', executionId, workflowData);
	// The engine reports the run when it ends; a cancelled run is reported at once (status canceled).
	let cancelled = false;
	const finished = createDeferredPromise<IRun>();
	hooks.addHandler('workflowExecuteAfter', (run) => finished.resolve(run));

	const additionalData = {
		credentialsHelper: new TestCredentialsHelper(options.credentials),
		hooks,
		executionId,
		currentNodeExecutionIndex: 0,
		restApiUrl: 'http://127.0.0.1:5678/rest',
		instanceBaseUrl: 'http://127.0.0.1:5678/',
		formWaitingBaseUrl: 'http://127.0.0.1:5678/form-waiting',
		webhookBaseUrl: 'http://127.0.0.1:5678/webhook',
		webhookWaitingBaseUrl: 'http://127.0.0.1:5678/webhook-waiting',
		webhookTestBaseUrl: 'http://127.0.0.1:5678/webhook-test',
		variables: {},
		executeWorkflow: async (_info: IExecuteWorkflowInfo) => {
			throw new Error('sub-workflows are not used here');
		},
		getRunExecutionData: async () => undefined,
		logAiEvent: () => {},
		startRunnerTask: async () => {
			throw new Error('code runners are not used here');
		},
	} as unknown as IWorkflowExecuteAdditionalData;

	const runExecutionData = options.retryOf ? retryData(options.retryOf, options.retryWithSavedWorkflow ? workflow : undefined) : createRunExecutionData({
		executionData: {
			nodeExecutionStack: Array.from({ length: options.runs ?? 1 }, () => ({
				node: workflow.getNode(NODE_NAME)!,
				data: { main: [options.items ?? [{ json: {} }]] },
				source: null,
			})),
		},
	});

	const execution = new WorkflowExecute(additionalData, 'manual', runExecutionData).processRunExecutionData(workflow);
	const promise = (async (): Promise<RunResult> => {
		const run = await finished.promise;
		// For a cancelled run the engine reports nothing more, but it records the node's task in the
		// run data once the node has returned or thrown: that is when the node really stopped.
		while (cancelled && !runExecutionData.resultData.runData[NODE_NAME]?.[0]) {
			await sleep(5);
		}
		const taskData = run.data.resultData.runData[NODE_NAME]?.[0];
		const nodeFinishedAt = taskData ? taskData.startTime + taskData.executionTime : Date.now();
		return {
			items: taskData?.data?.main?.[0] ?? [],
			error: run.data.resultData.error,
			runs: (run.data.resultData.runData[NODE_NAME] ?? []).map((task) => task.data?.main?.[0] ?? []),
			run,
			node: workflow.getNode(NODE_NAME)!,
			nodeFinishedAt,
			cancelled,
		};
	})();
	return {
		promise,
		cancel: () => {
			cancelled = true;
			execution.cancel();
		},
	};
}

export async function runKlingNode(options: RunOptions): Promise<RunResult> {
	return await startKlingNode(options).promise;
}
