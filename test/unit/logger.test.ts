/**
 * The logger's redaction: keys that could carry PII or secrets are censored wherever they appear in a line (its
 * fields at any depth, arrays, child bindings, errors, interpolated objects), and everything else is written as given.
 */
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/lib/logger.js';

const SENSITIVE = [
  'name',
  'accountNumber',
  'account_number',
  'bvn',
  'balance',
  'authorization',
  'secret',
  'token',
  'headers',
  'mono-webhook-secret',
  'mono-sec-key',
];

function capture(): { logger: Logger; lines: () => Array<Record<string, unknown>>; text: () => string } {
  const chunks: string[] = [];
  const logger = createLogger(
    'info',
    new Writable({ write: (chunk: Buffer, _enc, done) => (chunks.push(chunk.toString()), done()) })
  );
  const text = (): string => chunks.join('');
  return {
    logger,
    text,
    lines: () =>
      text()
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

/** `{ a: { a: ... leaf } }`, `depth` levels of nesting above `leaf`. */
function nest(depth: number, leaf: Record<string, unknown>): Record<string, unknown> {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

function dig(value: unknown, depth: number): Record<string, unknown> {
  let v = value as Record<string, unknown>;
  for (let i = 0; i < depth; i++) v = v.a as Record<string, unknown>;
  return v;
}

const secretsOf = (keys: readonly string[]): Record<string, string> =>
  Object.fromEntries(keys.map((key) => [key, `value-of-${key}`]));

describe('log redaction', () => {
  it('censors every sensitive key at the top level and keeps the other fields', () => {
    const { logger, lines, text } = capture();
    logger.info({ ...secretsOf(SENSITIVE), accountId: 'acc1', count: 3, ok: true, none: null }, 'hello');
    const [line] = lines();
    for (const key of SENSITIVE) expect(line![key]).toBe('[redacted]');
    expect(line).toMatchObject({ accountId: 'acc1', count: 3, ok: true, none: null, msg: 'hello' });
    expect(text()).not.toContain('value-of-');
  });

  it.each([1, 2, 3, 4, 5, 6])('censors sensitive keys nested %i levels deep', (depth) => {
    const { logger, lines, text } = capture();
    logger.info({ detail: nest(depth - 1, { ...secretsOf(SENSITIVE), keep: 'kept' }) }, 'nested');
    const leaf = dig(lines()[0]!.detail, depth - 1);
    for (const key of SENSITIVE) expect(leaf[key]).toBe('[redacted]');
    expect(leaf.keep).toBe('kept');
    expect(text()).not.toContain('value-of-');
  });

  it('censors sensitive keys inside arrays, also arrays of arrays', () => {
    const { logger, lines, text } = capture();
    logger.info({ items: [{ name: 'Samuel Olamide', id: 1 }, 'plain', 2, [{ bvn: '9422', ok: true }]] }, 'list');
    expect(lines()[0]!.items).toEqual([{ name: '[redacted]', id: 1 }, 'plain', 2, [{ bvn: '[redacted]', ok: true }]]);
    expect(text()).not.toMatch(/Samuel|9422/);
  });

  it('censors child loggers’ bindings, at the top and nested, and in grandchildren', () => {
    const { logger, lines, text } = capture();
    const child = logger.child({ source: 'x', token: 'tok-1', nested: { deeper: { secret: 'sec-1' } } });
    child.child({ authorization: 'Bearer b-1', level2: 'kept' }).warn({ accountId: 'acc1' }, 'from a grandchild');
    expect(lines()[0]).toMatchObject({
      source: 'x',
      token: '[redacted]',
      nested: { deeper: { secret: '[redacted]' } },
      authorization: '[redacted]',
      level2: 'kept',
      accountId: 'acc1',
      msg: 'from a grandchild',
    });
    expect(text()).not.toMatch(/tok-1|sec-1|b-1/);
  });

  it('censors sensitive fields of a logged error and keeps its type, message and stack', () => {
    const { logger, lines, text } = capture();
    const err = Object.assign(new Error('upstream failed'), {
      status: 503,
      headers: { 'mono-sec-key': 'live_sk_1' },
      response: { body: { account: { accountNumber: '0131883461' } } },
    });
    logger.error({ err }, 'call failed');
    logger.error(err);
    for (const line of lines()) {
      expect(line.err).toMatchObject({
        type: 'Error',
        message: 'upstream failed',
        status: 503,
        headers: '[redacted]',
        response: { body: { account: { accountNumber: '[redacted]' } } },
      });
      expect(String((line.err as { stack: string }).stack)).toContain('upstream failed');
    }
    expect(text()).not.toMatch(/live_sk_1|0131883461/);
  });

  it('censors objects interpolated into the message', () => {
    const { logger, lines } = capture();
    logger.info('got %j', { token: 'tok-2', id: 7 });
    expect(lines()[0]!.msg).toBe('got {"token":"[redacted]","id":7}');
  });

  it('writes everything else as given, and never changes what was logged', () => {
    const { logger, lines } = capture();
    const fields = {
      event: 'account_synced',
      accountId: '6176846672402e538139971b',
      deliveryKey: 'O9Ld9LvcZA9SCu5WcFlcxP',
      counts: { started: 2, failed: 0, list: [1, 'two', null, { three: 3 }] },
      at: new Date('2026-01-02T03:04:05.000Z'),
      deep: nest(8, { value: 'v' }),
    };
    const withSecret = { ...fields, nested: { token: 'tok-3' } };
    const before = JSON.stringify(withSecret);
    logger.info(fields, 'plain');
    logger.info(withSecret, 'with a secret');
    const [plain, censored] = lines();
    expect(plain).toEqual({
      level: 'info',
      time: expect.any(String) as string,
      service: 'mono-reauth',
      ...(JSON.parse(JSON.stringify(fields)) as object),
      msg: 'plain',
    });
    expect(censored).toMatchObject({ nested: { token: '[redacted]' }, counts: fields.counts });
    expect(JSON.stringify(withSecret)).toBe(before);
  });

  it('copes with a cycle without repeating it', () => {
    const { logger, lines } = capture();
    const loop: Record<string, unknown> = { id: 1, secret: 'sec-4' };
    loop.self = loop;
    logger.info({ loop }, 'cycle');
    expect(lines()[0]!.loop).toEqual({ id: 1, secret: '[redacted]', self: '[Circular]' });
  });
});
