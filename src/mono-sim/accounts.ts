/**
 * The simulator's accounts: each one's scenario, its state on Mono's side and its last manual sync. No I/O;
 * the clock is passed in, so it can be tested on its own (test/unit/mono-sim-accounts.test.ts).
 */
import { z } from 'zod';
import { MONO_EVENT_KINDS } from '../workflows/account-lifecycle/model/types.js';

/** A webhook the simulator is asked to send (POST /_sim/webhooks), or one an account change makes. */
export const WebhookRequest = z.object({
  event: z.enum(MONO_EVENT_KINDS),
  accountId: z.string().min(1),
  dataStatus: z.string().optional(),
  updated: z.boolean().optional(),
});
export type SimWebhook = z.infer<typeof WebhookRequest>;

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

export const ScenarioSchema = z.object({
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

export const ChangeRequest = z.object({
  change: z.enum(SIM_CHANGES),
  /** For `data_status`: e.g. AVAILABLE, FAILED, UNAVAILABLE. */
  dataStatus: z.string().min(1).max(20).optional(),
  /** Send the webhook Mono would send for the change (default true); false loses it on purpose. */
  webhook: z.boolean().default(true),
});
export type SimChangeRequest = z.input<typeof ChangeRequest>;

/** A manual sync either runs with a behaviour or is refused by the one-sync-per-2-minutes limit. */
export type SyncStart =
  { kind: 'run'; behaviour: SyncBehaviour; scenario: Scenario } | { kind: 'too_soon'; retryAfterSeconds: number };

/** Behaviours of a sync that succeeds, after which the account's data is AVAILABLE. */
const SUCCESSFUL_SYNCS: ReadonlySet<SyncBehaviour> = new Set(['success', 'slow', 'success_legacy_spelling']);

export class SimAccounts {
  private readonly scenarios = new Map<string, Scenario>();
  private readonly states = new Map<string, SimAccountState>();
  private readonly lastSync = new Map<string, number>();

  /** `enforceSyncInterval`: refuse a second manual sync within 2 minutes, as Mono does. */
  constructor(private readonly enforceSyncInterval: boolean) {}

  setScenario(accountId: string, scenario: Scenario): void {
    this.scenarios.set(accountId, scenario);
  }

  scenario(accountId: string): Scenario | undefined {
    return this.scenarios.get(accountId);
  }

  /** The account's live state; every account starts linked, AVAILABLE and authorised. */
  state(accountId: string): SimAccountState {
    let state = this.states.get(accountId);
    if (!state) this.states.set(accountId, (state = { linked: true, dataStatus: 'AVAILABLE', needsReauth: false }));
    return state;
  }

  unlink(accountId: string): void {
    this.state(accountId).linked = false;
  }

  /**
   * Takes the account's next sync behaviour (its scenario's, else what its state implies) and applies the
   * 2-minute limit, which a `rate_limited` behaviour bypasses with its own 429.
   */
  startSync(accountId: string, now: number): SyncStart {
    const scenario = this.scenarios.get(accountId) ?? {};
    const queue = scenario.sync ?? [this.state(accountId).needsReauth ? 'reauth_required' : 'success'];
    const behaviour = queue.length > 1 ? queue.shift()! : queue[0]!;
    const last = this.lastSync.get(accountId);
    if (
      this.enforceSyncInterval &&
      last !== undefined &&
      now - last < SYNC_INTERVAL_MS &&
      behaviour !== 'rate_limited'
    ) {
      return { kind: 'too_soon', retryAfterSeconds: Math.ceil((SYNC_INTERVAL_MS - (now - last)) / 1000) };
    }
    this.lastSync.set(accountId, now);
    if (SUCCESSFUL_SYNCS.has(behaviour)) this.state(accountId).dataStatus = 'AVAILABLE';
    return { kind: 'run', behaviour, scenario };
  }

  /** Applies a change on Mono's side and returns the webhook Mono would send for it. */
  change(accountId: string, request: z.output<typeof ChangeRequest>): SimWebhook {
    const state = this.state(accountId);
    switch (request.change) {
      case 'reauthorise':
        state.needsReauth = false;
        state.dataStatus = 'AVAILABLE';
        return { event: 'account_reauthorized', accountId };
      case 'require_reauth':
        state.needsReauth = true;
        return { event: 'reauthorisation_required', accountId };
      case 'unlink':
        state.linked = false;
        return { event: 'account_unlinked', accountId };
      case 'data_status':
        state.dataStatus = (request.dataStatus ?? 'AVAILABLE').toUpperCase();
        return { event: 'account_updated', accountId, dataStatus: state.dataStatus };
    }
  }
}
