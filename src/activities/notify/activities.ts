/**
 * Notification activities, built by a factory over a Notifier:
 *  - `planNotice` (local): which channels a notice goes to on this configuration, and those skipped; asked to,
 *    it also delivers the log channel there and then (a line in this worker's log needs no task of its own);
 *  - `deliverNoticeOn`: one attempt of one notice on one channel (the workflow retries on the Standard Webhooks
 *    schedule until `NOTIFY_RETRY_FOR` has passed, then keeps it as a dead letter);
 *  - `quietHoursEnd` (local): when the owner's quiet hours end, recorded in history so that time-zone data never
 *    decides at replay.
 */
import { ApplicationFailure, cancellationSignal, heartbeat } from '@temporalio/activity';
import { deferOutOfQuietHours } from '../../workflows/account-lifecycle/model/quiet-hours.js';
import type { NoticePlan } from '../../workflows/account-lifecycle/model/outbox.js';
import type { Contact, Notice, NoticeChannel } from '../../workflows/account-lifecycle/model/types.js';
import { FAILURE } from '../failures.js';
import { PermanentDeliveryError, TransientDeliveryError, type Notifier } from './notifier.js';

/**
 * How often an attempt in flight heartbeats. The worker sends heartbeats on at most every
 * NOTIFY_HEARTBEAT_THROTTLE (no heartbeat timeout is set on these activities), and learns of a cancellation from
 * the answer to one.
 */
const HEARTBEAT_EVERY_MS = 1_000;
export const NOTIFY_HEARTBEAT_THROTTLE = '2 seconds';

/** Every attempt's outcome on a channel: sent, retrying, failed (given up or refused), for the metrics. */
export type DeliveryOutcome = 'sent' | 'retrying' | 'failed';

export interface NotifyActivityDeps {
  notifier: Notifier;
  onDelivery?: (notice: Notice, channel: NoticeChannel, outcome: DeliveryOutcome) => void;
}

export function createNotifyActivities({ notifier, onDelivery = () => undefined }: NotifyActivityDeps) {
  return {
    async planNotice(notice: Notice, hasEmail: boolean, deliverLog = false): Promise<NoticePlan> {
      // Only whether an address exists matters here; the address itself travels with the email delivery alone.
      const plan = notifier.plan(notice, hasEmail);
      if (!deliverLog || !plan.channels.includes('log')) return plan;
      await notifier.deliverOn('log', notice, null);
      onDelivery(notice, 'log', 'sent');
      return { ...plan, channels: plan.channels.filter((c) => c !== 'log'), sent: ['log'] };
    },

    /**
     * One attempt on one channel; the workflow retries on its schedule. A transient failure carries the receiver's
     * Retry-After in its details; `final` says the workflow will not try again (for the metric). It heartbeats while
     * the attempt is in flight, which is how Temporal tells it that the workflow cancelled it (a notice that became
     * stale): the attempt is then stopped, its connection closed.
     */
    async deliverNoticeOn(
      notice: Notice,
      channel: NoticeChannel,
      contact: Contact | null,
      final: boolean
    ): Promise<void> {
      heartbeat();
      const beating = setInterval(() => heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        await notifier.deliverOn(channel, notice, contact, cancellationSignal());
        onDelivery(notice, channel, 'sent');
      } catch (err) {
        const message = err instanceof Error ? err.message : String(err);
        const permanent = err instanceof PermanentDeliveryError;
        onDelivery(notice, channel, permanent || final ? 'failed' : 'retrying');
        const retryAfterMs = err instanceof TransientDeliveryError ? err.retryAfterMs : undefined;
        throw ApplicationFailure.create({
          message,
          type: permanent ? FAILURE.notifyMisconfigured : FAILURE.notifyTransient,
          nonRetryable: true,
          details: [{ retryAfterMs: retryAfterMs ?? null }],
        });
      } finally {
        clearInterval(beating);
      }
    },

    quietHoursEnd(atMs: number, window: string, timeZone: string): Promise<number> {
      return Promise.resolve(deferOutOfQuietHours(atMs, window, timeZone));
    },
  };
}

export type NotifyActivities = ReturnType<typeof createNotifyActivities>;
