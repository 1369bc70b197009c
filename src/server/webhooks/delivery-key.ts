/**
 * Mono webhooks carry no delivery id, so a delivery is identified by what it says: event, account and the
 * body with keys sorted (whitespace and key order do not matter). The digest is an HMAC under a server-side
 * key, so the value stored in Temporal and logs reveals nothing about the body (which carries PII).
 * The workflow ignores a key it has seen within its dedupe window.
 */
import { createHmac, createSecretKey } from 'node:crypto';

/** Deeper bodies are refused before hashing (Mono's documented bodies nest 4 levels). */
export const MAX_BODY_DEPTH = 32;

export type DeliveryKeyFn = (event: string, accountId: string, body: unknown) => string;

export function createDeliveryKey(secret: string): DeliveryKeyFn {
  const key = createSecretKey(Buffer.from(secret, 'utf8'));
  return (event, accountId, body) =>
    createHmac('sha256', key)
      .update(`${event}\n${accountId}\n${canonicalJson(body)}`)
      .digest('base64url')
      .slice(0, 22);
}

/** How deeply `value` nests (0 for a scalar), computed without recursion. */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    max = Math.max(max, depth + 1);
    if (max > MAX_BODY_DEPTH) return max;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth + 1]);
  }
  return max;
}

/** JSON with object keys sorted (by UTF-16 code units, as `Array.prototype.sort` does) and no whitespace. */
function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  let out: string;
  if (Array.isArray(value)) {
    out = '[';
    for (let i = 0; i < value.length; i++) out += (i === 0 ? '' : ',') + canonicalJson(value[i]);
    return out + ']';
  }
  const fields = value as Record<string, unknown>;
  const keys = Object.keys(fields).sort();
  out = '{';
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    out += (i === 0 ? '' : ',') + JSON.stringify(key) + ':' + canonicalJson(fields[key]);
  }
  return out + '}';
}
