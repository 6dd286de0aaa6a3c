import { SIGNATURE_TOLERANCE_SECONDS } from './signature';

/**
 * Signed deliveries seen by this n8n process, so that Kling's re-delivery of a callback (same
 * `webhook-id`) starts the workflow once. Only ids whose signature was valid are kept, and only as
 * long as the timestamp check would let the delivery in again (its timestamp ± 5 minutes): after that
 * a replay is refused anyway. The memory is this process's: n8n webhook processes (queue mode) share
 * nothing the node could use safely (static data is per process and written back only after an
 * execution), so a duplicate that reaches another process is emitted there too. Activating the
 * workflow again forgets the node's ids.
 */

type DeliveryState = 'handling' | 'done';

interface Seen {
	state: DeliveryState;
	expiresAtMs: number;
}

/** Enough for a busy account; beyond it the oldest ids are dropped first (Map keeps insertion order). */
const MAX_REMEMBERED = 20_000;

const seen = new Map<string, Seen>();

const keyOf = (scope: string, webhookId: string) => `${scope}\u0000${webhookId}`;

function prune(nowMs: number): void {
	for (const [key, entry] of seen) {
		if (entry.expiresAtMs <= nowMs && entry.state === 'done') seen.delete(key);
	}
	while (seen.size > MAX_REMEMBERED) {
		const oldest = seen.keys().next().value;
		if (oldest === undefined) break;
		seen.delete(oldest);
	}
}

export type Claim = 'new' | 'handling' | 'done';

/**
 * Claims a signed delivery for this process. 'new': go ahead, then call `finish` (or `release` when the
 * delivery failed, so that Kling's retry is let in). 'handling': the same delivery is being handled right
 * now. 'done': it was emitted already.
 */
export function claimDelivery(scope: string, webhookId: string, timestampSec: number, nowMs = Date.now()): Claim {
	prune(nowMs);
	const key = keyOf(scope, webhookId);
	const entry = seen.get(key);
	if (entry && (entry.state === 'handling' || entry.expiresAtMs > nowMs)) return entry.state;
	const expiresAtMs = Math.max(timestampSec * 1000, nowMs) + SIGNATURE_TOLERANCE_SECONDS * 1000;
	seen.delete(key);
	seen.set(key, { state: 'handling', expiresAtMs });
	return 'new';
}

export function finishDelivery(scope: string, webhookId: string): void {
	const entry = seen.get(keyOf(scope, webhookId));
	if (entry) entry.state = 'done';
}

export function releaseDelivery(scope: string, webhookId: string): void {
	seen.delete(keyOf(scope, webhookId));
}

/** Forgets every delivery of a node (on activation and deactivation). */
export function forgetDeliveries(scope: string): void {
	const prefix = `${scope}\u0000`;
	for (const key of [...seen.keys()]) if (key.startsWith(prefix)) seen.delete(key);
}
