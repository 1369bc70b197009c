/**
 * Webhook secrets: every configured secret signs, so `webhook-signature` carries one `v1,<sig>` per secret and a
 * receiver verifying with the old or the new secret accepts the message (rotation without a gap); operator notices
 * are signed with the operators' own secrets, never with the customer's. Verified with the `standardwebhooks`
 * package, as a receiver would.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Notifier, PermanentDeliveryError, type NotifierConfig } from '../../src/activities/notify/notifier.js';
import { createLogger } from '../../src/lib/logger.js';
import { DEVELOPMENT_OUTBOUND } from '../../src/lib/outbound.js';
import { createReauthLinks } from '../../src/lib/reauth-link.js';
import type { Notice } from '../../src/workflows/account-lifecycle/model/types.js';

const whsec = (fill: string) => `whsec_${Buffer.alloc(32, fill).toString('base64')}`;
const OLD = whsec('o');
const NEW = whsec('n');
const OPERATORS_OLD = whsec('p');
const OPERATORS_NEW = whsec('q');
const links = createReauthLinks({ baseUrl: 'http://reauth.test', secrets: ['k'.repeat(40)], ttlMs: 60_000 });
const at = new Date().toISOString();
const ownerNotice: Notice = {
  id: 'msg_sig_1',
  type: 'account.reauth_required',
  audience: 'owner',
  at,
  data: { accountId: 'acc1' },
};
const operatorNotice: Notice = {
  id: 'msg_sig_2',
  type: 'account.escalated',
  audience: 'operators',
  at,
  data: { accountId: 'acc1', state: 'reauth_required', reason: 'no re-auth' },
};

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}
let server: Server;
let url: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
beforeEach(() => {
  received.length = 0;
});

const notifier = (config: Partial<NotifierConfig>) =>
  new Notifier(
    { channels: ['webhook'], webhookUrl: url, outbound: DEVELOPMENT_OUTBOUND, ...config },
    links,
    createLogger('silent')
  );

/** Whether a receiver holding `secret` accepts `message`. */
function accepts(secret: string, message: Received): boolean {
  const headers = Object.fromEntries(Object.entries(message.headers).map(([k, v]) => [k, String(v)]));
  try {
    new Webhook(secret).verify(message.body, headers);
    return true;
  } catch {
    return false;
  }
}

describe('several secrets per receiver', () => {
  it('every secret signs: a receiver with the new or the old secret accepts, one with another does not', async () => {
    await notifier({ webhookSecret: `${NEW},${OLD}` }).deliverOn('webhook', ownerNotice);
    const [message] = received;
    expect(String(message!.headers['webhook-signature'])).toMatch(/^v1,\S+ v1,\S+$/);
    expect(accepts(NEW, message!)).toBe(true);
    expect(accepts(OLD, message!)).toBe(true);
    expect(accepts(OPERATORS_OLD, message!)).toBe(false);
  });

  it('one secret gives one signature', async () => {
    await notifier({ webhookSecret: NEW }).deliverOn('webhook', ownerNotice);
    expect(String(received[0]!.headers['webhook-signature'])).toMatch(/^v1,\S+$/);
    expect(accepts(NEW, received[0]!)).toBe(true);
  });
});

describe("operator notices carry the operators' signatures", () => {
  it("are signed with OPERATOR_WEBHOOK_SECRET's secrets and not with the customer's", async () => {
    await notifier({
      channels: ['log'],
      webhookUrl: undefined,
      webhookSecret: NEW,
      operatorWebhookUrl: url,
      operatorWebhookSecret: `${OPERATORS_NEW}, ${OPERATORS_OLD}`,
    }).deliverOn('operator_webhook', operatorNotice);
    const [message] = received;
    expect(accepts(OPERATORS_NEW, message!)).toBe(true);
    expect(accepts(OPERATORS_OLD, message!)).toBe(true);
    expect(accepts(NEW, message!)).toBe(false);
  });

  it('without an operator secret, nothing is sent and the failure says what to set', async () => {
    const err = await notifier({ webhookSecret: NEW, operatorWebhookUrl: url })
      .deliverOn('operator_webhook', operatorNotice)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect((err as Error).message).toMatch(/OPERATOR_WEBHOOK_SECRET is not set/);
    expect(received).toHaveLength(0);
  });
});
