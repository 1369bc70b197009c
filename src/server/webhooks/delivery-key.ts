/**
 * Mono webhooks carry no delivery id, so a delivery is identified by what it says: event, account and the
 * body with keys sorted (whitespace and key order do not matter). The workflow ignores a key it has seen
 * within its dedupe window.
 */
import { createHash } from 'node:crypto';

/** A stable digest of a delivery: event, account and the body with keys sorted. Used for dedupe. */
export function deliveryKey(event: string, accountId: string, body: unknown): string {
  return createHash('sha256')
    .update(`${event}\n${accountId}\n${canonicalJson(body)}`)
    .digest('base64url')
    .slice(0, 22);
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
