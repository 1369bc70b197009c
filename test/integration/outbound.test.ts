/**
 * The outbound rules on real listeners: no redirect is followed (the second server never sees the signed body or
 * the Mono key), https and public addresses are required outside development, SMTP can require TLS, and SMTP
 * failures never carry the recipient's address.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonoApiError } from '../../src/activities/mono/errors.js';
import { MonoClient } from '../../src/activities/mono/client.js';
import { Notifier, PermanentDeliveryError } from '../../src/activities/notify/notifier.js';
import { createLogger } from '../../src/lib/logger.js';
import {
  checkOutbound,
  DEVELOPMENT_OUTBOUND,
  isPrivateAddress,
  OutboundRefused,
  STRICT_OUTBOUND,
} from '../../src/lib/outbound.js';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import type { Notice } from '../../src/workflows/account-lifecycle/model/types.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const links = createReauthLinks({ baseUrl: 'http://reauth.test', secrets: ['k'.repeat(40)], ttlMs: 60_000 });
const notice: Notice = {
  id: 'msg_test_1',
  type: 'account.reauth_required',
  audience: 'owner',
  at: new Date().toISOString(),
  data: { accountId: 'acc1' },
};

let target: Server;
let redirector: Server;
let targetUrl: string;
let redirectUrl: string;
const received: IncomingMessage[] = [];

const listen = (server: Server): Promise<string> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`))
  );

beforeAll(async () => {
  target = createServer((req, res) => {
    received.push(req);
    req.resume();
    res.end('{}');
  });
  targetUrl = await listen(target);
  redirector = createServer((req, res) => {
    req.resume();
    res.writeHead(307, { location: `${targetUrl}${req.url ?? '/'}` }).end();
  });
  redirectUrl = await listen(redirector);
});

afterAll(async () => {
  await new Promise((r) => target.close(r));
  await new Promise((r) => redirector.close(r));
});

describe('redirects are never followed', () => {
  it('a notification webhook answering 307 is a permanent failure, and the signed body goes nowhere else', async () => {
    received.length = 0;
    const notifier = new Notifier(
      {
        channels: ['webhook'],
        webhookUrl: `${redirectUrl}/hook`,
        webhookSecret: SECRET,
        outbound: DEVELOPMENT_OUTBOUND,
      },
      links,
      createLogger('silent')
    );
    const err = await notifier.deliver(notice).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect((err as Error).message).toMatch(
      /answered 307, a redirect to http:\/\/127\.0\.0\.1:\d+; redirects are never followed/
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toHaveLength(0);
  });

  it('Mono answering 307 is refused before mono-sec-key reaches the other server', async () => {
    received.length = 0;
    const mono = new MonoClient({ baseUrl: redirectUrl, secretKey: 'test_sk_secret', outbound: DEVELOPMENT_OUTBOUND });
    const err = await mono.syncAccount('acc1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonoApiError);
    expect(err).toMatchObject({ kind: 'refused_by_policy', retryable: false });
    await new Promise((r) => setTimeout(r, 200));
    expect(received).toHaveLength(0);
  });
});

describe('outside development: https and public addresses only', () => {
  it.each([
    { url: 'http://api.example.com/x', policy: STRICT_OUTBOUND, says: /must use https/ },
    { url: 'https://127.0.0.1/x', policy: STRICT_OUTBOUND, says: /127\.0\.0\.1 resolves to 127\.0\.0\.1, a private/ },
    { url: 'https://localhost/x', policy: STRICT_OUTBOUND, says: /localhost resolves to .*private or loopback/ },
    { url: 'https://[::1]/x', policy: STRICT_OUTBOUND, says: /private or loopback/ },
    { url: 'https://10.1.2.3/x', policy: STRICT_OUTBOUND, says: /private or loopback/ },
    { url: 'https://169.254.169.254/latest', policy: STRICT_OUTBOUND, says: /private or loopback/ },
  ])('refuses $url', async ({ url, policy, says }) => {
    const err = await checkOutbound(url, policy, 'the test target').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OutboundRefused);
    expect((err as Error).message).toMatch(says);
  });

  it('allows a private host that is explicitly listed, and everything in development', async () => {
    await expect(
      checkOutbound('https://10.1.2.3/x', { requireHttps: true, allowPrivate: ['10.1.2.3'] }, 't')
    ).resolves.toBeUndefined();
    await expect(checkOutbound(`${targetUrl}/x`, DEVELOPMENT_OUTBOUND, 't')).resolves.toBeUndefined();
  });

  it('the notifier refuses a loopback receiver under the strict policy without sending anything', async () => {
    received.length = 0;
    const notifier = new Notifier(
      { channels: ['webhook'], webhookUrl: `${targetUrl}/hook`, webhookSecret: SECRET },
      links,
      createLogger('silent')
    );
    await expect(notifier.deliver(notice)).rejects.toThrow(PermanentDeliveryError);
    expect(received).toHaveLength(0);
  });

  it.each([
    ['127.0.0.1', true],
    ['10.0.0.1', true],
    ['172.16.5.4', true],
    ['172.32.0.1', false],
    ['192.168.1.1', true],
    ['100.64.0.1', true],
    ['169.254.1.1', true],
    ['8.8.8.8', false],
    ['::1', true],
    ['fd00::1', true],
    ['fe80::1', true],
    ['::ffff:127.0.0.1', true],
    ['::ffff:8.8.8.8', false],
    ['2001:4860:4860::8888', false],
  ])('isPrivateAddress(%s) is %s', (address, expected) => {
    expect(isPrivateAddress(address)).toBe(expected);
  });
});

describe('SMTP', () => {
  let plain: SMTPServer;
  let plainPort: number;
  const data: string[] = [];

  beforeAll(async () => {
    plain = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onRcptTo(address, _session, done) {
        if (address.address.startsWith('reject')) {
          const err = new Error(`5.1.1 <${address.address}>: Recipient address rejected`) as Error & {
            responseCode: number;
          };
          err.responseCode = 550;
          return done(err);
        }
        done();
      },
      onData(stream, _session, done) {
        stream.on('data', (c: Buffer) => data.push(c.toString()));
        stream.on('end', () => done());
      },
    });
    await new Promise<void>((r) => plain.listen(0, '127.0.0.1', () => r()));
    plainPort = (plain.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => plain.close(() => r())));

  const mailer = (requireTls: boolean) =>
    new Notifier(
      {
        channels: ['email'],
        smtpUrl: `smtp://127.0.0.1:${plainPort}`,
        from: 'reauth@example.com',
        outbound: DEVELOPMENT_OUTBOUND,
        smtpRequireTls: requireTls,
      },
      links,
      createLogger('silent')
    );

  it('with TLS required, refuses a server that offers no encryption, and no mail is sent', async () => {
    data.length = 0;
    const err = await mailer(true)
      .deliver(notice, { email: 'owner@example.com' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).not.toContain('owner@example.com');
    expect(data).toHaveLength(0);
  });

  it('a rejection quoting the recipient becomes an error with codes only', async () => {
    const err = await mailer(false)
      .deliver(notice, { email: 'reject-me@example.com' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect((err as Error).message).toMatch(/refused the message \(EENVELOPE, 550\)/);
    expect((err as Error).message).not.toContain('reject-me');
  });

  it('without TLS required (development), the same server takes the mail', async () => {
    data.length = 0;
    await mailer(false).deliver(notice, { email: 'owner@example.com' });
    expect(data.join('')).toContain('Please reconnect your bank account');
  });
});
