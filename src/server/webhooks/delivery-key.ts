/**
 * Mono webhooks carry no delivery id, so a delivery is identified by what it says: event, account and the
 * body with keys sorted (whitespace and key order do not matter). The digest is an HMAC under a server-side
 * key, so the value stored in Temporal and logs reveals nothing about the body (which carries PII).
 * The workflow ignores a key it has seen within its dedupe window.
 */
import { createHmac } from 'node:crypto';

/** Deeper bodies are refused before hashing (Mono's documented bodies nest 4 levels). */
export const MAX_BODY_DEPTH = 32;

export type DeliveryKeyFn = (event: string, accountId: string, body: unknown) => string;

export function createDeliveryKey(secret: string): DeliveryKeyFn {
  return (event, accountId, body) =>
    createHmac('sha256', secret)
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

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
