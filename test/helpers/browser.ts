/** Debian's Chromium for browser tests, driven by playwright-core (no browser download). */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = [
  process.env.CHROMIUM_PATH,
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
].find((p): p is string => !!p && existsSync(p));

/** CI installs Chromium (.ci/run) and must run browser tests; a developer machine without it is told how to get it. */
export const BROWSER_TESTS_RUNNABLE = CHROMIUM !== undefined || process.env.CI === 'true';
if (!BROWSER_TESTS_RUNNABLE)
  console.warn('Browser tests not run: install Chromium (apt-get install chromium) or set CHROMIUM_PATH');

export async function launchChromium(): Promise<Browser> {
  if (!CHROMIUM) throw new Error('Chromium not found: install it (apt-get install chromium) or set CHROMIUM_PATH');
  // Playwright gives it a fresh profile; the flags keep it off the (closed) network.
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
