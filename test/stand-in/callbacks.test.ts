/**
 * Callbacks: every status change is POSTed to callback_url; failures are recorded, not thrown.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { StandInOptions } from '../../stand-in';
import { CREATE, call, sleep, useStandIn } from './helpers';

const suite = useStandIn();
const start = (options?: StandInOptions) => suite.start(options);

describe('callbacks', () => {
	it('POSTs each status change to callback_url', async () => {
		const received: Array<{ headers: http.IncomingHttpHeaders; body: Record<string, unknown> }> = [];
		const receiver = http.createServer((req, res) => {
			let text = '';
			req.on('data', (chunk) => (text += chunk));
			req.on('end', () => {
				received.push({ headers: req.headers, body: JSON.parse(text) });
				res.end('ok');
			});
		});
		await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
		const hook = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
		try {
			const notifying = await start({ plan: () => ({ durationMs: 150, processingAfterMs: 50 }) });
			const created = await call(notifying.url, 'POST', CREATE, { body: { prompt: 'p', callback_url: hook, external_task_id: 'cb-1' } });
			for (let i = 0; i < 50 && notifying.callbacksSent.length < 2; i++) await sleep(20);
			expect(received.map((callback) => callback.body.task_status)).toEqual(['processing', 'succeed']);
			expect(received[1].body).toMatchObject({
				task_id: created.json.data.task_id,
				task_info: { external_task_id: 'cb-1' },
				task_result: { videos: [expect.objectContaining({ url: expect.any(String) })] },
			});
			expect(received[0].headers.authorization).toBeUndefined();
			expect(notifying.callbacksSent).toEqual([
				expect.objectContaining({ url: hook, status: 200 }),
				expect.objectContaining({ url: hook, status: 200 }),
			]);
		} finally {
			receiver.closeAllConnections();
			await new Promise((resolve) => receiver.close(resolve));
		}
	});

	it('records failed callbacks instead of throwing', async () => {
		const notifying = await start();
		await call(notifying.url, 'POST', CREATE, { body: { prompt: 'p', callback_url: 'http://127.0.0.1:1/hook' } });
		for (let i = 0; i < 50 && notifying.callbacksSent.length < 1; i++) await sleep(10);
		expect(notifying.callbacksSent[0]).toMatchObject({ url: 'http://127.0.0.1:1/hook', error: expect.any(String) });
	});
});
