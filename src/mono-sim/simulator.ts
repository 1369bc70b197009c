/**
 * The Mono sandbox simulator: a real HTTP server speaking the Mono endpoints this service uses, with Mono's
 * documented shapes, codes and errors (docs/mono-events.md), per-account scenarios, a call log, the
 * 2-minutes-per-account manual sync limit, and a control API that sends Mono-style webhooks to a target.
 * `npm start` runs it when MONO_SECRET_KEY is unset; `npm run mono-sim` runs it alone; the tests use it.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Request } from 'express';
import { z } from 'zod';
import { MONO_EVENT_KINDS } from '../workflows/account-lifecycle/types.js';

export const SIMULATOR_SECRET_KEY = 'test_sk_mono_reauth_simulator';
export const SYNC_INTERVAL_MS = 2 * 60_000;

/** What the simulated manual sync does, consumed in order per account; the last one repeats. */
export const SYNC_BEHAVIOURS = [
  'success',
  'success_legacy_spelling',
  'reauth_required',
  'sync_error',
  'incomplete_statement',
  'rate_limited',
  'server_error',
  'malformed',
  'not_found',
  'slow',
] as const;
export type SyncBehaviour = (typeof SYNC_BEHAVIOURS)[number];

const ScenarioSchema = z.object({
  sync: z.array(z.enum(SYNC_BEHAVIOURS)).min(1).optional(),
  institution: z.string().min(1).max(100).optional(),
  /** Delay of the `slow` behaviour and of every call when set. */
  delayMs: z.number().int().min(0).max(120_000).optional(),
  /** Retry-After seconds of the `rate_limited` behaviour. */
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
});
export type Scenario = z.infer<typeof ScenarioSchema>;

/**
 * What is true of an account on Mono's side. The API answers from it (details' data status, 404 once
 * unlinked, a manual sync's answer when no `sync` scenario is set); `change` moves it, with or without the
 * webhook Mono would send — a lost webhook on purpose.
 */
export interface SimAccountState {
  linked: boolean;
  dataStatus: string;
  needsReauth: boolean;
}

export const SIM_CHANGES = ['reauthorise', 'require_reauth', 'unlink', 'data_status'] as const;
export type SimChange = (typeof SIM_CHANGES)[number];

const ChangeRequest = z.object({
  change: z.enum(SIM_CHANGES),
  /** For `data_status`: e.g. AVAILABLE, FAILED, UNAVAILABLE. */
  dataStatus: z.string().min(1).max(20).optional(),
  /** Send the webhook Mono would send for the change (default true); false loses it on purpose. */
  webhook: z.boolean().default(true),
});
export type SimChangeRequest = z.input<typeof ChangeRequest>;

/** Requests to the Mono API (not the control API) per wall-clock second. */
export interface SimRate {
  total: number;
  maxPerSecond: number;
  seconds: number;
  /** [epoch second, requests] for every second with at least one request. */
  perSecond: Array<[number, number]>;
}

export interface SimulatorCall {
  at: string;
  method: string;
  path: string;
  accountId: string | null;
  status: number;
  code?: string;
}

export interface SimulatorOptions {
  secretKey?: string;
  /** Where simulated webhooks go, and the secret they carry. */
  webhookTarget?: { url: string; secret: string };
  /** After a successful manual sync, send `account_updated` (as Mono does). Default true. */
  emitAccountUpdatedAfterSync?: boolean;
  /** Enforce Mono's one-sync-per-2-minutes limit (429). Off for time-skipping tests, whose clock is not ours. */
  enforceSyncInterval?: boolean;
  now?: () => number;
}

export interface MonoSimulator {
  url: string;
  secretKey: string;
  calls: SimulatorCall[];
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

const WebhookRequest = z.object({
  event: z.enum(MONO_EVENT_KINDS),
  accountId: z.string().min(1),
  dataStatus: z.string().optional(),
  updated: z.boolean().optional(),
});
export type SimWebhook = z.infer<typeof WebhookRequest>;

/** The body Mono sends for each event, in its documented shape (docs/mono-events.md). */
export function monoWebhookBody(w: SimWebhook, institution = 'GTBank'): unknown {
  const event = `mono.events.${w.event}`;
  switch (w.event) {
    case 'account_connected':
      return { event, data: { id: w.accountId, customer: 'sim_customer', meta: {} } };
    case 'account_updated':
      return {
        event,
        data: {
          meta: {
            data_status: (w.dataStatus ?? 'AVAILABLE').toUpperCase(),
            auth_method: 'internet_banking',
            retrieved_data: ['balance', 'transactions'],
          },
          account: { ...fakeAccountV1(w.accountId, institution) },
        },
      };
    case 'account_synced':
      return { event, data: { account: w.accountId, updated: w.updated ?? true } };
    case 'account_unlinked':
      return { event, data: { account: { id: w.accountId } } };
    default:
      return { event, data: { account: { _id: w.accountId } } };
  }
}

/** A realistic account object, PII included on purpose: the service must drop it. */
function fakeAccountV1(accountId: string, institution: string) {
  return {
    _id: accountId,
    name: 'Ada Simulated',
    accountNumber: '0123456789',
    currency: 'NGN',
    balance: 1_234_500,
    type: 'SAVINGS',
    bvn: '1234',
    authMethod: 'internet_banking',
    institution: { name: institution, bankCode: '058', type: 'PERSONAL_BANKING' },
  };
}

export async function startMonoSimulator(
  port = 0,
  host = '127.0.0.1',
  options: SimulatorOptions = {}
): Promise<MonoSimulator> {
  const secretKey = options.secretKey ?? SIMULATOR_SECRET_KEY;
  const now = options.now ?? Date.now;
  const enforceInterval = options.enforceSyncInterval ?? true;
  const scenarios = new Map<string, Scenario>();
  const states = new Map<string, SimAccountState>();
  const stateOf = (id: string): SimAccountState => {
    let state = states.get(id);
    if (!state) states.set(id, (state = { linked: true, dataStatus: 'AVAILABLE', needsReauth: false }));
    return state;
  };
  const perSecond = new Map<number, number>();
  const rate = (): SimRate => {
    const entries = [...perSecond.entries()].sort((a, b) => a[0] - b[0]);
    return {
      total: entries.reduce((sum, [, n]) => sum + n, 0),
      maxPerSecond: entries.reduce((max, [, n]) => Math.max(max, n), 0),
      seconds: entries.length,
      perSecond: entries,
    };
  };
  const lastSync = new Map<string, number>();
  const calls: SimulatorCall[] = [];
  const app = express();
  app.disable('x-powered-by');

  const sendWebhook = async (w: SimWebhook): Promise<number> => {
    const target = options.webhookTarget;
    if (!target) throw new Error('the simulator has no webhook target; start it with one');
    const res = await fetch(target.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'mono-webhook-secret': target.secret },
      body: JSON.stringify(monoWebhookBody(w, scenarios.get(w.accountId)?.institution)),
    });
    await res.arrayBuffer();
    return res.status;
  };

  const record = (req: Request, status: number, code?: string): void => {
    const accountId = typeof req.params.id === 'string' ? req.params.id : null;
    calls.push({
      at: new Date(now()).toISOString(),
      method: req.method,
      path: req.path,
      accountId,
      status,
      ...(code ? { code } : {}),
    });
    if (calls.length > 10_000) calls.splice(0, calls.length - 10_000);
  };

  const change = async (id: string, request: SimChangeRequest): Promise<SimAccountState> => {
    const { change: what, dataStatus, webhook } = ChangeRequest.parse(request);
    const state = stateOf(id);
    let event: SimWebhook | null = null;
    switch (what) {
      case 'reauthorise':
        state.needsReauth = false;
        state.dataStatus = 'AVAILABLE';
        event = { event: 'account_reauthorized', accountId: id };
        break;
      case 'require_reauth':
        state.needsReauth = true;
        event = { event: 'reauthorisation_required', accountId: id };
        break;
      case 'unlink':
        state.linked = false;
        event = { event: 'account_unlinked', accountId: id };
        break;
      case 'data_status':
        state.dataStatus = (dataStatus ?? 'AVAILABLE').toUpperCase();
        event = { event: 'account_updated', accountId: id, dataStatus: state.dataStatus };
        break;
    }
    if (webhook && event && options.webhookTarget) await sendWebhook(event);
    return { ...state };
  };

  // --- control API (not part of Mono) ---
  app.use('/_sim', express.json());
  app.post('/_sim/accounts/:id/change', async (req, res) => {
    const parsed = ChangeRequest.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      return;
    }
    try {
      res.json({ accountId: req.params.id, state: await change(req.params.id, parsed.data) });
    } catch (err) {
      res.status(502).json({ error: `changed, but the webhook was not delivered: ${(err as Error).message}` });
    }
  });
  app.get('/_sim/rate', (_req, res) => {
    res.json(rate());
  });
  app.delete('/_sim/rate', (_req, res) => {
    perSecond.clear();
    res.status(204).end();
  });
  app.put('/_sim/accounts/:id', (req, res) => {
    const parsed = ScenarioSchema.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      return;
    }
    scenarios.set(req.params.id, parsed.data);
    res.json({ accountId: req.params.id, scenario: parsed.data });
  });
  app.get('/_sim/calls', (_req, res) => {
    res.json({ calls });
  });
  app.delete('/_sim/calls', (_req, res) => {
    calls.length = 0;
    res.status(204).end();
  });
  app.post('/_sim/webhooks', async (req, res) => {
    const parsed = WebhookRequest.safeParse(req.body);
    if (!parsed.success) {
      res.status(400).json({ error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
      return;
    }
    try {
      res.json({ delivered: true, targetStatus: await sendWebhook(parsed.data) });
    } catch (err) {
      res.status(502).json({ error: `could not deliver the webhook: ${(err as Error).message}` });
    }
  });

  // --- Mono API ---
  app.use((req, res, next) => {
    if (req.get('mono-sec-key') === secretKey) return next();
    calls.push({ at: new Date(now()).toISOString(), method: req.method, path: req.path, accountId: null, status: 401 });
    res.status(401).json({ status: 'failed', message: 'Invalid secret key provided' });
  });
  app.use((_req, _res, next) => {
    const second = Math.floor(now() / 1000);
    perSecond.set(second, (perSecond.get(second) ?? 0) + 1);
    next();
  });
  // An account unlinked on Mono's side is unknown to every endpoint.
  app.use('/', (req, res, next) => {
    const id = /\/accounts\/([^/]+)/.exec(req.path)?.[1];
    if (!id || stateOf(decodeURIComponent(id)).linked) return next();
    calls.push({
      at: new Date(now()).toISOString(),
      method: req.method,
      path: req.path,
      accountId: decodeURIComponent(id),
      status: 404,
    });
    res.status(404).json({ status: 'failed', message: 'Account not found' });
  });
  app.use(async (req, _res, next) => {
    const id = /\/accounts\/([^/]+)/.exec(req.path)?.[1];
    const delay = id ? scenarios.get(decodeURIComponent(id))?.delayMs : undefined;
    if (delay) await new Promise((r) => setTimeout(r, delay));
    next();
  });

  app.post('/accounts/:id/sync', async (req, res) => {
    const id = req.params.id;
    const scenario = scenarios.get(id) ?? {};
    const queue = scenario.sync ?? [stateOf(id).needsReauth ? 'reauth_required' : 'success'];
    const behaviour = queue.length > 1 ? queue.shift()! : queue[0]!;
    const last = lastSync.get(id);
    if (enforceInterval && last !== undefined && now() - last < SYNC_INTERVAL_MS && behaviour !== 'rate_limited') {
      const wait = Math.ceil((SYNC_INTERVAL_MS - (now() - last)) / 1000);
      record(req, 429, 'TOO_MANY_REQUESTS');
      res
        .status(429)
        .set('Retry-After', String(wait))
        .json({ status: 'failed', message: 'Only one manual sync per account every 2 minutes' });
      return;
    }
    lastSync.set(id, now());
    const respond = (status: number, body: unknown, code?: string): void => {
      record(req, status, code);
      res.status(status).json(body);
    };
    if (behaviour === 'success' || behaviour === 'slow' || behaviour === 'success_legacy_spelling') {
      stateOf(id).dataStatus = 'AVAILABLE';
    }
    switch (behaviour) {
      case 'success':
      case 'slow':
        if (behaviour === 'slow') await new Promise((r) => setTimeout(r, scenario.delayMs ?? 5_000));
        respond(
          200,
          { status: 'successful', hasNewData: true, code: 'SYNC_SUCCESSFUL', message: null },
          'SYNC_SUCCESSFUL'
        );
        if (options.emitAccountUpdatedAfterSync !== false && options.webhookTarget) {
          setTimeout(
            () =>
              void sendWebhook({ event: 'account_updated', accountId: id, dataStatus: 'AVAILABLE' }).catch(
                () => undefined
              ),
            50
          );
        }
        return;
      case 'success_legacy_spelling':
        respond(
          200,
          { status: 'successful', hasNewData: false, code: 'SYNCED_SUCCESSFULLY', message: null },
          'SYNCED_SUCCESSFULLY'
        );
        return;
      case 'reauth_required':
        respond(
          200,
          {
            status: 'failed',
            hasNewData: false,
            code: 'REAUTHORISATION_REQUIRED',
            message: 'Account requires reauthorisation',
          },
          'REAUTHORISATION_REQUIRED'
        );
        return;
      case 'sync_error':
        respond(
          200,
          { status: 'failed', code: 'SYNC_ERROR', message: 'Data sync failed, please try again later' },
          'SYNC_ERROR'
        );
        return;
      case 'incomplete_statement':
        respond(
          200,
          { status: 'failed', code: 'INCOMPLETE_STATEMENT_ERROR', message: 'Incomplete statement' },
          'INCOMPLETE_STATEMENT_ERROR'
        );
        return;
      case 'rate_limited':
        record(req, 429);
        res
          .status(429)
          .set('Retry-After', String(scenario.retryAfterSeconds ?? 120))
          .json({ status: 'failed', message: 'Too many requests' });
        return;
      case 'server_error':
        respond(500, { status: 'failed', message: 'Internal server error' });
        return;
      case 'malformed':
        record(req, 200);
        res.status(200).type('text/html').send('<html>gateway hiccup</html>');
        return;
      case 'not_found':
        respond(404, { status: 'failed', message: 'Account not found' });
        return;
    }
  });

  app.post('/accounts/:id/reauthorise', (req, res) => {
    record(req, 200);
    res.json({ token: `sim_reauth_${req.params.id.slice(-6)}_${now().toString(36)}` });
  });

  app.get('/accounts/:id', (req, res) => {
    record(req, 200);
    res.json({
      meta: { data_status: stateOf(req.params.id).dataStatus, auth_method: 'internet_banking' },
      account: fakeAccountV1(req.params.id, scenarios.get(req.params.id)?.institution ?? 'GTBank'),
    });
  });

  app.get('/v2/accounts/:id', (req, res) => {
    const institution = scenarios.get(req.params.id)?.institution ?? 'GTBank';
    record(req, 200);
    res.json({
      status: 'successful',
      message: 'Request was succesfully completed',
      timestamp: new Date(now()).toISOString(),
      data: {
        account: {
          id: req.params.id,
          name: 'Ada Simulated',
          currency: 'NGN',
          type: 'SAVINGS',
          account_number: '0123456789',
          balance: 1_234_500,
          bvn: '1234',
          institution: { name: institution, bank_code: '058', type: 'PERSONAL_BANKING' },
        },
        meta: {
          data_status: stateOf(req.params.id).dataStatus,
          auth_method: 'internet_banking',
          retrieved_data: ['balance', 'transactions'],
        },
      },
    });
  });

  app.post('/accounts/:id/unlink', (req, res) => {
    stateOf(req.params.id).linked = false;
    record(req, 200);
    res.json({ status: 'successful', message: 'Account unlinked successfully' });
    if (options.webhookTarget) {
      setTimeout(
        () => void sendWebhook({ event: 'account_unlinked', accountId: req.params.id }).catch(() => undefined),
        50
      );
    }
  });

  app.use((req, res) => {
    res.status(404).json({ status: 'failed', message: `Cannot ${req.method} ${req.path}` });
  });

  // Express 5 calls the listen callback with the error too (a port in use), so it must look at it.
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(port, host, (err?: Error) =>
      err
        ? reject(
            (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
              ? new Error(
                  `the Mono simulator's port ${port} on ${host} is already in use: stop what uses it or set MONO_SIM_PORT`
                )
              : err
          )
        : resolve(s)
    );
  });
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}`,
    secretKey,
    calls,
    setScenario: (accountId, scenario) => scenarios.set(accountId, ScenarioSchema.parse(scenario)),
    sendWebhook,
    change,
    accountState: (accountId) => ({ ...stateOf(accountId) }),
    rate,
    resetRate: () => perSecond.clear(),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
