/**
 * What every task resource shares (text2video, image2video): the resource module
 * interface, the model-field rules of the official API and of proxies, and the Create / Get / List handlers
 * that run a module's own field rules and then the common task lifecycle.
 *
 * A resource module gives its name, its path (`POST path` creates, `GET path` lists, `GET path/{id}` gets)
 * and its Create rules; the server routes to every module it is given.
 */
import { scheduleTimedCallbacks, sendCallback } from './callbacks';
import { safeDecode } from './media';
import { ApiError, type RequestContext, invalidRequest, invalidValue, isPlainObject, sendSuccess } from './respond';
import type { StandInConfig, StandInState } from './state';
import { claimSlot, createTask, createdShape, findTask, taskShape } from './tasks';

export const MAX_BODY_BYTES = 5 * 1024 * 1024;

export interface ResourceModule {
	/** Short name, recorded on requests and tasks, e.g. 'text2video'. */
	readonly name: string;
	/** Create (POST) and List (GET) path, without prefix, e.g. '/v1/videos/text2video'; Get is `${path}/{id}`. */
	readonly path: string;
	/** Models accepted when the `knownModels` option is not given. */
	readonly defaultModels: readonly string[];
	/** Largest Create body accepted (default MAX_BODY_BYTES); over it 400/1200. */
	readonly maxBodyBytes?: number;
	/**
	 * Checks a Create body (a JSON object) against this resource's rules and returns the model that will run.
	 * Throws ApiError (400/1200 unknown field or wrong shape, 400/1201 bad value).
	 */
	validateCreate(body: Record<string, unknown>, config: StandInConfig): string;
}

/** The id of `GET {path}/{id}`, or undefined when the path is not a Get of this resource. */
export function matchGetPath(resource: ResourceModule, apiPath: string): string | undefined {
	if (!apiPath.startsWith(`${resource.path}/`)) return undefined;
	const rest = apiPath.slice(resource.path.length + 1);
	return rest !== '' && !rest.includes('/') ? rest : undefined;
}

/**
 * The model a Create runs, by the configured model field:
 * - 'model_name' (official): reads only model_name (default kling-v1); `model` is tolerated but ignored.
 * - 'model' (a proxy): reads only `model`; model_name is an unknown field.
 * - 'either': both names, which must agree.
 */
export function resolveModel(body: Record<string, unknown>, config: StandInConfig, defaultModels?: readonly string[]): string {
	const known = config.knownModelsOption ?? (defaultModels ? new Set(defaultModels) : config.knownModels);
	const hasModelName = body.model_name !== undefined;
	const hasModel = body.model !== undefined;
	switch (config.modelField) {
		case 'model_name':
			return hasModelName ? checkModel(known, 'model_name', body.model_name) : 'kling-v1';
		case 'model':
			if ('model_name' in body) throw invalidRequest('unknown field "model_name" (this API reads "model")');
			if (!hasModel) throw invalidRequest('"model" is required');
			return checkModel(known, 'model', body.model);
		case 'either': {
			const fromName = hasModelName ? checkModel(known, 'model_name', body.model_name) : undefined;
			const fromModel = hasModel ? checkModel(known, 'model', body.model) : undefined;
			if (fromName !== undefined && fromModel !== undefined && fromName !== fromModel) {
				throw invalidValue(`"model" (${fromModel}) and "model_name" (${fromName}) disagree`);
			}
			return fromName ?? fromModel ?? 'kling-v1';
		}
	}
}

function checkModel(known: ReadonlySet<string>, field: string, value: unknown): string {
	if (typeof value !== 'string' || value === '') throw invalidValue(`"${field}" must be a non-empty string`);
	if (!known.has(value)) {
		throw invalidValue(`model not supported: "${value}" (supported: ${[...known].join(', ')})`);
	}
	return value;
}

/** Body fields that name the model under the configured model field (`model` is always tolerated). */
export function modelFields(config: StandInConfig): string[] {
	return config.modelField === 'model' ? ['model'] : ['model', 'model_name'];
}

export interface CreateInput {
	bodyIsJson: boolean;
	bodyTooLarge: boolean;
}

export function handleCreate(state: StandInState, ctx: RequestContext, resource: ResourceModule, input: CreateInput): void {
	const contentType = String(ctx.req.headers['content-type'] ?? '');
	if (!/^application\/json\b/i.test(contentType)) throw invalidRequest('Content-Type must be application/json');
	if (input.bodyTooLarge) throw invalidRequest(`body is larger than ${resource.maxBodyBytes ?? MAX_BODY_BYTES} bytes`);
	if (!input.bodyIsJson) throw invalidRequest('the body is not valid JSON');
	const body = ctx.record.body;
	if (!isPlainObject(body)) throw invalidRequest('the body must be a JSON object');

	const model = resource.validateCreate(body, state.config);

	const externalTaskId = body.external_task_id as string | undefined;
	if (externalTaskId !== undefined && state.tasksByExternalId.has(externalTaskId)) {
		throw invalidValue(`duplicate external_task_id: "${externalTaskId}" is already used by another task`);
	}
	claimSlot(state);

	const task = createTask(state, resource.name, model, body);
	ctx.record.taskId = task.task_id;
	scheduleTimedCallbacks(state, task);
	sendSuccess(ctx, createdShape(state, task));
}

/** GET {path}/{id}: by task_id or external_task_id; counts the poll (which may move the task on). */
export function handleGet(state: StandInState, ctx: RequestContext, resource: ResourceModule, rawId: string): void {
	const id = safeDecode(rawId);
	ctx.record.taskId = id;
	const task = findTask(state, resource.name, id);
	if (!task) throw new ApiError(404, 1203, `Resource not found: no task with task_id or external_task_id "${id}"`);
	ctx.record.taskId = task.task_id;
	const before = task.status();
	task.registerPoll();
	const after = task.status();
	if (after !== before) sendCallback(state, task, after); // poll-driven transitions
	sendSuccess(ctx, taskShape(state, task, after));
}

function parseBoundedInt(query: Record<string, string>, name: string, fallback: number, max: number): number {
	const raw = query[name];
	if (raw === undefined) return fallback;
	if (!/^\d+$/.test(raw)) throw invalidValue(`"${name}" must be an integer between 1 and ${max}`);
	const value = Number(raw);
	if (value < 1 || value > max) throw invalidValue(`"${name}" must be an integer between 1 and ${max}`);
	return value;
}

/** GET {path}?pageNum=&pageSize=: this resource's tasks, newest first, a bare array. Not a poll. */
export function handleList(state: StandInState, ctx: RequestContext, resource: ResourceModule, query: Record<string, string>): void {
	const pageNum = parseBoundedInt(query, 'pageNum', 1, 1000);
	const pageSize = parseBoundedInt(query, 'pageSize', 30, 500);
	const newestFirst = [...state.tasks.values()].filter((task) => task.resource === resource.name).reverse();
	const page = newestFirst.slice((pageNum - 1) * pageSize, pageNum * pageSize);
	sendSuccess(ctx, page.map((task) => taskShape(state, task)));
}
