/**
 * Mono authenticates webhooks with a shared secret in the `mono-webhook-secret` header (no HMAC is
 * documented). We accept any of the configured secrets so they can be rotated, and compare SHA-256 digests
 * with `timingSafeEqual`, checking every secret, so timing reveals neither the secret, its length, nor which
 * one matched.
 */
import crypto from 'node:crypto';

export const SECRET_HEADER = 'mono-webhook-secret';

// The one-shot crypto.hash (Node 20.12 and later) makes no Hash object per request; the same digest either way.
const digest: (value: string) => Buffer =
  typeof crypto.hash === 'function'
    ? (value) => crypto.hash('sha256', value, 'buffer')
    : (value) => crypto.createHash('sha256').update(value, 'utf8').digest();

/** Builds a verifier over the configured secrets (at least one). */
export function createSecretVerifier(secrets: readonly string[]): (presented: string | undefined) => boolean {
  if (secrets.length === 0) throw new Error('at least one webhook secret is required');
  const expected = secrets.map(digest);
  return (presented) => {
    const candidate = digest(presented ?? '');
    let match = false;
    for (const secret of expected) match = crypto.timingSafeEqual(candidate, secret) || match;
    return match && presented !== undefined && presented.length > 0;
  };
}
