/**
 * The re-auth page's hardening on the real Express app and a real port (the account lookup injected): a CSP
 * nonce instead of 'unsafe-inline', no framing, HSTS over https, and views limited per source and per valid link.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { AccountView } from '../../src/workflows/account-lifecycle/model/types.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import { createApp, type AppDeps } from '../../src/server/app.js';
import type { ReauthPageDeps } from '../../src/server/reauth/page.js';
import { createDeliveryKey } from '../../src/server/webhooks/delivery-key.js';
import { TEST_SECRET } from '../helpers/webhooks.js';
import { testServers } from '../helpers/listen.js';

const links = createReauthLinks({
  baseUrl: 'https://reauth.example.com',
  secrets: ['page-test-key'],
  ttlMs: 3_600_000,
});
const servers = testServers();
let shown = 0;

async function start(page: Partial<ReauthPageDeps> = {}, app: Partial<AppDeps> = {}): Promise<string> {
  const accounts = {
    show: (accountId: string) => {
      shown += 1;
      return Promise.resolve({ accountId, state: 'reauth_required' } as AccountView);
    },
  };
  const express = createApp({
    metrics: createMetrics(),
    logger: createLogger('silent'),
    isReady: () => Promise.resolve(true),
    webhookSecrets: [TEST_SECRET],
    deliveryKey: createDeliveryKey('page-test'),
    deliver: () => Promise.reject(new Error('not used')),
    reauthPage: { links, accounts, monoPublicKey: 'test_pk', ...page },
    ...app,
  });
  return servers.listen(express);
}
afterAll(() => servers.closeAll());

const pathOf = (link: string): string => {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
};

describe('the page’s headers', () => {
  it('allow scripts and style elements by this response’s nonce only, and no framing', async () => {
    const base = await start();
    const res = await fetch(`${base}${pathOf(links.create('acc1', Date.now()))}`);
    const html = await res.text();
    const csp = res.headers.get('content-security-policy')!;
    const directives = Object.fromEntries(csp.split('; ').map((d) => [d.split(' ')[0], d]));
    // Only style attributes may be inline (style-src-attr): scripts and style elements need the nonce.
    expect(directives['script-src']).not.toContain('unsafe-inline');
    expect(directives['style-src']).not.toContain('unsafe-inline');
    expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]{24}'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const nonce = /'nonce-([^']+)'/.exec(csp)![1]!;
    const scripts = [...html.matchAll(/<script[^>]*>/g)].map((m) => m[0]);
    expect(scripts.length).toBe(3);
    for (const tag of scripts) expect(tag).toContain(`nonce="${nonce}"`);
    expect(html).toContain(`<style nonce="${nonce}">`);
    const again = await fetch(`${base}${pathOf(links.create('acc2', Date.now()))}`);
    expect(again.headers.get('content-security-policy')).not.toContain(nonce); // a fresh nonce per response
  });

  it('send HSTS over https only: PUBLIC_BASE_URL https, or a request a trusted proxy says came over https', async () => {
    const link = pathOf(links.create('acc1', Date.now()));
    const plain = await start();
    expect((await fetch(`${plain}${link}`)).headers.get('strict-transport-security')).toBeNull();
    const forwarded = await fetch(`${plain}${link}`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(forwarded.headers.get('strict-transport-security')).toBeNull(); // no TRUST_PROXY: not believed
    const behindProxy = await start({}, { trustProxy: 1 });
    const viaProxy = await fetch(`${behindProxy}${link}`, { headers: { 'x-forwarded-proto': 'https' } });
    expect(viaProxy.headers.get('strict-transport-security')).toBe('max-age=31536000');
    const https = await start({ https: true });
    expect((await fetch(`${https}${link}`)).headers.get('strict-transport-security')).toBe('max-age=31536000');
  });
});

describe('views are limited', () => {
  it('per valid link: past its allowance 429 with Retry-After, and the account is not asked', async () => {
    const base = await start({ viewsPerLink: 3 });
    const link = pathOf(links.create('acc1', Date.now()));
    const before = shown;
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await fetch(`${base}${link}`)).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(shown - before).toBe(3);
    const limited = await fetch(`${base}${link}`);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.text()).toContain('Please wait a minute');
    // Another owner's link is not affected, and a tampered link cannot use up anyone's allowance.
    expect((await fetch(`${base}${pathOf(links.create('acc2', Date.now()))}`)).status).toBe(200);
  });

  it('per source, tampered links included', async () => {
    const base = await start({ viewsPerSource: 4 }, { trustProxy: 1 });
    const tampered = '/reauth/acc1?exp=9999999999&sig=AAAA';
    const from = (client: string) => fetch(`${base}${tampered}`, { headers: { 'x-forwarded-for': client } });
    const statuses = [];
    for (let i = 0; i < 6; i++) statuses.push((await from('203.0.113.5')).status);
    expect(statuses).toEqual([403, 403, 403, 403, 429, 429]);
    expect((await from('198.51.100.7')).status).toBe(403);
  });
});
