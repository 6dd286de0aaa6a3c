/**
 * Keeps secrets out of everything the node puts out. A proxy may echo the API key in its JSON
 * error, a gateway may echo the Authorization header in its error page: before an answer becomes an
 * error (or an item), every known secret value, every `Bearer …` value and every JWT-shaped string
 * (whole or cut short) is replaced.
 */
const REDACTED = '[redacted]';
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}/gi;
/** A JWT, or its beginning: base64url JSON ({"…) then optional further segments. */
const JWT = /eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){0,2}/g;

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function redactText(text: string, secrets: readonly string[]): string {
	let out = text.replace(BEARER, `$1 ${REDACTED}`).replace(JWT, REDACTED);
	for (const secret of secrets) {
		if (secret.length >= 4 && out.includes(secret)) out = out.replace(new RegExp(escape(secret), 'g'), REDACTED);
	}
	return out;
}

const mayHoldSecret = (text: string, secrets: readonly string[]) =>
	/bearer|eyJ/i.test(text) || secrets.some((secret) => secret.length >= 4 && text.includes(secret));

/** A copy of any JSON-like value with every string redacted (keys included). Unchanged values are shared. */
export function redactValue<T>(value: T, secrets: readonly string[], seen = new WeakSet<object>()): T {
	if (typeof value === 'string') return (mayHoldSecret(value, secrets) ? redactText(value, secrets) : value) as T;
	if (typeof value !== 'object' || value === null) return value;
	if (value instanceof Error) return (seen.has(value) ? value : redactError(value, secrets, seen)) as T;
	const prototype = Object.getPrototypeOf(value);
	if (!Array.isArray(value) && prototype !== Object.prototype && prototype !== null) return value;
	if (seen.has(value)) return value;
	seen.add(value);
	if (Array.isArray(value)) return value.map((entry) => redactValue(entry, secrets, seen)) as T;
	const out: Record<string, unknown> = {};
	for (const [key, entry] of Object.entries(value)) out[redactText(key, secrets)] = redactValue(entry, secrets, seen);
	return out as T;
}

/**
 * Redacts an error in place: its message, description, and every other own property (n8n keeps the
 * answer's body in `cause`, parsed messages in `messages`, and the node with its parameters in `node`).
 */
export function redactError<E extends Error>(error: E, secrets: readonly string[], seen = new WeakSet<object>()): E {
	seen.add(error);
	const record = error as unknown as Record<string, unknown>;
	for (const key of Object.getOwnPropertyNames(error)) {
		if (key === 'stack') continue;
		const current = record[key];
		const next = redactValue(current, secrets, seen);
		if (next !== current) {
			try {
				record[key] = next;
			} catch {
				// a read-only property holds nothing of ours
			}
		}
	}
	if (typeof error.stack === 'string' && mayHoldSecret(error.stack, secrets)) error.stack = redactText(error.stack, secrets);
	return error;
}
