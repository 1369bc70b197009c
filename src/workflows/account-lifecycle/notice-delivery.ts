/**
 * One notice on one channel, delivered on the retry schedule (model/delivery-retry.ts), with a look at the account
 * before every attempt: a notice that is no longer wanted is dropped, never sent; an owner's SMS or WhatsApp
 * message waits out the quiet hours (NOTIFY_QUIET_HOURS in the owner's time zone), the first one included: a phone
 * buzzes, an inbox does not. Sandbox code.
 */
import { CancellationScope, condition, isCancellation, log } from '@temporalio/workflow';
import { attemptNoticeOn, quietHoursEnd } from './effects.js';
import type { Account } from './model/account.js';
import { describeSpan, isFinalAttempt, nextDeliveryDelayMs } from './model/delivery-retry.js';
import { PHONE_CHANNELS, type ChannelDelivery, type Notice, type NoticeChannel } from './model/types.js';

/** How a channel's delivery ended: delivered, skipped on purpose, given up (a dead letter), dropped, or carried. */
export type DeliveryEnd =
  | { kind: 'delivered' }
  | { kind: 'skipped'; reason: string }
  | { kind: 'gave-up'; reason: string }
  | { kind: 'dropped' }
  | { kind: 'carried' };

export interface DeliveryLane {
  account: Account;
  /** How long a notice keeps being retried on a channel (NOTIFY_RETRY_FOR). */
  retryForMs(): number;
  /** True once the run is rolling over: no new attempt starts (the next run makes it). */
  rollingOver(): boolean;
  /**
   * Called with each attempt's cancellation scope while it is in flight, and with null once it is over: the loop
   * knows what is in flight, and cancels an attempt whose notice is no longer wanted.
   */
  attempting(scope: CancellationScope | null): void;
  /** Wakes the loop (the view shows the next attempt). */
  wake(): void;
}

export async function deliverOnChannel(lane: DeliveryLane, id: string, channel: NoticeChannel): Promise<DeliveryEnd> {
  const { account } = lane;
  for (;;) {
    const pending = account.outbox.pendingChannel(id, channel);
    if (!pending) return { kind: 'dropped' };
    const { notice, delivery } = pending;
    // Checked right before sending: an owner who has just fixed the account never gets "reconnect".
    const stale = account.notices.staleReason(notice);
    if (stale) {
      account.notices.drop(id, stale, Date.now());
      log.info('stale notice dropped', { noticeId: id, type: notice.type });
      return { kind: 'dropped' };
    }
    const waitMs = delivery.nextAttemptAt ? Date.parse(delivery.nextAttemptAt) - Date.now() : 0;
    if (waitMs > 0) {
      // Wakes early when the notice is dropped or no longer wanted.
      await condition(() => !account.outbox.find(id) || account.notices.staleReason(notice) !== undefined, waitMs);
      continue;
    }
    if (lane.rollingOver()) return { kind: 'carried' };
    if (await deferredByQuietHours(account, notice, channel)) continue;
    const end = await attemptOnce(lane, pending.notice, pending.delivery, channel);
    if (end) return end;
  }
}

/**
 * An owner's message on a phone channel inside the quiet hours is moved to their end (recorded as its next attempt,
 * no attempt counted). The end is worked out by a local activity, so replay never depends on time-zone data.
 */
async function deferredByQuietHours(account: Account, notice: Notice, channel: NoticeChannel): Promise<boolean> {
  const window = account.settings.quietHours;
  if (!window || notice.audience !== 'owner' || !PHONE_CHANNELS.includes(channel)) return false;
  const now = Date.now();
  const end = await quietHoursEnd(now, window, account.timeZone());
  if (end <= now) return false;
  account.outbox.noteRetry(notice.id, channel, new Date(end).toISOString());
  log.info('phone message deferred to the end of quiet hours', { noticeId: notice.id, channel });
  return true;
}

/** One attempt; returns how the delivery ended, or undefined when it is to be tried again (already scheduled). */
async function attemptOnce(
  lane: DeliveryLane,
  notice: Notice,
  delivery: ChannelDelivery,
  channel: NoticeChannel
): Promise<DeliveryEnd | undefined> {
  const { account } = lane;
  const id = notice.id;
  const startedAt = Date.now();
  const firstAt = delivery.firstAttemptAt ? Date.parse(delivery.firstAttemptAt) : startedAt;
  const deadline = firstAt + lane.retryForMs();
  const attempt = (delivery.attempts ?? 0) + 1;
  account.outbox.noteAttempt(id, channel, new Date(startedAt).toISOString());
  const final = isFinalAttempt(startedAt, deadline);
  const scope = new CancellationScope();
  lane.attempting(scope);
  const result = await scope
    .run(() => attemptNoticeOn(notice, channel, account.contact, final))
    .catch((err: unknown) => {
      // Cancelled because the notice is no longer wanted: the caller finds out and drops it.
      if (isCancellation(err) && !CancellationScope.current().consideredCancelled) return null;
      throw err;
    })
    .finally(() => lane.attempting(null));
  if (result === null) return undefined;
  if (result.ok) return result.skipped ? { kind: 'skipped', reason: result.skipped } : { kind: 'delivered' };
  if (result.permanent) return { kind: 'gave-up', reason: result.message };
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
  if (delay === null) {
    return {
      kind: 'gave-up',
      reason: `gave up after ${attempt} attempts in ${describeSpan(now - firstAt)}: ${result.message}`,
    };
  }
  account.outbox.noteRetry(id, channel, new Date(now + delay).toISOString());
  lane.wake();
  return undefined;
}
