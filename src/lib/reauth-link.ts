/**
 * Signed, expiring re-auth links: `PUBLIC_BASE_URL/reauth/<accountId>?exp=<unix seconds>&kid=<key id>&sig=<HMAC>`.
 * The HMAC (SHA-256, base64url) covers the account id, the expiry and the key id, so none can be changed. Keys come
 * from REAUTH_LINK_SECRET as a rotation list: links are signed with the first and accepted with any, found by the
 * key id the link carries (a digest of the key, never the key). Links carry no PII and no Mono token.
 *
 * Links issued before key ids existed (no `kid`) were signed with REAUTH_LINK_SECRET itself or, when it was unset,
 * with a key derived from the admin token and webhook secrets; they are accepted with those keys until they expire,
 * and never after LEGACY_LINKS_END, whatever expiry they carry: whoever holds those secrets cannot mint links that
 * outlive it.
 *
 * A link may end with `&lang=<locale>`, the language of the page it opens (src/messages/locale.ts). It is outside
 * the signature on purpose: it grants nothing, so whoever holds the link can only change the language they see, and
 * links issued without it keep working.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export type LinkCheck = 'valid' | 'expired' | 'tampered';

/** The last moment a link without a key id is accepted (links with one have carried it since 2026-11-24). */
export const LEGACY_LINKS_END = '2027-01-01T00:00:00Z';

export interface LinkParams {
  exp?: string | undefined;
  kid?: string | undefined;
  sig?: string | undefined;
}

export interface ReauthLinks {
  /** A link; `lang`, when given, is the language its page opens in. */
  create(accountId: string, nowMs: number, lang?: string): string;
  /** A link and when it expires (ISO-8601). */
  issue(accountId: string, nowMs: number, lang?: string): { url: string; expiresAt: string };
  check(accountId: string, params: LinkParams, nowMs: number): LinkCheck;
}

export interface ReauthLinkOptions {
  baseUrl: string;
  /** Signing keys, newest first: the first signs, all verify. */
  secrets: readonly string[];
  /** Keys that signed links without a key id (before rotation existed); verify only, until `legacyLinksEnd`. */
  legacySecrets?: readonly string[];
  /** When links without a key id stop being accepted (ISO-8601; default LEGACY_LINKS_END). */
  legacyLinksEnd?: string;
  ttlMs: number;
}

/** The public id of a key: a short digest, so a link names its key without revealing it. */
export function linkKeyId(secret: string): string {
  return createHash('sha256').update(`mono-reauth link key\n${secret}`).digest('base64url').slice(0, 10);
}

export function createReauthLinks({
  baseUrl,
  secrets,
  legacySecrets = [],
  legacyLinksEnd = LEGACY_LINKS_END,
  ttlMs,
}: ReauthLinkOptions): ReauthLinks {
  const legacyEndMs = Date.parse(legacyLinksEnd);
  if (secrets.length === 0) throw new Error('re-auth links need at least one key (REAUTH_LINK_SECRET)');
  const byKid = new Map(secrets.map((secret) => [linkKeyId(secret), secret]));
  const [signingSecret] = secrets as [string];
  const signingKid = linkKeyId(signingSecret);
  const sign = (secret: string, message: string): Buffer => createHmac('sha256', secret).update(message).digest();
  const matches = (given: string, expected: Buffer): boolean => {
    const presented = Buffer.from(given, 'base64url');
    return presented.length === expected.length && timingSafeEqual(presented, expected);
  };
  const issue = (accountId: string, nowMs: number, lang?: string): { url: string; expiresAt: string } => {
    const expSeconds = Math.floor((nowMs + ttlMs) / 1000);
    const exp = String(expSeconds);
    const sig = sign(signingSecret, `reauth\n${accountId}\n${exp}\n${signingKid}`).toString('base64url');
    return {
      url:
        `${baseUrl}/reauth/${encodeURIComponent(accountId)}?exp=${exp}&kid=${signingKid}&sig=${sig}` +
        (lang ? `&lang=${encodeURIComponent(lang)}` : ''),
      expiresAt: new Date(expSeconds * 1000).toISOString(),
    };
  };
  return {
    create: (accountId, nowMs, lang) => issue(accountId, nowMs, lang).url,
    issue,
    check(accountId, { exp, kid, sig }, nowMs) {
      if (!exp || !sig || !/^\d{1,12}$/.test(exp) || !/^[A-Za-z0-9_-]{1,128}$/.test(sig)) return 'tampered';
      let valid: boolean;
      let expiresMs = Number(exp) * 1000;
      if (kid !== undefined) {
        const secret = byKid.get(kid);
        valid = secret !== undefined && matches(sig, sign(secret, `reauth\n${accountId}\n${exp}\n${kid}`));
      } else {
        const legacyMessage = `reauth\n${accountId}\n${exp}`;
        valid = [...secrets, ...legacySecrets].some((secret) => matches(sig, sign(secret, legacyMessage)));
        expiresMs = Math.min(expiresMs, legacyEndMs);
      }
      if (!valid) return 'tampered';
      return expiresMs < nowMs ? 'expired' : 'valid';
    },
  };
}
