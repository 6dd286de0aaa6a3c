import { createHash, createHmac, timingSafeEqual } from 'crypto';

/**
 * Kling's webhook signature (since 08/2026), the Standard Webhooks scheme, as Kling's callback page
 * describes it ("Webhook Signature", "Manual Verification"):
 * - headers `webhook-id`, `webhook-timestamp` (Unix seconds), `webhook-signature`, case-insensitive;
 * - signed content `{webhook-id}.{webhook-timestamp}.{raw body}`;
 * - signature `Base64(HMAC-SHA256(key, signed content))`, key = Base64-decode of the Webhook Secret
 *   without its `whsec_` prefix;
 * - the header holds `v1,<signature>` entries separated by spaces (several during a rotation); any
 *   one that matches is enough; compared in constant time;
 * - a timestamp more than 5 minutes from the server's clock is refused (replays).
 */

export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export const SIGNATURE_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'] as const;

export interface SignatureHeaders {
	id?: string;
	timestamp?: string;
	signature?: string;
}

export type SignatureCheck =
	| { ok: true; id: string; timestampSec: number }
	| { ok: false; reason: 'missing' | 'timestamp' | 'mismatch' };

/** The secret as bytes, or undefined when it is not a Webhook Secret (whsec_ + base64). */
export function webhookSecretKey(secret: string): Buffer | undefined {
	const encoded = secret.trim().replace(/^whsec_/, '');
	if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 === 1) return undefined;
	const key = Buffer.from(encoded, 'base64');
	return key.length > 0 ? key : undefined;
}

/** The three signature headers out of n8n's header data, whatever the case of their names. */
export function signatureHeaders(headers: Record<string, unknown>): SignatureHeaders {
	const found: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers ?? {})) {
		const key = name.toLowerCase();
		if (!(SIGNATURE_HEADERS as readonly string[]).includes(key)) continue;
		// A header sent twice arrives as a list (or joined with ", "): its entries are taken together.
		const text = Array.isArray(value) ? value.map(String).join(' ') : typeof value === 'string' ? value : undefined;
		if (text !== undefined) found[key] = found[key] ? `${found[key]} ${text}` : text;
	}
	return { id: found['webhook-id'], timestamp: found['webhook-timestamp'], signature: found['webhook-signature'] };
}

/** `v1,<base64>` of the signed content: what Kling puts into webhook-signature. */
export function signWebhook(key: Buffer, id: string, timestamp: string, rawBody: Buffer | string): string {
	const body = typeof rawBody === 'string' ? Buffer.from(rawBody, 'utf8') : rawBody;
	const mac = createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(body).digest('base64');
	return `v1,${mac}`;
}

/** Equal strings, compared in constant time (over hashes, so the length does not show either). */
function constantTimeEqual(given: string, expected: string): boolean {
	const a = createHash('sha256').update(given, 'utf8').digest();
	const b = createHash('sha256').update(expected, 'utf8').digest();
	return timingSafeEqual(a, b);
}

/**
 * Checks a callback's signature over its raw body, byte for byte. Says only whether it passed and,
 * if not, which rule failed: never the expected signature.
 */
export function verifyWebhookSignature(
	key: Buffer,
	headers: SignatureHeaders,
	rawBody: Buffer,
	nowMs = Date.now(),
): SignatureCheck {
	const id = headers.id?.trim();
	const timestamp = headers.timestamp?.trim();
	const signature = headers.signature?.trim();
	if (!id || !timestamp || !signature) return { ok: false, reason: 'missing' };
	if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'timestamp' };
	const timestampSec = Number(timestamp);
	if (Math.abs(nowMs / 1000 - timestampSec) > SIGNATURE_TOLERANCE_SECONDS) return { ok: false, reason: 'timestamp' };

	const expected = signWebhook(key, id, timestamp, rawBody).slice('v1,'.length);
	let matched = false;
	for (const entry of signature.split(/\s+/)) {
		const comma = entry.indexOf(',');
		if (comma < 0 || entry.slice(0, comma) !== 'v1') continue;
		// Every entry is compared (no early exit): the time taken does not say which one matched.
		if (constantTimeEqual(entry.slice(comma + 1).replace(/,+$/, ''), expected)) matched = true;
	}
	return matched ? { ok: true, id, timestampSec } : { ok: false, reason: 'mismatch' };
}
