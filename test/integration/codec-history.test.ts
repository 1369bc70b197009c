/**
 * What Temporal stores, read raw from the dev server (not through the codec): with the payload codec and the
 * encoding failure converter, no email address, SMTP error text or notice appears in plaintext; the same
 * check finds all of them when the codec is off (positive control). Key rotation on real parts: a history
 * written under the old key still decodes (query replayed by a fresh worker) after a new key is put first.
 * The service runs as `startService` wires it, with a client and worker carrying `dataConverterFor(keys)`,
 * a real SMTP server that refuses the first delivery with a text naming the address, and the Mono simulator.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import proto from '@temporalio/proto';
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundle } from '@temporalio/worker';
import express from 'express';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/lib/logger.js';
import { createMetrics } from '../../src/lib/metrics.js';
import { createCodecRouter } from '../../src/server/codec/routes.js';
import { startService, type RunningService } from '../../src/service.js';
import { AesGcmCodec, generateCodecKeyEntry, parseCodecKeys, type CodecKey } from '../../src/temporal/codec.js';
import { dataConverterFor } from '../../src/temporal/data-converter.js';
import { workflowBundleOptions } from '../../src/worker.js';
import { stateQuery, workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { DEFAULT_SETTINGS, eventually, TEST_ADMIN_TOKEN, workflowBundle } from '../helpers/stack.js';
import { newAccountId, TEST_SECRET, webhookBody } from '../helpers/webhooks.js';
import { testRefusalGuard, tokensFor } from '../helpers/access.js';

const History = proto.temporal.api.history.v1.History;
const address = inject('temporalAddress');
const [OLD_KEY] = parseCodecKeys(generateCodecKeyEntry('k-old'));
const [NEW_KEY] = parseCodecKeys(generateCodecKeyEntry('k-new'));

/** Addresses the SMTP server refuses once (450, with the address in the text), then accepts. */
const refusedOnce = new Set<string>();
const delivered: string[] = [];
let smtp: SMTPServer;
let smtpPort: number;
let codecBundle: WorkflowBundle;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo(rcpt, _session, done) {
      if (!refusedOnce.has(rcpt.address)) {
        refusedOnce.add(rcpt.address);
        const err = Object.assign(new Error(`mailbox ${rcpt.address} is busy, try later`), { responseCode: 450 });
        return done(err);
      }
      done();
    },
    onData(stream, session, done) {
      stream.resume();
      stream.on('end', () => {
        delivered.push(...session.envelope.rcptTo.map((r) => r.address));
        done();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  codecBundle = await bundleWorkflowCode({
    ...workflowBundleOptions(),
    logger: new DefaultLogger('WARN'),
  });
});
afterAll(async () => {
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
});

let queueCounter = 0;
interface Running {
  service: RunningService;
  client: Client;
  connection: Connection;
  stop(): Promise<void>;
}

/** The service as startService wires it, with this data converter on its client and worker (none: plaintext). */
async function startWith(keys: CodecKey[] | undefined, taskQueue?: string): Promise<Running> {
  const dataConverter: DataConverter | undefined = keys ? dataConverterFor(keys) : undefined;
  const connection = await Connection.connect({ address });
  const client = new Client({ connection, namespace: 'default', ...(dataConverter ? { dataConverter } : {}) });
  const base = loadConfig({
    HOST: '127.0.0.1',
    PORT: '0',
    MONO_SIM_PORT: '0',
    TEMPORAL_ADDRESS: address,
    TEMPORAL_TASK_QUEUE: taskQueue ?? `codec-${process.pid}-${(queueCounter += 1)}`,
    MONO_WEBHOOK_SECRET: TEST_SECRET,
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    REAUTH_LINK_SECRET: 'test-link-secret',
    DELIVERY_KEY_SECRET: 'test-delivery-key',
    PUBLIC_BASE_URL: 'http://reauth.test',
    MONO_PUBLIC_KEY: 'test_pk_page',
    WORKER_METRICS_ADDRESS: 'off',
  });
  const service = await startService({
    config: {
      ...base,
      lifecycle: { ...DEFAULT_SETTINGS },
      notify: {
        ...base.notify,
        channels: ['log', 'email'],
        smtpUrl: `smtp://127.0.0.1:${smtpPort}`,
        from: 'reauth@example.com',
      },
    },
    logger: createLogger('silent'),
    metrics: createMetrics(),
    temporal: { client, connection },
    codecKeys: keys ?? null,
    workerOptions: {
      workflowBundle: keys ? codecBundle : await workflowBundle(),
      ...(dataConverter ? { dataConverter } : {}),
      shutdownGraceTime: '1s',
    },
  });
  return {
    service,
    client,
    connection,
    stop: async () => {
      await service.stop();
      await connection.close();
    },
  };
}

const putContact = (running: Running, id: string, body: unknown) =>
  fetch(`${running.service.adminUrl}/accounts/${id}/contact`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
const postWebhook = (running: Running, body: unknown) =>
  fetch(`${running.service.url}/webhooks/mono`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'mono-webhook-secret': TEST_SECRET },
    body: JSON.stringify(body),
  });

/** The account's current run exactly as the server stores it: the protobuf bytes, read as text. */
async function rawHistory(connection: Connection, accountId: string): Promise<{ text: string; events: number }> {
  const events: proto.temporal.api.history.v1.IHistoryEvent[] = [];
  let nextPageToken: Uint8Array | undefined;
  do {
    const page = await connection.workflowService.getWorkflowExecutionHistory({
      namespace: 'default',
      execution: { workflowId: workflowIdFor(accountId) },
      nextPageToken,
    });
    events.push(...(page.history?.events ?? []));
    nextPageToken = page.nextPageToken?.length ? page.nextPageToken : undefined;
  } while (nextPageToken);
  const bytes = Buffer.from(History.encode({ events }).finish());
  // latin1 keeps every byte; the needles are ASCII, so a plaintext copy anywhere in the history is found.
  return { text: bytes.toString('latin1'), events: events.length };
}

/** What must never be readable in storage for this account. */
function piiNeedles(email: string): Record<string, string> {
  return {
    'email address': email,
    'email local part': email.split('@')[0]!,
    // The notifier keeps only SMTP codes in its error (the server's reply quotes the address): the failure's
    // message and stack trace are what remains, and they are encrypted too.
    'SMTP failure message': 'could not send the email',
    'SMTP failure codes': 'EENVELOPE, 450',
    'failure stack trace': 'notify/activities.ts',
    'notice body (type)': 'account.reauth_required',
    'notice body (audience)': '"audience":"owner"',
    'contact time zone': 'Africa/Lagos',
  };
}
const found = (text: string, needles: Record<string, string>): string[] =>
  Object.entries(needles)
    .filter(([, needle]) => text.includes(needle))
    .map(([what]) => what);

/**
 * Registers a contact, sends reauthorisation_required, and waits until the owner's email went out on the
 * second try (the first was refused with the address in the error text).
 */
async function driveThroughReauth(running: Running): Promise<{ id: string; email: string }> {
  const id = newAccountId();
  const email = `owner-${id}@example.com`;
  expect((await putContact(running, id, { email, timeZone: 'Africa/Lagos' })).status).toBe(202);
  expect((await postWebhook(running, webhookBody(id, { kind: 'reauthorisation_required' }))).status).toBe(200);
  // The workflow retries the channel about 5 s later (the Standard Webhooks schedule).
  await eventually(
    () => Promise.resolve(delivered.filter((a) => a === email).length),
    (n) => n === 1,
    45_000
  );
  await eventually(
    () => running.client.workflow.getHandle(workflowIdFor(id)).query(stateQuery),
    (v) => v.state === 'reauth_required' && v.pendingNotices === 0,
    20_000
  );
  return { id, email };
}

describe('raw history on the server', () => {
  it('holds no email, SMTP error text or notice in plaintext with the codec; the same check finds them without', async () => {
    const plain = await startWith(undefined);
    let withoutCodec: { text: string; id: string; email: string };
    try {
      const { id, email } = await driveThroughReauth(plain);
      withoutCodec = { ...(await rawHistory(plain.connection, id)), id, email };
    } finally {
      await plain.stop();
    }
    // Positive control: every needle is there in plaintext when the codec is off.
    expect(found(withoutCodec.text, piiNeedles(withoutCodec.email))).toEqual(Object.keys(piiNeedles('x@y')));
    // (The SMTP server's refusal quotes the address; the notifier keeps it out of the failure even without the codec.)
    expect(withoutCodec.text).not.toContain('is busy, try later');

    const encrypted = await startWith([OLD_KEY!]);
    try {
      const { id, email } = await driveThroughReauth(encrypted);
      const raw = await rawHistory(encrypted.connection, id);
      expect(found(raw.text, piiNeedles(email))).toEqual([]);
      // It is encrypted, not missing: the payloads name the codec and the key, the failure its placeholder.
      expect(raw.text).toContain('binary/encrypted');
      expect(raw.text).toContain('k-old');
      expect(raw.text).toContain('Encoded failure');
      // Operators still see everything through the codec: the client decodes the contact signal's input...
      const history = await encrypted.client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
      const signal = history.events!.find(
        (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'setContact'
      );
      const [decoded] = await new AesGcmCodec([OLD_KEY!]).decode(
        signal!.workflowExecutionSignaledEventAttributes!.input!.payloads!
      );
      expect(JSON.parse(Buffer.from(decoded!.data!).toString('utf8'))).toEqual({ email, timeZone: 'Africa/Lagos' });
      // ...and the SMTP failure, decoded by the failure converter, names what went wrong.
      const failed = history.events!.find((e) => e.activityTaskFailedEventAttributes?.failure);
      const failure = failed!.activityTaskFailedEventAttributes!.failure!;
      expect(failure.message).toBe('Encoded failure');
      const [attrs] = await new AesGcmCodec([OLD_KEY!]).decode([failure.encodedAttributes!]);
      expect(JSON.parse(Buffer.from(attrs!.data!).toString('utf8'))).toMatchObject({
        message: expect.stringContaining('could not send the email (EENVELOPE, 450)'),
        stack_trace: expect.stringContaining('notify/activities.ts'),
      });
      // The state query answers through the codec as before (it shows whether an email is set, not which).
      const view = await encrypted.client.workflow.getHandle(workflowIdFor(id)).query(stateQuery);
      expect(view).toMatchObject({ state: 'reauth_required', contact: { email: true, timeZone: 'Africa/Lagos' } });
    } finally {
      await encrypted.stop();
    }
  }, 150_000);
});

describe('key rotation', () => {
  it('decodes histories written under the old key after a new key is put first; new events use the new key', async () => {
    const taskQueue = `codec-rotation-${process.pid}`;
    const before = await startWith([OLD_KEY!], taskQueue);
    let account: { id: string; email: string };
    try {
      account = await driveThroughReauth(before);
    } finally {
      await before.stop();
    }
    const { id, email } = account;
    const after = await startWith([NEW_KEY!, OLD_KEY!], taskQueue);
    try {
      // A fresh worker (no cache) replays the old-key history to answer: it decodes with the old key.
      const view = await eventually(
        () => after.client.workflow.getHandle(workflowIdFor(id)).query(stateQuery),
        (v) => v.state === 'reauth_required',
        30_000
      );
      expect(view.contact).toEqual({ email: true, timeZone: 'Africa/Lagos' });
      // Then life goes on under the new key.
      expect((await postWebhook(after, webhookBody(id, { kind: 'account_reauthorized' }))).status).toBe(200);
      await eventually(
        () => after.client.workflow.getHandle(workflowIdFor(id)).query(stateQuery),
        (v) => v.state === 'reauthorised'
      );
      const raw = await rawHistory(after.connection, id);
      expect(raw.text).toContain('k-old');
      expect(raw.text).toContain('k-new');
      expect(found(raw.text, piiNeedles(email))).toEqual([]);
      // The old payloads need the old key: without it they do not decode (so the check above means something).
      const history = await after.client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
      const input = history.events!.find(
        (e) => e.workflowExecutionSignaledEventAttributes?.signalName === 'setContact'
      )!.workflowExecutionSignaledEventAttributes!.input!.payloads!;
      await expect(new AesGcmCodec([NEW_KEY!]).decode(input)).rejects.toThrow(/key "k-old", which is not among/);
      const [contact] = await new AesGcmCodec([NEW_KEY!, OLD_KEY!]).decode(input);
      expect(JSON.parse(Buffer.from(contact!.data!).toString('utf8'))).toMatchObject({ email });
    } finally {
      await after.stop();
    }
  }, 150_000);
});

describe('temporal CLI through the codec server', () => {
  it('`temporal workflow show --codec-endpoint --codec-auth` prints decoded payloads; without it, ciphertext', async () => {
    const running = await startWith([OLD_KEY!]);
    const app = express().use(
      createCodecRouter({
        codec: new AesGcmCodec([OLD_KEY!]),
        tokens: tokensFor({ operator: [TEST_ADMIN_TOKEN] }),
        guard: testRefusalGuard(),
      })
    );
    const codecServer = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const id = newAccountId();
      const email = `cli-${id}@example.com`;
      expect((await putContact(running, id, { email, timeZone: 'Africa/Lagos' })).status).toBe(202);
      await eventually(
        () => running.client.workflow.getHandle(workflowIdFor(id)).query(stateQuery),
        (v) => v.contact.email
      );
      const endpoint = `http://127.0.0.1:${(codecServer.address() as AddressInfo).port}/codec`;
      // Asynchronously: the codec server answers from this very process.
      const show = async (...extra: string[]) =>
        (
          await promisify(execFile)(
            inject('temporalCliPath'),
            ['workflow', 'show', '--address', address, '-w', workflowIdFor(id), '--output', 'json', ...extra],
            { encoding: 'utf8', timeout: 30_000 }
          )
        ).stdout;
      // The CLI prints payloads as proto JSON (base64): read the output with every base64 string decoded.
      const readable = (out: string) =>
        out +
        [...out.matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)]
          .map((m) => Buffer.from(m[1]!, 'base64').toString('latin1'))
          .join('\n');
      const raw = readable(await show());
      expect(raw).toContain('binary/encrypted');
      expect(raw).not.toContain(email);
      const decoded = readable(await show('--codec-endpoint', endpoint, '--codec-auth', `Bearer ${TEST_ADMIN_TOKEN}`));
      expect(decoded).not.toContain('binary/encrypted');
      expect(decoded).toContain(email);
      // A wrong token: the codec server refuses (401) and the CLI gives up with an error instead of printing.
      await expect(
        show('--codec-endpoint', endpoint, '--codec-auth', 'Bearer wrong', '--command-timeout', '3s')
      ).rejects.toThrow(/Command failed/);
    } finally {
      await new Promise<void>((r) => codecServer.close(() => r()));
      await running.stop();
    }
  }, 60_000);
});
