/**
 * Every number the node reads from a parameter is a finite number in range, whatever an expression
 * gave (nothing, text, hex, NaN): otherwise the item gets an error naming the field and the value,
 * and no request is sent. Text and model fields likewise. Through n8n's engine against the stand-in.
 */
import type { INodeParameters } from 'n8n-workflow';

import { runKlingNode } from '../../../helpers/engine';
import { createBodies, createParams, createTasksDirectly, getManyParams, getParams, jwtCredentials, type RunError } from '../../../helpers/kling-test-kit';
import { type KlingStandIn, startKlingStandIn } from '../../../../stand-in';

let standIn: KlingStandIn;
beforeAll(async () => {
	standIn = await startKlingStandIn({ callbacks: false });
});
afterAll(async () => await standIn.close());
beforeEach(() => standIn.reset());

/** An expression that gives `value` for the item. */
const gives = (value: unknown) => `={{ ${JSON.stringify(value) ?? 'undefined'} }}`;

const BAD_NUMBERS: Array<[string, INodeParameters, RegExp]> = [
	['Poll Interval that is empty', createParams({ waitForCompletion: true, pollInterval: gives('') }), /^Poll Interval is empty; it must be a number from 1 to 3600 seconds/],
	['Poll Interval that is text', createParams({ waitForCompletion: true, pollInterval: gives('soon') }), /^Poll Interval is "soon"/],
	['Poll Interval from nothing', createParams({ waitForCompletion: true, pollInterval: '={{ $json.missing }}' }), /^Poll Interval is empty/],
	['Max Wait that is NaN', createParams({ waitForCompletion: true, maxWait: '={{ Number("x") }}' }), /^Max Wait is NaN; it must be a number from 1 to 86400 seconds/],
	['Max Tries that is text', createParams({ options: { maxTries: gives('abc') } }), /^Max Tries is "abc"; it must be a whole number from 1 to 30/],
	['Max Tries that is not whole', createParams({ options: { maxTries: 2.5 } }), /^Max Tries is 2.5; it must be a whole number/],
	['Max Queue Time in hex', createParams({ options: { maxQueueTime: gives('0x10') } }), /^Max Queue Time is "0x10"/],
	['Max Concurrent Tasks below 0', createParams({ options: { maxConcurrentTasks: -1 } }), /^Max Concurrent Tasks is -1/],
	['Max Video Size that is text', createParams({ waitForCompletion: true, downloadVideo: true, maxVideoSize: gives('big') }), /^Max Video Size is "big"; it must be a number from 1 to 4096 MB/],
	['CFG Scale that is empty', createParams({ model: 'kling-v1-6', cfgScale: gives('') }), /^CFG Scale is empty; it must be a number from 0 to 1/],
	['CFG Scale in hex', createParams({ model: 'kling-v1-6', cfgScale: gives('0x1') }), /^CFG Scale is "0x1"/],
	['Get Many Limit from nothing', getManyParams({ limit: '={{ $json.missing }}' }), /^Limit is empty; it must be a whole number from 1 to 500000/],
	['Get Many Page Size 0', getManyParams({ options: { pageSize: 0 } }), /^Page Size is 0/],
	['a camera axis that is text', createParams({ model: 'kling-v1', mode: 'std', duration: '5', cameraControl: 'simple', cameraMovement: { zoom: gives('lots') } }), /^Camera movement zoom is "lots"/],
];

describe('a number that is not a finite number in range', () => {
	test.each(BAD_NUMBERS)('%s: the item fails naming the field and the value, nothing is sent', async (_label, parameters, message) => {
		const { error, items } = await runKlingNode({ parameters, credentials: jwtCredentials(standIn) });

		expect(items).toEqual([]);
		const e = error as RunError;
		expect(e.message).toMatch(message);
		expect(e.message).toMatch(/\[item 0\]$/);
		expect(e.description).toMatch(/Nothing was sent to Kling\.$/);
		expect(standIn.requests).toHaveLength(0);
	});

	it('a number given as plain decimal text is taken ("2" for Poll Interval)', async () => {
		const { error } = await runKlingNode({ parameters: createParams({ waitForCompletion: false, pollInterval: gives('2') }), credentials: jwtCredentials(standIn) });
		expect(error).toBeUndefined();
	});
});

/**
 * Every number field × every way an expression can spoil it. Each row: the field's label as the
 * error names it, the parameters with the field set to a value, and a value out of its range.
 */
const NUMBER_FIELDS: Array<[string, (value: unknown) => INodeParameters, number]> = [
	['Poll Interval', (value) => createParams({ waitForCompletion: true, pollInterval: value as string }), 0],
	['Max Wait', (value) => createParams({ waitForCompletion: true, maxWait: value as string }), 86_401],
	['Max Tries', (value) => createParams({ options: { maxTries: value as string } }), 31],
	['Max Queue Time', (value) => createParams({ waitForCompletion: false, options: { maxQueueTime: value as string } }), 0],
	['Max Concurrent Tasks', (value) => createParams({ options: { maxConcurrentTasks: value as string } }), 1001],
	['Max Video Size', (value) => createParams({ waitForCompletion: true, downloadVideo: true, maxVideoSize: value as string }), 4097],
	['Max Video Size', (value) => getParams({ taskId: 'tk_1', downloadVideo: true, maxVideoSize: value as string }), 0],
	['Limit', (value) => getManyParams({ returnAll: false, limit: value as string }), 0],
	['Page Size', (value) => getManyParams({ returnAll: true, options: { pageSize: value as string } }), 501],
];
const SPOILED: Array<[string, (outOfRange: number) => string, (outOfRange: number) => string]> = [
	['an expression that gives nothing', () => '={{ $json.missing }}', () => 'empty'],
	['text', () => gives('soon'), () => '"soon"'],
	['hex text "0x1"', () => gives('0x1'), () => '"0x1"'],
	['NaN', () => '={{ Number("x") }}', () => 'NaN'],
	['out of range', (outOfRange) => gives(outOfRange), (outOfRange) => String(outOfRange)],
];
const MATRIX = NUMBER_FIELDS.flatMap(([label, parameters, outOfRange]) =>
	SPOILED.map(([kind, value, shown]) => [`${label} (${parameters('').operation}) from ${kind}`, label, parameters(value(outOfRange)), shown(outOfRange)] as const),
);

describe('every number field, from every kind of bad expression', () => {
	test.each(MATRIX)('%s: the item fails naming the field and the value, nothing is sent', async (_title, label, parameters, shown) => {
		const { error, items } = await runKlingNode({ parameters, credentials: jwtCredentials(standIn) });

		expect(items).toEqual([]);
		const e = error as RunError;
		expect(e.message).toMatch(new RegExp(`^${label} is ${shown.replace(/[.*+?^${}()|[\]\\"]/g, '\\$&')}; it must be (a|a whole) number from \\d+ to \\d+.* \\[item 0\\]$`));
		expect(e.description).toMatch(new RegExp(`^Set ${label} to .*Nothing was sent to Kling\\.$`));
		expect(standIn.requests).toHaveLength(0);
	});

	it('Get Many with a Limit from an expression that gives nothing fails instead of returning nothing', async () => {
		await createTasksDirectly(standIn, 2);
		const before = standIn.requests.length;
		const { error, items } = await runKlingNode({ parameters: getManyParams({ limit: '={{ $json.missing }}' }), credentials: jwtCredentials(standIn) });

		expect(items).toEqual([]);
		expect((error as RunError).message).toBe('Limit is empty; it must be a whole number from 1 to 500000 [item 0]');
		expect(standIn.requests).toHaveLength(before);
	});
});

describe('text and model fields', () => {
	it('a missing model is an error, never the text "undefined"', async () => {
		const { error } = await runKlingNode({ parameters: createParams({ model: '={{ $json.missing }}' }), credentials: jwtCredentials(standIn) });
		expect((error as RunError).message).toBe('The model is empty [item 0]');
		expect(standIn.requests).toHaveLength(0);
	});

	it('a numeric prompt is sent as its digits; an object prompt is refused as not text (not "empty")', async () => {
		const ok = await runKlingNode({ parameters: createParams({ prompt: '={{ 42 }}' }), credentials: jwtCredentials(standIn) });
		expect(ok.error).toBeUndefined();
		expect(createBodies(standIn)[0].prompt).toBe('42');

		const bad = await runKlingNode({ parameters: createParams({ prompt: '={{ $json }}' }), credentials: jwtCredentials(standIn), items: [{ json: { a: 1 } }] });
		expect((bad.error as RunError).message).toBe('The prompt is an object, not text [item 0]');
		expect(createBodies(standIn)).toHaveLength(1); // the object prompt was not sent
	});

	// Kling's docs give the limit as "2500 characters" without saying how they are counted, and
	// document no error text for it; the node counts Unicode code points (an emoji is one, not two).
	it('counts the prompt in Unicode characters (code points): 2,500 emoji pass, 2,501 do not', async () => {
		const ok = await runKlingNode({ parameters: createParams({ prompt: '🦊'.repeat(2500) }), credentials: jwtCredentials(standIn) });
		expect(ok.error).toBeUndefined();
		const bad = await runKlingNode({ parameters: createParams({ prompt: '🦊'.repeat(2501) }), credentials: jwtCredentials(standIn) });
		expect((bad.error as RunError).message).toMatch(/The prompt is 2501 characters long; Kling takes at most 2500/);
	});

	it.each(['__proto__', 'constructor'])('Get with Download Video refuses the binary property name %s too, before asking Kling', async (name) => {
		const { error, items } = await runKlingNode({ parameters: getParams({ taskId: 'tk_1', downloadVideo: true, binaryPropertyName: name }), credentials: jwtCredentials(standIn) });
		expect(items).toEqual([]);
		expect((error as RunError).message).toBe(`Put Output File in Field is "${name}", which cannot name a binary property [item 0]`);
		expect(standIn.requests).toHaveLength(0);
	});

	it.each(['__proto__', 'constructor'])('refuses the binary property name %s (the video would be lost)', async (name) => {
		const { error } = await runKlingNode({
			parameters: createParams({ waitForCompletion: true, downloadVideo: true, binaryPropertyName: name }),
			credentials: jwtCredentials(standIn),
		});
		expect((error as RunError).message).toBe(`Put Output File in Field is "${name}", which cannot name a binary property [item 0]`);
		expect(standIn.requests).toHaveLength(0);
	});

	it.each(['.', '..'])('Get refuses the task ID "%s" (it would be a path step), nothing is sent', async (id) => {
		const { error } = await runKlingNode({ parameters: getParams({ taskId: id }), credentials: jwtCredentials(standIn) });
		expect((error as RunError).message).toBe(`The task ID is "${id}", which is not a task ID [item 0]`);
		expect(standIn.requests).toHaveLength(0);
	});
});
