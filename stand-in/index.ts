/**
 * A local HTTP stand-in for the Kling AI text-to-video and image-to-video API, for tests, the demo and the benchmarks
 * (node:http and node:crypto only, no dependencies). See README.md beside this file.
 *
 * It imitates the behaviour of Kling's official API reference for text to video (JWT or API-key auth,
 * every Create field and what each model supports, task statuses, listing, callbacks, error codes) and the
 * variant of a reseller proxy (a path prefix, its own Bearer keys, the model in `model`); it is strict about
 * both, records every request, task and callback, and injects faults on demand.
 */
export { startKlingStandIn } from './server';
export { signTestJwt } from './auth';
export { videoContent } from './media';
export { readImageFacts, testJpeg, testPng, type ImageFacts } from './images';
export { I2V_DEFAULT_MODELS, I2V_MODEL_SUPPORT, NEW_I2V_MODEL_SUPPORT, type I2VModelSupport } from './image2video';
export { DEFAULT_MODELS, MODEL_SUPPORT, NEW_MODEL_SUPPORT, type ModelSupport } from './text2video';
export type { ResourceModule } from './resource';
export { newStyleShape, signCallback } from './callbacks';
export type {
	CallbackSignOptions,
	Fault,
	KlingStandIn,
	RecordedAuth,
	RecordedRequest,
	SentCallback,
	StandInOptions,
	StandInStats,
	StandInTask,
	TaskPlan,
	TaskStatus,
} from './types';
