/**
 * An account's record: its state, bounded history and counters, and the schedules and messages that belong to
 * the state it is in. `moveTo` is the one place a state changes, and it keeps everything else consistent with the
 * new state (the sync schedule, the re-auth reminders, the notices to send). The account's parts (syncs.ts,
 * reauth.ts, checks.ts, notices.ts) work on this record. Pure: time and randomness are passed in.
 */
import type { CarriedState } from './carried-state.js';
import { DeliveryMemory } from './delivery-memory.js';
import { isHeldNotice, sharedSyncAtMs, type IncidentHold } from './incident-hold.js';
import { Outbox } from './outbox.js';
import { isValidTimeZone } from './quiet-hours.js';
import { endedEpisode, isOwnerChannel, withPromptChannel, type ReauthEpisode } from './reauth-episode.js';
import { reauthStarted, type ReauthSchedule } from './reauth-schedule.js';
import type { ResolvedSettings } from './settings.js';
import { cancelSync, syncAt, syncOnEntering, type SyncSchedule } from './sync-schedule.js';
import type { AccountState, AccountView, Notice, NoticeChannel, NoticeType, Transition } from './types.js';
import { accountView } from './view.js';

/** Bounds that keep carried state small however long an account lives. */
export const HISTORY_LIMIT = 50;

export const REAUTH_MESSAGES: readonly NoticeType[] = ['account.reauth_required', 'account.reauth_reminder'];

/** What the record needs from the workflow: ids unique for all time, and a replay-safe random number in [0, 1). */
export interface RecordDeps {
  newNoticeId(): string;
  random(): number;
}

/** The record's own fields; the schedules, the outbox and the delivery memory are held apart. */
export type Core = Omit<CarriedState, 'recentDeliveries' | 'outbox' | 'undelivered' | 'sync' | 'reauth'>;

export class AccountRecord {
  readonly outbox: Outbox;
  readonly deliveries: DeliveryMemory;
  readonly core: Core;
  sync: SyncSchedule;
  reauth: ReauthSchedule | null;

  protected constructor(
    readonly accountId: string,
    public settings: ResolvedSettings,
    carried: CarriedState,
    private readonly deps: RecordDeps
  ) {
    const { recentDeliveries, outbox, undelivered, sync, reauth, ...core } = carried;
    this.core = { ...core, runNumber: core.runNumber + 1 };
    this.deliveries = new DeliveryMemory(recentDeliveries);
    this.outbox = new Outbox(accountId, [...outbox], [...undelivered]);
    this.sync = sync;
    this.reauth = reauth;
  }

  get state(): AccountState | null {
    return this.core.state;
  }

  get since(): string | null {
    return this.core.since;
  }

  get escalated(): boolean {
    return this.core.escalated;
  }

  get institution(): string | null {
    return this.core.institution;
  }

  /** The last stay in reauth_required that ended with the owner re-authorising. */
  get lastReauth(): ReauthEpisode | null {
    return this.core.lastReauth ?? null;
  }

  /** The owner's channels that delivered a prompt in the current stay in reauth_required, else in the last one recorded. */
  promptChannels(): NoticeChannel[] | null {
    if (this.core.state === 'reauth_required') return this.core.reauthPromptedOn ?? [];
    return this.core.lastReauth?.channels ?? null;
  }

  /** The bank-wide incident holding this account's notices, or null. */
  get hold(): IncidentHold | null {
    return this.core.incident ?? null;
  }

  set hold(hold: IncidentHold | null) {
    this.core.incident = hold;
  }

  /**
   * While held, a failing account (not escalated) syncs on the incident's shared schedule; true when it was
   * scheduled so.
   */
  holdRetry(nowMs: number): boolean {
    const hold = this.hold;
    const state = this.core.state;
    if (!hold || this.core.escalated || (state !== 'sync_failed' && state !== 'reauth_required')) return false;
    this.sync = syncAt(cancelSync(this.sync), sharedSyncAtMs(hold, nowMs, this.deps.random()));
    return true;
  }

  /** Records a state change; entering a state sets its schedules and clears the previous state's escalation. */
  moveTo(to: AccountState, cause: string, nowMs: number): Transition {
    const c = this.core;
    const from = c.state;
    const fromSince = c.since;
    const entry: Transition = { at: iso(nowMs), from, to, cause };
    c.state = to;
    c.stateChanges += 1;
    c.since = entry.at;
    c.attempts = 0;
    c.escalated = false;
    c.escalation = null;
    this.sync = syncOnEntering(this.sync, to, nowMs, this.settings, this.deps.random());
    this.holdRetry(nowMs);
    this.addHistory(entry);
    this.recordReauthEpisode(from, fromSince, to, nowMs);
    // Leaving reauth_required cancels its reminders, deadline and re-auth messages; entering it tells the owner.
    this.reauth = null;
    if (from === 'reauth_required' && to !== 'reauth_required') this.dropReauthMessages(to, entry.at);
    if (to === 'reauth_required') {
      this.reauth = reauthStarted(nowMs, this.settings);
      this.notify('account.reauth_required', 'owner', nowMs);
    }
    // A problem that began and ended inside a bank-wide incident was never the owner's to hear about.
    const quietRecovery = this.hold !== null && fromSince !== null && Date.parse(fromSince) >= this.hold.heldAtMs;
    const recovered =
      (from === 'reauth_required' || from === 'sync_failed') && (to === 'synced' || to === 'reauthorised');
    if (recovered && !quietRecovery) {
      // Where it recovered from and since when: the receiver (and the recovery-time metric) can tell how long it took.
      this.notify('account.recovered', 'owner', nowMs, { state: to, from, ...(fromSince && { since: fromSince }) });
    }
    return entry;
  }

  /** A re-auth prompt reached the owner on `channel` while the account waits in `reauth_required`. */
  notePromptDelivered(channel: NoticeChannel): void {
    const c = this.core;
    if (c.state !== 'reauth_required' || !isOwnerChannel(channel)) return;
    c.reauthPromptedOn = withPromptChannel(c.reauthPromptedOn ?? [], channel);
  }

  /** Marks the account as needing an operator (MonoEscalated), records why and tells operators. */
  escalate(reason: string, nowMs: number): void {
    const state = this.core.state!;
    this.core.escalated = true;
    this.core.escalation = { at: iso(nowMs), reason };
    this.sync = cancelSync(this.sync);
    this.note(`escalated: ${reason}`, nowMs);
    this.notify('account.escalated', 'operators', nowMs, { state, reason });
  }

  /** A history entry that is not a state change (an operator's action, a dropped notice); none before the first state. */
  note(cause: string, nowMs: number): void {
    const state = this.core.state;
    if (state) this.addHistory({ at: iso(nowMs), from: state, to: state, cause });
  }

  notify(
    type: NoticeType,
    audience: Notice['audience'],
    nowMs: number,
    data: Omit<Notice['data'], 'accountId'> = {}
  ): Notice {
    const hold = this.hold;
    if (hold && isHeldNotice({ type, data })) this.hold = { ...hold, heldNotices: hold.heldNotices + 1 };
    return this.outbox.add(this.deps.newNoticeId(), type, audience, iso(nowMs), data);
  }

  /** A number in [0, 1) from the workflow's replay-safe generator. */
  random(): number {
    return this.deps.random();
  }

  /** The owner's time zone, or the configured default when none (or an unknown one) is registered. */
  timeZone(): string {
    const zone = this.core.contact?.timeZone;
    return zone && isValidTimeZone(zone) ? zone : this.settings.defaultTimeZone;
  }

  /** The `state` query's answer. */
  view(historyLength: number): AccountView {
    return accountView(this.accountId, this.carried([]), historyLength);
  }

  /** Everything the next run needs; expired delivery keys are dropped. */
  snapshot(nowMs: number): CarriedState {
    return this.carried(this.deliveries.entries(nowMs, this.settings.dedupeWindowMs));
  }

  private carried(recentDeliveries: CarriedState['recentDeliveries']): CarriedState {
    return { ...this.core, recentDeliveries, sync: this.sync, reauth: this.reauth, ...this.outbox.snapshot() };
  }

  /** A stay in reauth_required starts with no prompt delivered; one that ends in `reauthorised` is recorded. */
  private recordReauthEpisode(
    from: AccountState | null,
    fromSince: string | null,
    to: AccountState,
    nowMs: number
  ): void {
    const c = this.core;
    if (from === 'reauth_required' && to === 'reauthorised' && fromSince) {
      c.lastReauth = endedEpisode(fromSince, nowMs, c.reauthPromptedOn ?? []);
    }
    if (to === 'reauth_required') c.reauthPromptedOn = [];
    else delete c.reauthPromptedOn;
  }

  private addHistory(entry: Transition): void {
    this.core.history = [...this.core.history, entry].slice(-HISTORY_LIMIT);
  }

  /** Queued re-auth messages and their dead letters: redelivering one later would ask a recovered owner to reconnect. */
  private dropReauthMessages(to: AccountState, at: string): void {
    const isReauth = (n: Pick<Notice, 'type'>): boolean => REAUTH_MESSAGES.includes(n.type);
    const dropped = [...this.outbox.dropWhere(isReauth), ...this.outbox.dropUndeliveredWhere(isReauth)];
    if (dropped.length === 0) return;
    const ids = dropped.map((n) => n.id).join(', ');
    this.addHistory({ at, from: to, to, cause: `re-auth notices dropped (${ids}): no longer needed` });
  }
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
