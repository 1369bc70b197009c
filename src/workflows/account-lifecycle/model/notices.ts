/**
 * The account's rules for its notices, on top of the outbox (outbox.ts): a re-auth message is no longer wanted
 * once the account left `reauth_required`, a channel that gave up leaves a dead letter in the history, and an
 * operator's redelivery never sends what is no longer wanted. Works on the account's record (record.ts). Pure.
 */
import type { ChannelFinished } from './outbox.js';
import { REAUTH_MESSAGES, type AccountRecord } from './record.js';
import type { Notice, NoticeChannel, RedeliverAccepted, RedeliverRequest } from './types.js';

export class Notices {
  constructor(private readonly account: AccountRecord) {}

  /** Why a notice is no longer wanted (a re-auth message after the account left reauth_required), if so. */
  staleReason(notice: Pick<Notice, 'type'>): string | undefined {
    const state = this.account.state;
    if (REAUTH_MESSAGES.includes(notice.type) && state !== 'reauth_required') {
      return `the account is ${state ?? 'new'}, no longer reauth_required`;
    }
    return undefined;
  }

  /** Drops a queued notice that is no longer wanted, recording why. */
  drop(id: string, reason: string, nowMs: number): void {
    this.account.outbox.done(id);
    this.account.note(`notice ${id} dropped: ${reason}`, nowMs);
  }

  /** A channel delivered the notice, or gave up (a dead letter, recorded in the history too). */
  finishChannel(id: string, channel: NoticeChannel, failure: string | undefined, nowMs: number): ChannelFinished {
    const notice = this.account.outbox.find(id);
    const finished = this.account.outbox.finishChannel(id, channel, failure, new Date(nowMs).toISOString());
    const delivered = notice?.channels?.[channel]?.status === 'pending' && !failure;
    if (delivered && notice.audience === 'owner' && REAUTH_MESSAGES.includes(notice.type)) {
      this.account.notePromptDelivered(channel);
    }
    if (finished.deadLetter) {
      this.account.note(`notice ${id} not delivered on ${channel}: ${finished.deadLetter.error.slice(0, 160)}`, nowMs);
    }
    return finished;
  }

  /** Why an operator's redelivery is refused now, or undefined when some dead letter matches it. */
  refuseRedeliver(request: RedeliverRequest): string | undefined {
    const outbox = this.account.outbox;
    if (outbox.undeliveredMatching(request).length > 0) return undefined;
    return outbox.undeliveredCount === 0
      ? 'the account has no undelivered notices'
      : 'no undelivered notice of this account matches (check the notice ids and since)';
  }

  /** An operator asked to deliver dead letters again: queued on the channels that failed, ids unchanged. */
  redeliver(request: RedeliverRequest, nowMs: number): RedeliverAccepted {
    const result = this.account.outbox.redeliver(request, (notice) => this.staleReason(notice));
    if (result.requeued.length > 0 || result.skipped.length > 0) {
      const skipped = result.skipped.length > 0 ? `, ${result.skipped.length} no longer wanted` : '';
      this.account.note(`operator:redeliverNotices (${result.requeued.length} requeued${skipped})`, nowMs);
    }
    return result;
  }
}
