/**
 * `npm run demo`: drives one account through a whole lifecycle against a running `npm start` (with the
 * Mono simulator, i.e. MONO_SECRET_KEY unset): connected → sync fails → an operator retries → Mono says
 * re-auth is required → the owner re-authorises → fresh data → synced. Watch it in the Temporal UI. The owner
 * registers a phone number first, so the re-auth link also goes out by SMS and WhatsApp, to the simulator's fake
 * Africa's Talking and WhatsApp Cloud API (in development with NOTIFY_CHANNELS unset, or with it naming sms and
 * whatsapp); the owner then replies STOP, and the "connected again" message is not sent to the number.
 */
import { randomBytes } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { codecKeysFor, loadConfig } from '../src/config.js';
import { dataConverterFor } from '../src/temporal/data-converter.js';
import { connectionOptions } from '../src/temporal/connection.js';
import { retrySyncUpdate, stateQuery, workflowIdFor } from '../src/workflows/account-lifecycle/api/messages.js';
import type { AccountState } from '../src/workflows/account-lifecycle/model/types.js';
import { maskPhone } from '../src/lib/phone.js';
import type { SimMessage } from '../src/mono-sim/simulator.js';

const config = loadConfig();
const simUrl = process.env.MONO_SIM_URL ?? `http://127.0.0.1:${config.monoSimPort}`;
const stepPause = Number(process.env.DEMO_PAUSE_MS ?? 1500);
const accountId = randomBytes(12).toString('hex');
// A fresh Nigerian mobile number each run: opt-outs are durable, and this run's owner replies STOP.
const phone = `+234803${String(randomBytes(4).readUInt32BE() % 10_000_000).padStart(7, '0')}`;
const serviceUrl = `http://127.0.0.1:${config.port}`;
const workflowId = workflowIdFor(accountId);
const uiUrl = `http://localhost:${config.temporal.uiPort}/namespaces/${config.temporal.namespace}/workflows/${workflowId}`;

const say = (message: string): void => console.log(message);
const pause = (): Promise<void> => new Promise((r) => setTimeout(r, stepPause));

async function simulator(path: string, method: 'PUT' | 'POST', body: unknown): Promise<void> {
  const res = await fetch(`${simUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`the simulator answered ${res.status} to ${method} ${path}: ${await res.text()}`);
}

/** Waits for the simulator's fake providers to receive an SMS and a WhatsApp message for the demo's number. */
async function phoneMessages(): Promise<SimMessage[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${simUrl}/_sim/messages`);
    const { messages } = (await res.json()) as { messages: SimMessage[] };
    const mine = messages.filter((m) => m.to === phone);
    if (['sms', 'whatsapp'].every((c) => mine.some((m) => m.channel === c)) || Date.now() > deadline) return mine;
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function registerPhone(): Promise<void> {
  const res = await fetch(`${serviceUrl}/accounts/${accountId}/contact`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${config.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ phone, whatsApp: true, timeZone: 'Africa/Lagos' }),
  });
  if (res.status !== 202) throw new Error(`the service answered ${res.status} to the contact: ${await res.text()}`);
}

async function showPhoneMessages(): Promise<void> {
  const mine = await phoneMessages();
  for (const m of mine) {
    if (m.channel === 'sms') say(`   ✓ SMS to ${maskPhone(m.to)} (${m.segments} segment, ${m.encoding}): ${m.text}`);
    else say(`   ✓ WhatsApp template ${m.template} (${m.language}) to ${maskPhone(m.to)}: ${m.parameters?.join(' ')}`);
  }
  if (mine.length === 0)
    say('   (no SMS or WhatsApp: the service runs with NOTIFY_CHANNELS set without sms and whatsapp)');
}

async function main(): Promise<void> {
  try {
    await fetch(`${simUrl}/_sim/calls`);
  } catch {
    throw new Error(
      `no Mono simulator at ${simUrl}: start the service with \`npm start\` (MONO_SECRET_KEY unset) first`
    );
  }
  const connection = await Connection.connect(connectionOptions(config.temporal.target));
  const client = new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: dataConverterFor(codecKeysFor(config.temporal)),
  });
  const handle = client.workflow.getHandle(workflowId);
  const waitFor = async (state: AccountState): Promise<void> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const view = await handle.query(stateQuery).catch(() => undefined);
      if (view?.state === state) {
        say(`   ✓ ${state}${view.institution ? ` (institution: ${view.institution})` : ''}`);
        return;
      }
      if (Date.now() > deadline)
        throw new Error(`the account did not reach ${state} within 30 s (now ${view?.state ?? 'unknown'})`);
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  const webhook = (event: string, extra: Record<string, unknown> = {}) =>
    simulator('/_sim/webhooks', 'POST', { event, accountId, ...extra });

  say(`Demo account ${accountId}`);
  say(`Watch it in the Temporal UI: ${uiUrl}\n`);
  await simulator(`/_sim/accounts/${accountId}`, 'PUT', { institution: 'GTBank', sync: ['reauth_required'] });
  say(`0. The owner's app registers a phone number, ${maskPhone(phone)}, and WhatsApp consent`);
  await registerPhone();

  say('1. Mono: account_connected');
  await webhook('account_connected');
  await waitFor('connected');
  await pause();

  say('2. Mono: sync_failed (the nightly refresh failed)');
  await webhook('sync_failed');
  await waitFor('sync_failed');
  await pause();

  say('3. Operator: retrySync now instead of waiting for the backoff (Mono answers REAUTHORISATION_REQUIRED)');
  await handle.executeUpdate(retrySyncUpdate, { args: [{ reason: 'demo' }] });
  await waitFor('reauth_required');
  say("   The owner is told by SMS and WhatsApp (the simulator's fake providers):");
  await showPhoneMessages();
  await pause();

  say('3b. The owner replies STOP by SMS: no more SMS or WhatsApp to this number');
  await simulator('/_sim/sms/inbound', 'POST', { from: phone, text: 'STOP' });
  await pause();

  say('4. Mono: account_reauthorized (the owner re-authorised in the Connect widget)');
  await webhook('account_reauthorized');
  await waitFor('reauthorised');
  await pause();

  say('5. Mono: account_updated with fresh data');
  await webhook('account_updated', { dataStatus: 'AVAILABLE' });
  await waitFor('synced');

  const view = await handle.query(stateQuery);
  say('\nHistory:');
  for (const t of view.history) say(`   ${t.at}  ${t.from ?? '(new)'} → ${t.to}  [${t.cause}]`);
  say(`\nDone. ${uiUrl}`);
  await connection.close();
}

main().catch((err: unknown) => {
  console.error(`demo failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
