/**
 * Signed, expiring re-auth links: `PUBLIC_BASE_URL/reauth/<accountId>?exp=<unix seconds>&sig=<HMAC>`.
 * The HMAC (SHA-256, base64url) covers the account id and the expiry, so neither can be changed; links carry
 * no PII and no Mono token (the token expires in 10 minutes, so the page gets what the widget needs only when
 * the link is opened).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type LinkCheck = 'valid' | 'expired' | 'tampered';

export interface ReauthLinks {
  create(accountId: string, nowMs: number): string;
  check(accountId: string, exp: string | undefined, sig: string | undefined, nowMs: number): LinkCheck;
}

export function createReauthLinks({
  baseUrl,
  secret,
  ttlMs,
}: {
  baseUrl: string;
  secret: string;
  ttlMs: number;
}): ReauthLinks {
  const sign = (accountId: string, exp: string): string =>
    createHmac('sha256', secret).update(`reauth\n${accountId}\n${exp}`).digest('base64url');
  return {
    create(accountId, nowMs) {
      const exp = String(Math.floor((nowMs + ttlMs) / 1000));
      return `${baseUrl}/reauth/${encodeURIComponent(accountId)}?exp=${exp}&sig=${sign(accountId, exp)}`;
    },
    check(accountId, exp, sig, nowMs) {
      if (!exp || !sig || !/^\d{1,12}$/.test(exp)) return 'tampered';
      const expected = Buffer.from(sign(accountId, exp));
      const given = Buffer.from(sig);
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return 'tampered';
      return Number(exp) * 1000 < nowMs ? 'expired' : 'valid';
    },
  };
}
