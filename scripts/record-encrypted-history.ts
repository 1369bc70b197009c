/**
 * Records the release's history of an account with a registered email for the replay test: it goes through
 * reauth_required while the SMTP server refuses the first delivery (so an encoded activity failure is in the
 * history), then recovers. The service runs as startService wires it, with `dataConverterFor(REPLAY_CODEC_KEYS)`
 * on its client and worker and a bundle built with workflowBundleOptions(). Writes
 * test/replay/histories/<version>-encrypted-contact-<run>.json (the CLI's JSON, payloads still encrypted):
 *   npx tsx scripts/record-encrypted-history.ts            # the version in package.json
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, Runtime } from '@temporalio/worker';
import { SMTPServer } from 'smtp-server';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/lib/logger.js';
import { createMetrics } from '../src/lib/metrics.js';
import { startService } from '../src/service.js';
import { resolveBinary } from '../src/temporal/binaries.js';
import { dataConverterFor } from '../src/temporal/data-converter.js';
import { packageVersion } from '../src/deployment/build-id.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { workflowBundleOptions } from '../src/worker.js';
import { stateQuery, workflowIdFor } from '../src/workflows/account-lifecycle/api/messages.js';
import type { AccountView } from '../src/workflows/account-lifecycle/model/types.js';
import { freePort } from '../test/helpers/ports.js';
import { newAccountId, TEST_SECRET, webhookBody, type EventSpec } from '../test/helpers/webhooks.js';
import { ENCRYPTED_MARKER, REPLAY_CODEC_KEYS } from '../test/replay/codec-fixture.js';

const prefix = process.argv[2] ?? packageVersion();
Runtime.install({ logger: new DefaultLogger('ERROR') });
const cli = resolveBinary('cli');
if (cli.source === 'sdk-download') throw new Error('no Temporal CLI; run npm test once to install it');

const refused = new Set<string>();
let delivered = 0;
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  onRcptTo(rcpt, _session, done) {
    if (refused.has(rcpt.address)) return done();
    refused.add(rcpt.address);
    done(Object.assign(new Error(`mailbox ${rcpt.address} is busy, try later`), { responseCode: 450 }));
  },
  onData(stream, _session, done) {
    stream.resume();
    stream.on('end', () => ((delivered += 1), done()));
  },
});
await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
const smtpPort = (smtp.server.address() as AddressInfo).port;

const server = await startDevServer({ cliPath: cli.path, host: '127.0.0.1', port: await freePort() });
const dataConverter = dataConverterFor(REPLAY_CODEC_KEYS);
const connection = await Connection.connect({ address: server.address });
const client = new Client({ connection, namespace: 'default', dataConverter });
const { code } = await bundleWorkflowCode({
  ...workflowBundleOptions(),
  logger: new DefaultLogger('WARN'),
});
const base = loadConfig({
  HOST: '127.0.0.1',
  PORT: '0',
  MONO_SIM_PORT: '0',
  TEMPORAL_ADDRESS: server.address,
  TEMPORAL_TASK_QUEUE: 'record-encrypted',
  MONO_WEBHOOK_SECRET: TEST_SECRET,
  ADMIN_TOKEN: 'record-admin-token',
  REAUTH_LINK_SECRET: 'record-link-secret',
  DELIVERY_KEY_SECRET: 'record-delivery-key',
  PUBLIC_BASE_URL: 'http://reauth.test',
  MONO_PUBLIC_KEY: 'test_pk_page',
  WORKER_METRICS_ADDRESS: 'off',
});
const service = await startService({
  config: {
    ...base,
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
  // The Mono task queue's worker decodes with these keys too.
  codecKeys: REPLAY_CODEC_KEYS,
  workerOptions: { workflowBundle: { code }, dataConverter, shutdownGraceTime: '1s' },
});

async function until(what: string, ok: (v: AccountView) => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const view = await client.workflow
      .getHandle(workflowIdFor(id))
      .query(stateQuery)
      .catch(() => undefined);
    if (view && ok(view)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`timed out waiting for ${what}`);
}
async function send(spec: EventSpec): Promise<void> {
  const res = await fetch(`${service.url}/webhooks/mono`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'mono-webhook-secret': TEST_SECRET },
    body: JSON.stringify(webhookBody(id, spec)),
  });
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}`);
}

const id = newAccountId();
try {
  const contact = await fetch(`${service.adminUrl}/accounts/${id}/contact`, {
    method: 'PUT',
    headers: { authorization: 'Bearer record-admin-token', 'content-type': 'application/json' },
    body: JSON.stringify({ email: `owner-${id}@example.com`, timeZone: 'Africa/Lagos' }),
  });
  if (contact.status !== 202) throw new Error(`contact answered ${contact.status}`);
  await send({ kind: 'account_connected' });
  await send({ kind: 'reauthorisation_required' });
  await until('the re-auth email (second try)', (v) => v.state === 'reauth_required' && v.pendingNotices === 0);
  await send({ kind: 'account_reauthorized' });
  await send({ kind: 'account_updated', dataStatus: 'available' });
  await until('synced and the recovery email', (v) => v.state === 'synced' && v.pendingNotices === 0);
  if (delivered < 2) throw new Error(`expected 2 emails, got ${delivered}`);

  for await (const wf of client.workflow.list({ query: `WorkflowId = '${workflowIdFor(id)}'` })) {
    const json = execFileSync(
      cli.path,
      ['workflow', 'show', '--address', server.address, '-w', wf.workflowId, '-r', wf.runId, '--output', 'json'],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }
    );
    if (json.includes(`owner-${id}`)) throw new Error('the recorded history holds the email address in plaintext');
    const file = new URL(
      `../test/replay/histories/${prefix}${ENCRYPTED_MARKER}contact-${wf.runId.slice(0, 8)}.json`,
      import.meta.url
    );
    writeFileSync(file, json);
    console.error(`recorded ${file.pathname} (${wf.historyLength} events, ${wf.status.name})`);
  }
} finally {
  await service.stop();
  await connection.close();
  await server.stop();
  await new Promise<void>((r) => smtp.close(() => r()));
}
