/**
 * The Mono sandbox simulator: a real HTTP server speaking the Mono endpoints this service uses, with Mono's
 * documented shapes, codes and errors (docs/mono-events.md), per-account scenarios, a call log, the
 * 2-minutes-per-account manual sync limit, and a control API that sends Mono-style webhooks to a target.
 * `npm start` runs it when MONO_SECRET_KEY is unset; `npm run mono-sim` runs it alone; the tests use it.
 *
 * The parts: accounts.ts (scenarios and state on Mono's side), answers.ts (Mono's bodies), mono-api.ts (the
 * Mono endpoints), control-api.ts (`/_sim`), webhooks.ts (the webhook sender), traffic.ts (call log, rate),
 * phone-providers.ts (fake Africa's Talking and WhatsApp Cloud API, for the service's sms and whatsapp channels).
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import {
  ChangeRequest,
  ScenarioSchema,
  SimAccounts,
  type Scenario,
  type SimAccountState,
  type SimChangeRequest,
  type SimWebhook,
} from './accounts.js';
import { controlApi } from './control-api.js';
import { monoApi } from './mono-api.js';
import { SIM_PHONE_CREDENTIALS, type SimPhoneCredentials } from './phone-credentials.js';
import { PhoneProviders, type SimMessage } from './phone-providers.js';
import { SimTraffic, type SimRate, type SimulatorCall } from './traffic.js';
import { WebhookSender, type WebhookTarget } from './webhooks.js';

export {
  SIM_CHANGES,
  SYNC_BEHAVIOURS,
  SYNC_INTERVAL_MS,
  type Scenario,
  type SimAccountState,
  type SimChange,
  type SimChangeRequest,
  type SimWebhook,
  type SyncBehaviour,
} from './accounts.js';
export type { SimRate, SimulatorCall } from './traffic.js';
export type { SimMessage } from './phone-providers.js';
export { monoWebhookBody } from './webhooks.js';

export const SIMULATOR_SECRET_KEY = 'test_sk_mono_reauth_simulator';

export interface SimulatorOptions {
  secretKey?: string;
  /** Where simulated webhooks go, and the secret they carry. */
  webhookTarget?: WebhookTarget;
  /** After a successful manual sync, send `account_updated` (as Mono does). Default true. */
  emitAccountUpdatedAfterSync?: boolean;
  /** Enforce Mono's one-sync-per-2-minutes limit (429). Off for time-skipping tests, whose clock is not ours. */
  enforceSyncInterval?: boolean;
  now?: () => number;
  /** The credentials its fake SMS and WhatsApp providers accept; the public development ones by default. */
  phoneCredentials?: SimPhoneCredentials;
  /** Where the simulator writes its log lines (the messages its fake providers receive); none by default. */
  log?: (line: string) => void;
}

export interface MonoSimulator {
  url: string;
  secretKey: string;
  calls: SimulatorCall[];
  /** The SMS and WhatsApp messages its fake providers received. */
  messages: SimMessage[];
  setScenario(accountId: string, scenario: Scenario): void;
  sendWebhook(event: SimWebhook): Promise<number>;
  /** Changes the account on Mono's side; with `webhook: false` the webhook is lost on purpose. */
  change(accountId: string, request: SimChangeRequest): Promise<SimAccountState>;
  accountState(accountId: string): SimAccountState;
  /** Mono API requests per second since the start (or the last `resetRate`). */
  rate(): SimRate;
  resetRate(): void;
  close(): Promise<void>;
}

export async function startMonoSimulator(
  port = 0,
  host = '127.0.0.1',
  options: SimulatorOptions = {}
): Promise<MonoSimulator> {
  const secretKey = options.secretKey ?? SIMULATOR_SECRET_KEY;
  const now = options.now ?? Date.now;
  const accounts = new SimAccounts(options.enforceSyncInterval ?? true);
  const traffic = new SimTraffic(now);
  const webhooks = new WebhookSender(options.webhookTarget, (id) => accounts.scenario(id)?.institution);
  const change = async (accountId: string, request: SimChangeRequest): Promise<SimAccountState> => {
    const parsed = ChangeRequest.parse(request);
    const event = accounts.change(accountId, parsed);
    if (parsed.webhook && webhooks.hasTarget) await webhooks.send(event);
    return { ...accounts.state(accountId) };
  };

  const phones = new PhoneProviders({
    credentials: options.phoneCredentials ?? SIM_PHONE_CREDENTIALS,
    ...(options.webhookTarget && { serviceUrl: new URL(options.webhookTarget.url).origin }),
    log: options.log ?? (() => undefined),
    now,
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(controlApi({ accounts, traffic, webhooks, change }));
  app.use(phones.router());
  const emitAccountUpdatedAfterSync = options.emitAccountUpdatedAfterSync !== false;
  app.use(monoApi({ accounts, traffic, webhooks, secretKey, now, emitAccountUpdatedAfterSync }));
  const server = await listen(app, port, host);
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${(server.address() as AddressInfo).port}`,
    secretKey,
    calls: traffic.calls,
    messages: phones.messages,
    setScenario: (accountId, scenario) => accounts.setScenario(accountId, ScenarioSchema.parse(scenario)),
    sendWebhook: (event) => webhooks.send(event),
    change,
    accountState: (accountId) => ({ ...accounts.state(accountId) }),
    rate: () => traffic.rate(),
    resetRate: () => traffic.resetRate(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

// Express 5 calls the listen callback with the error too (a port in use), so it must look at it.
function listen(app: express.Express, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host, (err?: Error) => {
      if (!err) return resolve(server);
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') return reject(err);
      reject(
        new Error(
          `the Mono simulator's port ${port} on ${host} is already in use: stop what uses it or set MONO_SIM_PORT`
        )
      );
    });
  });
}
