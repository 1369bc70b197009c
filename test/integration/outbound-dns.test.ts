/**
 * The address connected to is the address checked: a name is resolved once per connection, by the resolver the
 * check uses, and the connection goes to that answer. Here DNS answers are the test's (node:dns/promises is
 * mocked for the names below): a name that answers a public address to one lookup and 127.0.0.1 to the next
 * (DNS rebinding) never reaches the local listener, whether the call is a webhook, Mono's API or SMTP.
 */
import type * as DnsPromises from 'node:dns/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { isIP, type AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { MonoApiError } from '../../src/activities/mono/errors.js';
import { MonoClient } from '../../src/activities/mono/client.js';
import { Notifier, PermanentDeliveryError, TransientDeliveryError } from '../../src/activities/notify/notifier.js';
import { createLogger } from '../../src/lib/logger.js';
import { DEVELOPMENT_OUTBOUND, type OutboundPolicy } from '../../src/lib/outbound.js';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import type { Notice } from '../../src/workflows/account-lifecycle/model/types.js';

/** Per name, the answers of successive lookups (the last one repeats), and every lookup made. */
const dns = vi.hoisted(() => ({ answers: new Map<string, string[][]>(), lookups: [] as string[] }));

vi.mock('node:dns/promises', async (importOriginal) => {
  const real = await importOriginal<typeof DnsPromises>();
  const lookup = async (host: string, options?: { all?: boolean }): Promise<unknown> => {
    const queue = dns.answers.get(host);
    if (!queue) return real.lookup(host, options as never);
    dns.lookups.push(host);
    const answer = (queue.length > 1 ? queue.shift() : queue[0])!.map((address) => ({
      address,
      family: isIP(address),
    }));
    return options?.all ? answer : answer[0];
  };
  return { ...real, lookup, default: { ...real, lookup } };
});

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
/** Public addresses only, over plain http so that a local listener can stand in for the receiver. */
const PUBLIC_ONLY: OutboundPolicy = { requireHttps: false, allowPrivate: false };
const PUBLIC = '8.8.8.8';
const links = createReauthLinks({ baseUrl: 'http://reauth.test', secrets: ['k'.repeat(40)], ttlMs: 60_000 });
const notice: Notice = {
  id: 'msg_dns_1',
  type: 'account.reauth_required',
  audience: 'owner',
  at: new Date().toISOString(),
  data: { accountId: 'acc1' },
};

let http: Server;
let httpPort: number;
const requests: IncomingMessage[] = [];

beforeAll(async () => {
  http = createServer((req, res) => {
    requests.push(req);
    req.resume();
    res.end('{}');
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  httpPort = (http.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => http.close(() => r())));

beforeEach(() => {
  dns.answers.clear();
  dns.lookups.length = 0;
  requests.length = 0;
});

const webhook = (url: string, outbound: OutboundPolicy) =>
  new Notifier(
    { channels: ['webhook'], webhookUrl: url, webhookSecret: SECRET, outbound, timeoutMs: 3_000 },
    links,
    createLogger('silent')
  );

describe('webhooks and Mono connect to the address that was checked', () => {
  it('a name that rebinds to 127.0.0.1 after a public answer never reaches the local listener', async () => {
    dns.answers.set('localhost', [[PUBLIC], ['127.0.0.1']]);
    const err = await webhook(`http://localhost:${httpPort}/hook`, PUBLIC_ONLY)
      .deliver(notice)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(requests).toHaveLength(0);
    expect(dns.lookups).toEqual(['localhost']);
  });

  it('a name answering 127.0.0.1 is refused at the connection, after one lookup, and nothing is sent', async () => {
    dns.answers.set('hooks.test', [['127.0.0.1']]);
    const err = await webhook(`http://hooks.test:${httpPort}/hook`, PUBLIC_ONLY)
      .deliver(notice)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect((err as Error).message).toMatch(/the notification webhook: hooks\.test resolves to 127\.0\.0\.1/);
    expect(requests).toHaveLength(0);
    expect(dns.lookups).toEqual(['hooks.test']);
  });

  it('the connection goes to the answer the check saw (here allowed: development)', async () => {
    dns.answers.set('hooks.test', [['127.0.0.1']]);
    await webhook(`http://hooks.test:${httpPort}/hook`, DEVELOPMENT_OUTBOUND).deliver(notice);
    expect(requests).toHaveLength(1);
    expect(requests[0]!.headers.host).toBe(`hooks.test:${httpPort}`);
  });

  it('an IPv4-mapped answer in hex is refused like the IPv4 address it carries', async () => {
    dns.answers.set('hooks.test', [['::ffff:7f00:1']]);
    const err = await webhook(`http://hooks.test:${httpPort}/hook`, PUBLIC_ONLY)
      .deliver(notice)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(requests).toHaveLength(0);
  });

  it("Mono's API: a rebinding name never gets mono-sec-key", async () => {
    dns.answers.set('localhost', [[PUBLIC], ['127.0.0.1']]);
    const mono = new MonoClient({
      baseUrl: `http://localhost:${httpPort}`,
      secretKey: 'test_sk_secret',
      outbound: PUBLIC_ONLY,
      timeoutMs: 3_000,
    });
    const err = await mono.syncAccount('acc1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MonoApiError);
    expect(requests).toHaveLength(0);
    expect(dns.lookups).toEqual(['localhost']);
  });

  it("Mono's API: a name answering a private address is refused by policy", async () => {
    dns.answers.set('mono.test', [['10.1.2.3']]);
    const mono = new MonoClient({ baseUrl: `http://mono.test:${httpPort}`, secretKey: 'k', outbound: PUBLIC_ONLY });
    const err = await mono.syncAccount('acc1').catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'refused_by_policy', retryable: false });
    expect((err as Error).message).toMatch(/mono\.test resolves to 10\.1\.2\.3/);
  });
});

describe('SMTP connects to the address that was checked, and keeps the name for TLS', () => {
  let smtp: SMTPServer;
  let smtpPort: number;
  let connections = 0;
  const mail: string[] = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      onConnect(_session, done) {
        connections++;
        done();
      },
      onData(stream, _session, done) {
        stream.on('data', (c: Buffer) => mail.push(c.toString()));
        stream.on('end', () => done());
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    smtpPort = (smtp.server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => smtp.close(() => r())));
  beforeEach(() => {
    connections = 0;
    mail.length = 0;
  });

  const mailer = (smtpUrl: string, outbound: OutboundPolicy) =>
    new Notifier(
      { channels: ['email'], smtpUrl, from: 'reauth@example.com', outbound, smtpRequireTls: false },
      links,
      createLogger('silent')
    );

  it('a rebinding SMTP host never reaches the local server', async () => {
    dns.answers.set('localhost', [[PUBLIC], ['127.0.0.1']]);
    const err = await mailer(`smtp://localhost:${smtpPort}`, PUBLIC_ONLY)
      .deliver(notice, { email: 'owner@example.com' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(connections).toBe(0);
    expect(dns.lookups).toEqual(['localhost']);
  });

  it('an SMTP host answering 127.0.0.1 is refused without a connection', async () => {
    dns.answers.set('mail.test', [['127.0.0.1']]);
    const err = await mailer(`smtp://mail.test:${smtpPort}`, PUBLIC_ONLY)
      .deliver(notice, { email: 'owner@example.com' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect((err as Error).message).toMatch(/mail\.test resolves to 127\.0\.0\.1/);
    expect(connections).toBe(0);
  });

  it('the mail goes to the answer that was checked (here allowed: development)', async () => {
    dns.answers.set('mail.test', [['127.0.0.1']]);
    await mailer(`smtp://mail.test:${smtpPort}`, DEVELOPMENT_OUTBOUND).deliver(notice, { email: 'owner@example.com' });
    expect(connections).toBe(1);
    expect(mail.join('')).toContain('Please reconnect your bank account');
    expect(dns.lookups).toEqual(['mail.test']);
  });

  it('over TLS the server is asked for the host name (SNI), not the address connected to', async () => {
    const names: string[] = [];
    const secure = new SMTPServer({
      secure: true,
      authOptional: true,
      SNICallback(servername, done) {
        names.push(servername);
        done(new Error('no certificate here'), undefined);
      },
    });
    secure.on('error', () => undefined); // the refused handshake, reported by the server too
    await new Promise<void>((r) => secure.listen(0, '127.0.0.1', () => r()));
    try {
      dns.answers.set('mail.test', [['127.0.0.1']]);
      const port = (secure.server.address() as AddressInfo).port;
      const err = await mailer(`smtps://mail.test:${port}`, DEVELOPMENT_OUTBOUND)
        .deliver(notice, { email: 'owner@example.com' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Error);
      expect(names).toEqual(['mail.test']);
    } finally {
      await new Promise<void>((r) => secure.close(() => r()));
    }
  });
});
