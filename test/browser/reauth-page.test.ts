/**
 * The re-auth page in headless Chromium, as an owner sees it: a valid link opens Mono Connect in re-auth mode for
 * the account (the widget script is replaced by a stub that records the calls), an expired and a tampered link
 * show what to do.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { BROWSER_TESTS_RUNNABLE, launchChromium } from '../helpers/browser.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const WIDGET_STUB = `
  window.widgetCalls = [];
  window.Connect = function (options) {
    window.widgetCalls.push(['new', options.key]);
    this.reauthorise = function (id) { window.widgetCalls.push(['reauthorise', id]); };
    this.open = function () { window.widgetCalls.push(['open']); options.onSuccess({ code: 'code_test' }); };
  };`;

let stack: Stack;
let browser: Browser;
const accountId = newAccountId();

beforeAll(async () => {
  if (!BROWSER_TESTS_RUNNABLE) return;
  stack = await startStack({ address: inject('temporalAddress') });
  await stack.post(webhookBody(accountId, { kind: 'reauthorisation_required' }));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

async function openLink(link: string): Promise<Page> {
  const page = await browser.newPage();
  await page.route('**/reauth/assets/connect.js', (route) =>
    route.fulfill({ contentType: 'text/javascript', body: WIDGET_STUB })
  );
  const url = new URL(link);
  await page.goto(`${stack.baseUrl}${url.pathname}${url.search}`);
  return page;
}

it.skipIf(!BROWSER_TESTS_RUNNABLE)('a valid link opens the widget in re-auth mode for the account', async () => {
  const page = await openLink(stack.links.create(accountId, Date.now()));
  expect(await page.getByRole('heading').textContent()).toBe('Reconnect your bank account');
  await page.getByRole('button', { name: 'Reconnect' }).click();
  expect(await page.evaluate('window.widgetCalls')).toEqual([
    ['new', 'test_pk_page'],
    ['reauthorise', accountId],
    ['open'],
  ]);
  expect(await page.getByRole('status').textContent()).toBe(
    'Done — your bank account is reconnected. You can close this page.'
  );
  await page.screenshot({ path: '.data/reauth-page-test.png' });
});

it.skipIf(!BROWSER_TESTS_RUNNABLE)(
  'under its Content-Security-Policy the page’s own scripts and styles run, and nothing injected does',
  async () => {
    const violations: string[] = [];
    const page = await browser.newPage();
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.route('**/reauth/assets/connect.js', (route) =>
      route.fulfill({
        contentType: 'text/javascript',
        // The real widget adds a <style> element of its own: it must apply too.
        body: `${WIDGET_STUB}; var s = document.createElement('style'); s.textContent = '#reconnect { margin-left: 7px }'; document.head.appendChild(s);`,
      })
    );
    const url = new URL(stack.links.create(accountId, Date.now()));
    await page.goto(`${stack.baseUrl}${url.pathname}${url.search}`);
    await page.getByRole('button', { name: 'Reconnect' }).click();
    expect(await page.evaluate('window.widgetCalls.length')).toBe(3);
    expect(await page.evaluate("getComputedStyle(document.querySelector('main')).borderRadius")).toBe('12px');
    expect(await page.evaluate("getComputedStyle(document.getElementById('reconnect')).marginLeft")).toBe('7px');
    expect(violations).toEqual([]);
    // An inline script without the nonce (what an injection would add) does not run.
    await page.evaluate(
      "document.body.appendChild(Object.assign(document.createElement('script'), { textContent: 'window.injected = true' }))"
    );
    expect(await page.evaluate('window.injected')).toBeUndefined();
    expect(violations.length).toBeGreaterThan(0);
    await page.close();
  }
);

it.skipIf(!BROWSER_TESTS_RUNNABLE)('an expired link says it expired and what to do', async () => {
  const page = await openLink(stack.links.create(accountId, Date.now() - 30 * 86_400_000));
  expect(await page.getByRole('heading').textContent()).toBe('This link has expired');
  expect(await page.getByRole('button').count()).toBe(0);
});

it.skipIf(!BROWSER_TESTS_RUNNABLE)('a tampered link says it is not valid and what to do', async () => {
  const link = new URL(stack.links.create(accountId, Date.now()));
  link.searchParams.set('sig', 'x'.repeat(43));
  const page = await openLink(link.toString());
  expect(await page.getByRole('heading').textContent()).toBe('This link is not valid');
  expect(await page.locator('body').innerText()).toContain('ask us for a new one');
});
