/**
 * The account's loop. Effects run side by side, each in a lane of its own, and the loop never waits on one: each
 * channel of a notice is delivered by a lane (one channel never blocks another, and a notice retried for a day
 * never holds up a sync, a state change or the search attributes); the log channel is written by the local
 * activity that plans a notice; the institution lookup, optional, never delays the owner's first notice; one
 * manual sync or check with Mono at a time. Every lane wakes the loop when it ends. Sandbox code.
 */
import { type CancellationScope, condition, isCancellation, log } from '@temporalio/workflow';
import { planNotice, lookUpInstitution, quietHoursEnd, runManualSync } from './effects.js';
import type { Account } from './model/account.js';
import { PHONE_CHANNELS, type AccountView, type Notice, type NoticeChannel } from './model/types.js';
import { runCheck } from './mono-checks.js';
import { deliverOnChannel, type DeliveryLane } from './notice-delivery.js';
import type { Publisher } from './publisher.js';
import type { RolloverReason } from './release.js';
import { Alarm } from './alarm.js';

/** What the loop needs from the workflow that runs it. */
export interface LoopRun {
  account: Account;
  publisher: Publisher;
  /** How many times handlers (or finished effects) changed something; the loop waits for it to move. */
  wakeups(): number;
  wake(): void;
  /** How long a notice keeps being retried on a channel (NOTIFY_RETRY_FOR of the current settings). */
  retryForMs(): number;
  rolloverReason(): RolloverReason | null;
  /** Continues as new once handlers have finished. */
  continueAsNew(reason: RolloverReason): Promise<never>;
  view(): AccountView;
}

export async function runLoop(run: LoopRun): Promise<AccountView> {
  const { account } = run;
  const lanes = new Lanes(run);
  const alarm = new Alarm();
  for (;;) {
    run.publisher.ifChanged();
    // An unlinked account completes once the notices it still owes operators and the owner have gone out.
    if (account.state === 'unlinked' && account.outbox.size === 0 && !lanes.busy()) return run.view();
    const reason = run.rolloverReason();
    if (reason) {
      // A manual sync, a check or an email attempt in flight finishes first (a cut-off email could be sent twice,
      // and mail does not dedupe; webhook receivers dedupe on webhook-id, so a cut-off webhook attempt is simply
      // made again). No new attempt starts. Deliveries waiting between attempts go on in the next run at the
      // time recorded for them.
      lanes.rollingOver = true;
      await condition(() => !lanes.blocksRollover());
      return run.continueAsNew(reason);
    }
    if (account.incident.releaseIfDue(Date.now())) continue;
    if (await runReauthTimers(account)) continue;
    lanes.cancelUnwanted();
    lanes.start();
    alarm.set(account.nextWakeMs(lanes.syncRunning()));
    const seen = run.wakeups();
    await condition(() => run.wakeups() !== seen || alarm.rang || run.rolloverReason() !== null);
    alarm.take();
  }
}

/** Reminders and the deadline; quiet hours are worked out by a local activity, so replay never depends on tzdata. */
async function runReauthTimers(account: Account): Promise<boolean> {
  const now = Date.now();
  const quiet = account.reauthReminders.quietHoursCheck(now);
  const end = quiet ? await quietHoursEnd(now, quiet.window, quiet.timeZone) : null;
  return account.reauthReminders.run(now, end);
}

const SYNC = 'sync';
const CHECK = 'check';

/** The effects in flight, by lane key, and the rules for starting new ones. */
class Lanes {
  private readonly running = new Set<string>();
  /** Delivery attempts in flight (not waiting between attempts), by lane key. */
  private readonly attempts = new Map<string, { notice: Notice; channel: NoticeChannel; scope: CancellationScope }>();
  private lookedUp = false;
  /** Set when the run rolls over: no new delivery attempt starts (the next run makes it). */
  rollingOver = false;

  constructor(private readonly run: LoopRun) {}

  busy(): boolean {
    return this.running.size > 0;
  }

  syncRunning(): boolean {
    return this.running.has(SYNC) || this.running.has(CHECK);
  }

  blocksRollover(): boolean {
    // Mail, SMS and WhatsApp do not dedupe: an attempt cut off there could reach the owner twice.
    const noDedupe = (channel: NoticeChannel): boolean => channel === 'email' || PHONE_CHANNELS.includes(channel);
    return this.syncRunning() || [...this.attempts.values()].some((a) => noDedupe(a.channel));
  }

  /** Cancels the attempts in flight whose notice is no longer wanted (the account left reauth_required). */
  cancelUnwanted(): void {
    const { account } = this.run;
    for (const { notice, scope } of this.attempts.values()) {
      if (!account.outbox.find(notice.id) || account.notices.staleReason(notice) !== undefined) scope.cancel();
    }
  }

  /** Starts every effect that is due and not yet running. */
  start(): void {
    const { account } = this.run;
    this.startNotices();
    if (account.state === 'unlinked') return;
    if (!this.lookedUp && account.state !== null && account.institution === null) {
      this.lookedUp = true;
      this.launch('lookup', async () => account.setInstitution(await lookUpInstitution(account.accountId)));
    }
    // A check's manual sync and the account's own never run together (Mono's 2-minute limit).
    if (this.syncRunning()) return;
    if (account.checks.pending()) this.launch(CHECK, async () => void (await runCheck(account)));
    else if (account.syncs.isDue(Date.now())) this.startSync();
  }

  private startNotices(): void {
    const { account } = this.run;
    for (const notice of account.outbox.unplanned()) {
      // Held by a bank-wide incident: it waits in the outbox until the account is released.
      if (account.incident.holds(notice)) continue;
      this.launch(`plan:${notice.id}`, async () => {
        // The plan writes the log channel too, unless the notice is already stale.
        const deliverLog = account.notices.staleReason(notice) === undefined;
        const contact = account.contact;
        const reach = { email: !!contact?.email, phone: !!contact?.phone, whatsApp: contact?.whatsApp === true };
        const plan = await planNotice(notice, reach, deliverLog);
        account.outbox.plan(notice.id, plan, new Date().toISOString());
      });
    }
    for (const { notice, channel } of account.outbox.pendingChannels()) {
      const key = `notice:${notice.id}/${channel}`;
      this.launch(key, async () => {
        const end = await deliverOnChannel(this.deliveryLane(key, notice, channel), notice.id, channel);
        if (end.kind === 'delivered') account.notices.finishChannel(notice.id, channel, undefined, Date.now());
        if (end.kind === 'gave-up') account.notices.finishChannel(notice.id, channel, end.reason, Date.now());
        if (end.kind === 'skipped') account.notices.skipChannel(notice.id, channel, end.reason, Date.now());
      });
    }
  }

  private startSync(): void {
    const { account } = this.run;
    const startedIn = account.syncs.begin(Date.now());
    this.launch(SYNC, async () => {
      const outcome = await runManualSync(account.accountId);
      const moved = account.syncs.finish(outcome, startedIn, Date.now());
      log.info('manual sync finished', { outcome: outcome.outcome, ...(moved ? { to: moved.to } : {}) });
    });
  }

  private deliveryLane(key: string, notice: Notice, channel: NoticeChannel): DeliveryLane {
    return {
      account: this.run.account,
      retryForMs: () => this.run.retryForMs(),
      rollingOver: () => this.rollingOver,
      attempting: (scope) => {
        if (scope) this.attempts.set(key, { notice, channel, scope });
        else this.attempts.delete(key);
      },
      wake: () => this.run.wake(),
    };
  }

  private launch(key: string, work: () => Promise<void>): void {
    if (this.running.has(key)) return;
    this.running.add(key);
    work()
      .catch((err: unknown) => {
        // A lane must never fail the workflow task: the run would stop making progress for every effect.
        if (!isCancellation(err)) log.error('effect failed', { lane: key, message: (err as Error)?.message });
      })
      .finally(() => {
        this.running.delete(key);
        this.run.wake();
      });
  }
}
