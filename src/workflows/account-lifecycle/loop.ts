/**
 * The lifecycle loop of current runs. Effects run side by side, each in a lane of its own, and the loop never
 * waits on one: a notice's channels are delivered by a lane each (one channel never blocks another, and a
 * notice retried for a day never holds up a sync, a state change or the search attributes; on runs of this
 * release the log channel is written by the plan's local activity instead, features.ts); the institution
 * lookup, optional, never delays the owner's first notice; one manual sync at a time. Every lane wakes the loop
 * when it ends. Sandbox code.
 */
import { condition, isCancellation, log } from '@temporalio/workflow';
import { Alarm } from './alarm.js';
import { CHECKS_PATCH, runCheck } from './checks.js';
import { describeSpan, isFinalAttempt, nextDeliveryDelayMs } from './model/delivery-retry.js';
import { attemptNoticeOn, lookUpInstitution, planNotice, quietHoursEnd, runManualSync } from './effects.js';
import type { LoopContext } from './loop-context.js';
import type { AccountView, NoticeChannel } from './model/types.js';

const NOTICE_LANE = 'notice:';
/** The notice left the outbox (no longer wanted) while its channel was being delivered. */
const DROPPED = Symbol('dropped');
/** The run rolled over before the next attempt: the next run makes it. */
const CARRIED = Symbol('carried');

export async function concurrentLoop(ctx: LoopContext): Promise<AccountView> {
  const { account, accountId } = ctx;
  const lanes = new Set<string>();
  let lookedUp = false;

  /** Notice lanes with an activity in flight (not waiting between attempts). */
  const attempting = new Set<string>();
  /** Set when the run rolls over: no new delivery attempt starts (the next run makes it). */
  let rollingOver = false;

  const launch = (key: string, work: () => Promise<void>): void => {
    lanes.add(key);
    work()
      .catch((err: unknown) => {
        // A lane must never fail the workflow task: the run would stop making progress for every effect.
        if (!isCancellation(err)) log.error('effect failed', { lane: key, message: (err as Error)?.message });
      })
      .finally(() => {
        lanes.delete(key);
        ctx.wake();
      });
  };

  /**
   * Delivers a notice on one channel on the retry schedule (delivery-retry.ts), looking at the account before
   * every attempt. Returns why it gave up, if it did.
   */
  const deliver = async (
    id: string,
    channel: NoticeChannel
  ): Promise<string | undefined | typeof DROPPED | typeof CARRIED> => {
    for (;;) {
      const pending = account.pendingChannel(id, channel);
      if (!pending) return DROPPED;
      const { notice, delivery } = pending;
      const waitMs = delivery.nextAttemptAt ? Date.parse(delivery.nextAttemptAt) - Date.now() : 0;
      if (waitMs > 0) {
        // Wakes early when the notice is dropped (the account left reauth_required).
        await condition(() => !account.hasNotice(id) || account.staleNoticeReason(notice) !== undefined, waitMs);
        if (!account.hasNotice(id) || account.staleNoticeReason(notice) === undefined) continue;
      }
      // Checked right before sending: an owner who has just fixed the account never gets "reconnect".
      const stale = account.staleNoticeReason(notice);
      if (stale) {
        account.dropNotice(id, stale, Date.now());
        log.info('stale notice dropped', { noticeId: id, type: notice.type });
        return DROPPED;
      }
      if (rollingOver) return CARRIED;
      const startedAt = Date.now();
      const firstAt = delivery.firstAttemptAt ? Date.parse(delivery.firstAttemptAt) : startedAt;
      const deadline = firstAt + ctx.notifyRetryForMs();
      const attempt = (delivery.attempts ?? 0) + 1;
      account.noteDeliveryAttempt(id, channel, startedAt);
      const final = isFinalAttempt(startedAt, deadline);
      const key = `${NOTICE_LANE}${id}/${channel}`;
      attempting.add(key);
      const result = await attemptNoticeOn(notice, channel, account.getContact(), final).finally(() =>
        attempting.delete(key)
      );
      if (result.ok) return undefined;
      if (result.permanent) return result.message;
      const now = Date.now();
      const delay = final
        ? null
        : nextDeliveryDelayMs({
            attempt,
            nowMs: now,
            deadlineMs: deadline,
            retryAfterMs: result.retryAfterMs,
            random: Math.random(), // the workflow's seeded generator: replays the same jitter
          });
      if (delay === null)
        return `gave up after ${attempt} attempts in ${describeSpan(now - firstAt)}: ${result.message}`;
      account.noteDeliveryRetry(id, channel, now + delay);
      ctx.wake(); // the view shows the next attempt
    }
  };

  const startLanes = (): void => {
    for (const notice of account.noticesToPlan()) {
      const key = `plan:${notice.id}`;
      if (lanes.has(key)) continue;
      launch(key, async () => {
        // Runs of this release have the plan deliver the log channel too, unless the notice is already stale.
        const deliverLog = ctx.features.release && account.staleNoticeReason(notice) === undefined;
        const plan = deliverLog
          ? await planNotice(notice, !!account.getContact()?.email, true)
          : await planNotice(notice, !!account.getContact()?.email);
        account.planNotice(notice.id, plan, Date.now());
      });
    }
    for (const { notice, channel } of account.channelsToDeliver()) {
      const key = `${NOTICE_LANE}${notice.id}/${channel}`;
      if (lanes.has(key)) continue;
      launch(key, async () => {
        const failure = await deliver(notice.id, channel);
        if (failure !== DROPPED && failure !== CARRIED) account.finishChannel(notice.id, channel, failure, Date.now());
      });
    }
    if (!lookedUp && account.state !== null && account.institution === null) {
      lookedUp = true;
      launch('lookup', async () => account.setInstitution(await lookUpInstitution(accountId, ctx.features)));
    }
    // A check's manual sync and the account's own never run together (Mono's 2-minute limit).
    if (!lanes.has('check') && !lanes.has('sync') && account.pendingCheck() && ctx.features.has(CHECKS_PATCH)) {
      launch('check', async () => void (await runCheck(account, accountId)));
    }
    if (!lanes.has('sync') && !lanes.has('check') && account.syncDue(Date.now())) {
      const startedIn = account.beginSync(Date.now());
      launch('sync', async () => {
        const outcome = await runManualSync(accountId, ctx.features);
        const moved = account.finishSync(outcome, startedIn, Date.now());
        log.info('manual sync finished', { outcome: outcome.outcome, ...(moved ? { to: moved.to } : {}) });
      });
    }
  };

  /** Reminders and the deadline; quiet hours are worked out by a local activity, so replay never depends on tzdata. */
  const runReauthTimers = async (): Promise<boolean> => {
    const now = Date.now();
    const quiet = account.quietHoursCheck(now);
    if (!quiet) return account.runReauthTimers(now);
    const end = await quietHoursEnd(now, quiet.window, quiet.timeZone);
    return account.runReauthTimers(now, end);
  };

  const alarm = new Alarm();
  for (;;) {
    ctx.publisher.ifChanged();
    if (ctx.isClosed()) return ctx.view();
    if (ctx.rotate()) {
      // A manual sync, a check or an email attempt in flight finishes first (a cut-off email could be sent twice,
      // and mail does not dedupe; webhook receivers dedupe on webhook-id, so a cut-off webhook attempt is simply
      // made again). No new attempt starts. A lookup or a plan is made again in the next run, and deliveries
      // waiting between attempts go on there at the time recorded for them.
      rollingOver = true;
      const emailInFlight = (): boolean => [...attempting].some((key) => key.endsWith('/email'));
      await condition(() => !lanes.has('sync') && !lanes.has('check') && !emailInFlight());
      return ctx.continueAsNewNow();
    }
    if (await runReauthTimers()) continue;
    startLanes();
    alarm.set(account.nextWakeMs(lanes.has('sync') || lanes.has('check')));
    const seen = ctx.wakeups();
    await condition(() => ctx.wakeups() !== seen || alarm.rang || ctx.rotate());
    alarm.take();
  }
}
