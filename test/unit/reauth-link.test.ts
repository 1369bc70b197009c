/** Re-auth links: signed with the first key, accepted with any listed key, and links from before key ids. */
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createReauthLinks, LEGACY_LINKS_END, linkKeyId, type LinkParams } from '../../src/lib/reauth-link.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 10, 1);
const OLD = 'Ab1cD2eF3gH4iJ5kL6mN7oP8qR9sT0uV';
const NEW = 'Zk3xV8nR1tQ6wM9pL2cJ5hF7gD4sB0aY';
const links = (secrets: string[], legacySecrets: string[] = []) =>
  createReauthLinks({ baseUrl: 'https://reauth.example.com', secrets, legacySecrets, ttlMs: 7 * DAY });

function paramsOf(url: string): LinkParams {
  const u = new URL(url);
  const get = (name: string) => u.searchParams.get(name) ?? undefined;
  return { exp: get('exp'), kid: get('kid'), sig: get('sig') };
}

describe('re-auth links', () => {
  it('carry the signing key id (a digest, never the key) and are valid until they expire', () => {
    const url = links([NEW, OLD]).create('acc1', T0);
    expect(url).toMatch(/^https:\/\/reauth\.example\.com\/reauth\/acc1\?exp=\d+&kid=[\w-]+&sig=[\w-]+$/);
    expect(paramsOf(url).kid).toBe(linkKeyId(NEW));
    expect(url).not.toContain(NEW);
    expect(links([NEW]).check('acc1', paramsOf(url), T0 + 6 * DAY)).toBe('valid');
    expect(links([NEW]).check('acc1', paramsOf(url), T0 + 8 * DAY)).toBe('expired');
  });

  it('keep working when a new key is put first (rotation), and stop when their key is removed', () => {
    const url = links([OLD]).create('acc1', T0);
    expect(links([NEW, OLD]).check('acc1', paramsOf(url), T0 + DAY)).toBe('valid');
    expect(links([NEW]).check('acc1', paramsOf(url), T0 + DAY)).toBe('tampered');
  });

  it.each([
    { what: 'the account', change: (_p: LinkParams) => ({ account: 'acc2' }) },
    { what: 'the expiry', change: (p: LinkParams) => ({ params: { ...p, exp: String(Number(p.exp) + 86_400) } }) },
    { what: 'the key id', change: (p: LinkParams) => ({ params: { ...p, kid: linkKeyId(OLD) } }) },
    { what: 'the signature', change: (p: LinkParams) => ({ params: { ...p, sig: `${p.sig!.slice(0, -2)}AA` } }) },
    { what: 'a missing signature', change: (p: LinkParams) => ({ params: { ...p, sig: undefined } }) },
  ])('are refused as tampered when $what changes', ({ change }) => {
    const l = links([NEW, OLD]);
    const params = paramsOf(l.create('acc1', T0));
    const changed = change(params) as { account?: string; params?: LinkParams };
    expect(l.check(changed.account ?? 'acc1', changed.params ?? params, T0 + DAY)).toBe('tampered');
  });

  it('accept links issued before key ids with the keys that signed them, until they expire', () => {
    const legacyKey = 'mono-reauth-link:admin:secret';
    const exp = String(Math.floor((T0 + 7 * DAY) / 1000));
    const legacySig = (key: string) => createHmac('sha256', key).update(`reauth\nacc1\n${exp}`).digest('base64url');
    const current = links([NEW], [legacyKey]);
    expect(current.check('acc1', { exp, sig: legacySig(legacyKey) }, T0 + DAY)).toBe('valid');
    expect(current.check('acc1', { exp, sig: legacySig(NEW) }, T0 + DAY)).toBe('valid');
    expect(current.check('acc1', { exp, sig: legacySig('another key') }, T0 + DAY)).toBe('tampered');
    expect(current.check('acc1', { exp, sig: legacySig(legacyKey) }, T0 + 8 * DAY)).toBe('expired');
  });

  it('stop accepting links without a key id at LEGACY_LINKS_END, whatever expiry they carry', () => {
    const legacyKey = 'mono-reauth-link:admin:secret';
    const end = Date.parse(LEGACY_LINKS_END);
    // Minted by whoever holds the legacy key's secrets, valid for ten years.
    const exp = String(Math.floor((end + 3650 * DAY) / 1000));
    const sig = createHmac('sha256', legacyKey).update(`reauth\nacc1\n${exp}`).digest('base64url');
    const current = links([NEW], [legacyKey]);
    expect(current.check('acc1', { exp, sig }, end - DAY)).toBe('valid');
    expect(current.check('acc1', { exp, sig }, end + 1)).toBe('expired');
    // Links with a key id are not affected.
    const url = links([NEW]).create('acc1', end + DAY);
    expect(current.check('acc1', paramsOf(url), end + 2 * DAY)).toBe('valid');
    expect(Date.parse(LEGACY_LINKS_END)).toBeLessThanOrEqual(Date.UTC(2027, 0, 1));
  });
});
