/**
 * Signed callbacks (Kling's Webhook Signature, the Standard Webhooks scheme) and new-style callback bodies:
 * what the stand-in puts on the wire, checked here with node:crypto directly (not with the stand-in's or
 * the node's own signing code).
 */
import { createHmac } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { StandInOptions } from '../../stand-in';
import { CREATE, call, sleep, useStandIn } from './helpers';

const SECRET = `whsec_${Buffer.from('stand-in-signing-secret-00000001').toString('base64')}`;
const OLD_SECRET = `whsec_${Buffer.from('stand-in-signing-secret-00000000').toString('base64')}`;

interface Received {
	headers: http.IncomingHttpHeaders;
	/** Header names as they were on the wire. */
	rawHeaderNames: string[];
	raw: string;
}

const suite = useStandIn();
const start = (options?: StandInOptions) => suite.start(options);

let receiver: http.Server;
let hook: string;
const received: Received[] = [];

beforeAll(async () => {
	receiver = http.createServer((req, res) => {
		let raw = '';
		req.setEncoding('utf8');
		req.on('data', (chunk: string) => (raw += chunk));
		req.on('end', () => {
			received.push({ headers: req.headers, rawHeaderNames: req.rawHeaders.filter((_v, i) => i % 2 === 0), raw });
			res.setHeader('content-type', 'application/json');
			res.end('{"ok":true}');
		});
	});
	await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
	hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
});

beforeEach(() => {
	received.length = 0;
});

afterAll(async () => {
	receiver.closeAllConnections();
	await new Promise((resolve) => receiver.close(resolve));
});

/** The v1 signature the doc describes, computed here independently. */
const expected = (secret: string, id: string, timestamp: string, raw: string) =>
	`v1,${createHmac('sha256', Buffer.from(secret.slice('whsec_'.length), 'base64')).update(`${id}.${timestamp}.${raw}`).digest('base64')}`;

async function waitForCallbacks(n: number) {
	for (let i = 0; i < 100 && received.length < n; i++) await sleep(10);
}

describe('signed callbacks', () => {
	it('with a webhookSecret, every task callback carries webhook-id, webhook-timestamp and a v1 signature of the raw body', async () => {
		const signing = await start({ webhookSecret: SECRET, plan: () => ({ durationMs: 120, processingAfterMs: 40 }) });
		await call(signing.url, 'POST', CREATE, { body: { prompt: 'p', callback_url: hook } });
		await waitForCallbacks(2);
		expect(received).toHaveLength(2);
		const ids = new Set<string>();
		for (const callback of received) {
			const id = String(callback.headers['webhook-id']);
			const timestamp = String(callback.headers['webhook-timestamp']);
			ids.add(id);
			expect(id).toMatch(/^\d+$/);
			expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(5);
			expect(callback.headers['webhook-signature']).toBe(expected(SECRET, id, timestamp, callback.raw));
			expect(callback.headers['content-type']).toBe('application/json; charset=utf-8');
		}
		expect(ids.size).toBe(2);
		// The sender records a callback once its answer is in, a moment after the receiver has it.
		for (let i = 0; i < 100 && signing.callbacksSent.length < 2; i++) await sleep(10);
		expect(signing.callbacksSent.map((c) => [c.status, c.responseText])).toEqual([
			[200, '{"ok":true}'],
			[200, '{"ok":true}'],
		]);
	});

	it('without one, callbacks are unsigned (as before)', async () => {
		const plain = await start();
		await call(plain.url, 'POST', CREATE, { body: { prompt: 'p', callback_url: hook } });
		await waitForCallbacks(1);
		expect(received[0].headers['webhook-signature']).toBeUndefined();
		expect(received[0].headers['webhook-id']).toBeUndefined();
	});

	it('during a rotation (two secrets), one v1 entry per secret, separated by a space', async () => {
		const rotating = await start({ webhookSecret: [OLD_SECRET, SECRET] });
		await rotating.sendCallback(hook, { task_id: 't', task_status: 'succeed' });
		const [callback] = received;
		const id = String(callback.headers['webhook-id']);
		const timestamp = String(callback.headers['webhook-timestamp']);
		expect(String(callback.headers['webhook-signature']).split(' ')).toEqual([
			expected(OLD_SECRET, id, timestamp, callback.raw),
			expected(SECRET, id, timestamp, callback.raw),
		]);
	});

	it('sendCallback signs wrong on purpose: another secret, an old timestamp, a tampered body', async () => {
		const signing = await start({ webhookSecret: SECRET });
		const body = { task_id: 't1', task_status: 'succeed' };
		await signing.sendCallback(hook, body, { secrets: [OLD_SECRET], id: 'm1' });
		await signing.sendCallback(hook, body, { timestampSec: 1_000_000, id: 'm2' });
		const sent = await signing.sendCallback(hook, body, { tamperedBody: '{"task_id":"t1","task_status":"failed"}', id: 'm3' });
		const [other, old, tampered] = received;
		expect(other.headers['webhook-signature']).toBe(expected(OLD_SECRET, 'm1', String(other.headers['webhook-timestamp']), other.raw));
		expect(old.headers['webhook-timestamp']).toBe('1000000');
		expect(old.headers['webhook-signature']).toBe(expected(SECRET, 'm2', '1000000', old.raw));
		expect(tampered.raw).toBe('{"task_id":"t1","task_status":"failed"}');
		expect(tampered.headers['webhook-signature']).toBe(expected(SECRET, 'm3', String(tampered.headers['webhook-timestamp']), JSON.stringify(body)));
		expect(sent.rawBody).toBe(tampered.raw);
		expect(signing.callbacksSent).toHaveLength(3);
	});

	it('sends the header names in the case asked for', async () => {
		const signing = await start({ webhookSecret: SECRET });
		await signing.sendCallback(hook, {}, { headerCase: 'upper' });
		await signing.sendCallback(hook, {}, { headerCase: 'title' });
		expect(received[0].rawHeaderNames).toEqual(expect.arrayContaining(['WEBHOOK-ID', 'WEBHOOK-TIMESTAMP', 'WEBHOOK-SIGNATURE']));
		expect(received[1].rawHeaderNames).toEqual(expect.arrayContaining(['Webhook-Id', 'Webhook-Timestamp', 'Webhook-Signature']));
	});

	it('sendTestCallback posts the console\'s test body: new style, submitted, no outputs, signed', async () => {
		const signing = await start({ webhookSecret: SECRET });
		const sent = await signing.sendTestCallback(hook);
		const [callback] = received;
		const body = JSON.parse(callback.raw);
		expect(body).toEqual({ id: expect.stringMatching(/^\d+$/), status: 'submitted', outputs: [], message: '', create_time: expect.any(Number), update_time: body.create_time });
		expect(callback.headers['webhook-signature']).toBe(
			expected(SECRET, String(callback.headers['webhook-id']), String(callback.headers['webhook-timestamp']), callback.raw),
		);
		expect(sent.status).toBe(200);
	});
});

describe('new-style callback bodies (callbackStyle: new)', () => {
	it('processing, then succeeded with outputs and billing; external_id when given', async () => {
		const newStyle = await start({ callbackStyle: 'new', plan: () => ({ durationMs: 120, processingAfterMs: 40 }) });
		const created = await call(newStyle.url, 'POST', CREATE, { body: { prompt: 'p', callback_url: hook, external_task_id: 'n-1' } });
		const taskId = created.json.data.task_id;
		await waitForCallbacks(2);
		const [processing, succeeded] = received.map((r) => JSON.parse(r.raw));
		expect(processing).toEqual({
			id: taskId,
			status: 'processing',
			message: '',
			create_time: expect.any(Number),
			update_time: expect.any(Number),
			external_id: 'n-1',
			outputs: [],
		});
		expect(succeeded).toMatchObject({
			id: taskId,
			status: 'succeeded',
			outputs: [{ type: 'video', id: `${taskId}_v1`, url: `${newStyle.url}/files/${taskId}/1.mp4`, duration: '5', watermark_url: expect.any(String) }],
			billing: [{ charge_type: 'unit', amount: '1', package_type: 'video' }],
		});
	});
});
