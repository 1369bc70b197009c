/** Every documented shape of Mono's seven events (docs/mono-events.md), and the refusals. */
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createDeliveryKey, jsonDepth } from '../../src/server/webhooks/delivery-key.js';
import { parseWebhook } from '../../src/server/webhooks/schema.js';
import { createSecretVerifier } from '../../src/server/webhooks/verify.js';
import {
  SEED_ACCOUNT_REAUTHORIZED,
  SEED_ACCOUNT_SYNCED,
  SEED_ACCOUNT_UPDATED,
  SEED_REAUTH_REQUIRED,
  SEED_SYNC_FAILED,
} from '../helpers/webhooks.js';

const ok = (body: unknown) => {
  const parsed = parseWebhook(body);
  if (parsed.kind !== 'event') throw new Error(`expected an event, got ${JSON.stringify(parsed)}`);
  return parsed.event;
};

describe('parseWebhook: the seeds', () => {
  it('reads the four Data Sync payloads and account_updated', () => {
    expect(ok(SEED_REAUTH_REQUIRED)).toEqual({
      kind: 'reauthorisation_required',
      accountId: '5fbcde8f8699984153e65537',
    });
    expect(ok(SEED_ACCOUNT_REAUTHORIZED)).toEqual({
      kind: 'account_reauthorized',
      accountId: '5fbcde8f8699984153e65537',
    });
    expect(ok(SEED_SYNC_FAILED)).toEqual({ kind: 'sync_failed', accountId: '5fbcde8f8699984153e65537' });
    expect(ok(SEED_ACCOUNT_SYNCED)).toEqual({
      kind: 'account_synced',
      accountId: '6176846672402e538139971b',
      updated: true,
    });
    expect(ok(SEED_ACCOUNT_UPDATED)).toEqual({
      kind: 'account_updated',
      accountId: '5f171a5301abca1153',
      dataStatus: 'available',
      institution: 'ALAT by WEMA',
    });
  });
});

describe('parseWebhook: id and status variants', () => {
  it.each([
    ['data.account._id', { account: { _id: 'a1' } }],
    ['data.account.id', { account: { id: 'a1' } }],
    ['data.account as a string', { account: 'a1' }],
    ['data.id', { id: 'a1', customer: 'c1', meta: {} }],
  ])('finds the account id in %s', (_where, data) => {
    expect(ok({ event: 'mono.events.account_unlinked', data }).accountId).toBe('a1');
    expect(ok({ event: 'mono.events.account_connected', data }).accountId).toBe('a1');
  });

  it.each(['AVAILABLE', 'available', 'Partial', 'PROCESSING', 'failed', 'UNAVAILABLE'])(
    'reads data_status %s in any case',
    (status) => {
      const event = ok({
        event: 'mono.events.account_updated',
        data: { meta: { data_status: status }, account: { _id: 'a1' } },
      });
      expect(event.dataStatus).toBe(status.toLowerCase());
    }
  );

  it('reads account_synced with updated false, and without updated', () => {
    expect(ok({ event: 'mono.events.account_synced', data: { account: 'a1', updated: false } }).updated).toBe(false);
    expect(ok({ event: 'mono.events.account_synced', data: { account: 'a1' } })).toEqual({
      kind: 'account_synced',
      accountId: 'a1',
    });
  });

  it('drops PII: nothing but the normalised fields comes out', () => {
    expect(Object.keys(ok(SEED_ACCOUNT_UPDATED)).sort()).toEqual(['accountId', 'dataStatus', 'institution', 'kind']);
  });
});

describe('parseWebhook: refusals', () => {
  it.each([
    ['no event', { data: {} }, /event/],
    ['data not an object', { event: 'mono.events.sync_failed', data: [] }, /data/],
    ['no account id', { event: 'mono.events.sync_failed', data: {} }, /no account id/],
    ['empty account object', { event: 'mono.events.sync_failed', data: { account: {} } }, /data\.account/],
    ['id with spaces', { event: 'mono.events.sync_failed', data: { account: { _id: 'a b' } } }, /data\.account/],
    [
      'unknown data_status',
      { event: 'mono.events.account_updated', data: { meta: { data_status: 'weird' }, account: { _id: 'a' } } },
      /data\.meta\.data_status: must be one of/,
    ],
    ['missing meta', { event: 'mono.events.account_updated', data: { account: { _id: 'a' } } }, /data\.meta/],
    [
      'updated not a boolean',
      { event: 'mono.events.account_synced', data: { account: 'a', updated: 'yes' } },
      /data\.updated/,
    ],
  ])('refuses %s', (_name, body, message) => {
    const parsed = parseWebhook(body);
    expect(parsed.kind).toBe('invalid');
    expect(parsed.kind === 'invalid' && parsed.error).toMatch(message);
  });

  it('ignores unknown events with a valid envelope, including other prefixes', () => {
    expect(parseWebhook({ event: 'mono.events.webhook_test', data: {} })).toEqual({
      kind: 'ignored',
      event: 'mono.events.webhook_test',
    });
    expect(parseWebhook({ event: 'mono.accounts.jobs.update', data: {} }).kind).toBe('ignored');
  });
});

describe('createSecretVerifier', () => {
  const verify = createSecretVerifier(['current', 'previous']);
  it('accepts any configured secret and nothing else', () => {
    expect(verify('current')).toBe(true);
    expect(verify('previous')).toBe(true);
    expect(verify('curren')).toBe(false);
    expect(verify('current ')).toBe(false);
    expect(verify('')).toBe(false);
    expect(verify(undefined)).toBe(false);
  });
  it('refuses to be built without a secret', () => {
    expect(() => createSecretVerifier([])).toThrow();
  });
});

describe('deliveryKey', () => {
  const deliveryKey = createDeliveryKey('server-secret');
  it('is keyed: another secret gives another digest', () => {
    expect(createDeliveryKey('other')('e', 'a1', { x: 1 })).not.toBe(deliveryKey('e', 'a1', { x: 1 }));
  });

  it('measures nesting without recursion', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(jsonDepth(deep)).toBeGreaterThan(32);
    expect(jsonDepth({ a: { b: [1] } })).toBe(3);
    expect(jsonDepth('x')).toBe(0);
  });

  it('ignores key order and whitespace but not values', () => {
    const a = deliveryKey('e', 'a1', { x: 1, y: { b: 2, a: [1, 2] } });
    expect(deliveryKey('e', 'a1', JSON.parse('{ "y": {"a":[1,2], "b":2}, "x":1 }'))).toBe(a);
    expect(deliveryKey('e', 'a1', { x: 2, y: { b: 2, a: [1, 2] } })).not.toBe(a);
    expect(deliveryKey('e', 'a2', { x: 1, y: { b: 2, a: [1, 2] } })).not.toBe(a);
    expect(a).toMatch(/^[A-Za-z0-9_-]{22}$/);
  });

  it('stays the same from release to release (a changed key would let a redelivery through as new)', () => {
    expect(deliveryKey('mono.events.account_synced', '6176846672402e538139971b', SEED_ACCOUNT_SYNCED)).toBe(
      'zysFpGoyQPbTv17-s9f4z4'
    );
    expect(deliveryKey('mono.events.account_updated', '5f171a5301abca1153', SEED_ACCOUNT_UPDATED)).toBe(
      '-Z5VRyzxdR0oCPfY3UGImH'
    );
    const odd = JSON.parse(
      '{"z":[1,"two",null,true,{"b":1.5e300,"a":-0}],"ü":"\\u0000\\"q\\"","é":{},"Z":[],"__proto__":{"x":1},"10":1,"9":2}'
    ) as unknown;
    expect(createDeliveryKey('')('e', 'a1', odd)).toBe('f7uTkY1f5NaNOF0wXK2ESK');
  });

  it('is the HMAC of event, account and the body as JSON with sorted keys, for any JSON body', () => {
    // The definition, written plainly: the digest must never drift from it.
    const canonical = (value: unknown): string => {
      if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
      if (value !== null && typeof value === 'object') {
        const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
          a < b ? -1 : a > b ? 1 : 0
        );
        return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
      }
      return JSON.stringify(value) ?? 'null';
    };
    const expected = (body: unknown): string =>
      createHmac('sha256', 'server-secret')
        .update(`e\na1\n${canonical(body)}`)
        .digest('base64url')
        .slice(0, 22);
    fc.assert(
      fc.property(fc.jsonValue(), (generated) => {
        const body = JSON.parse(JSON.stringify(generated)) as unknown;
        expect(deliveryKey('e', 'a1', body)).toBe(expected(body));
      }),
      { numRuns: 2000 }
    );
  });
});
