/** The log channel: the re-auth link appears only when configured for development, never otherwise. */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Notifier } from '../../src/activities/notify/notifier.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import type { Notice } from '../../src/workflows/account-lifecycle/model/types.js';

const notice: Notice = {
  id: 'msg_acc1_1',
  type: 'account.reauth_required',
  audience: 'owner',
  at: '2026-11-24T10:00:00.000Z',
  data: { accountId: 'acc1' },
};
const links = createReauthLinks({ baseUrl: 'http://localhost:3000', secrets: ['k'.repeat(40)], ttlMs: 60_000 });

async function logLine(logLinks: boolean): Promise<string> {
  const lines: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({ write: (chunk: Buffer, _enc, done) => (lines.push(chunk.toString()), done()) })
  );
  await new Notifier({ channels: ['log'], logLinks }, links, logger).deliver(notice);
  return lines.join('');
}

describe('log channel', () => {
  it('shows the re-auth link in development, so a developer can open the page', async () => {
    expect(await logLine(true)).toMatch(/"reauthUrl":"http:\/\/localhost:3000\/reauth\/acc1\?exp=\d+&kid=/);
  });

  it('never shows it otherwise', async () => {
    expect(await logLine(false)).not.toContain('/reauth/');
  });

  it('is on only for a service that nothing but this machine can reach', () => {
    expect(loadConfig({}).notify.logLinks).toBe(true);
    expect(loadConfig({ HOST: '127.0.0.1', PUBLIC_BASE_URL: 'http://localhost:3000' }).notify.logLinks).toBe(true);
  });
});
