/**
 * Messages the account decided to send and the notifier has not finished with, and the dead letters: notices
 * that gave up on a channel, kept (bounded) so that an operator can see and redeliver them. Each notice has an
 * id that stays the same across delivery retries and redeliveries, so receivers that dedupe by id never see one
 * message twice. Pure.
 */
import type {
  ChannelDelivery,
  Notice,
  NoticeChannel,
  NoticeType,
  RedeliverAccepted,
  RedeliverRequest,
  UndeliveredNotice,
} from './types.js';

/** Dead letters kept per account (newest kept); older ones are only in the account's history. */
export const UNDELIVERED_LIMIT = 50;

/**
 * What the notifier said about a notice before delivering it: the channels that apply, and those skipped; and
 * the channels it delivered itself while planning (the log channel).
 */
export interface NoticePlan {
  channels: NoticeChannel[];
  skipped: Array<{ channel: NoticeChannel; reason: string }>;
  sent?: NoticeChannel[];
}

/** One channel of one notice, ready to be delivered. */
export interface ChannelTask {
  notice: Notice;
  channel: NoticeChannel;
}

/** What finishing a channel did to its notice. */
export interface ChannelFinished {
  /** The notice has no channel left to deliver and left the outbox. */
  complete: boolean;
  /** The dead letter recorded, when the channel gave up. */
  deadLetter?: UndeliveredNotice;
}

export const channelKey = (id: string, channel: NoticeChannel): string => `${id}/${channel}`;

export class Outbox {
  constructor(
    private readonly accountId: string,
    private notices: Notice[] = [],
    private undelivered: UndeliveredNotice[] = []
  ) {}

  /** Queues a new message under `id`, which the caller makes unique for all time. */
  add(
    id: string,
    type: NoticeType,
    audience: Notice['audience'],
    at: string,
    data: Omit<Notice['data'], 'accountId'>
  ): Notice {
    const notice: Notice = { id, type, audience, at, data: { accountId: this.accountId, ...data } };
    this.notices.push(notice);
    return notice;
  }

  find(id: string): Notice | undefined {
    return this.notices.find((n) => n.id === id);
  }

  done(id: string): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  /** Removes the queued notices `unwanted` picks; returns them. */
  dropWhere(unwanted: (notice: Notice) => boolean): Notice[] {
    const dropped = this.notices.filter(unwanted);
    if (dropped.length > 0) this.notices = this.notices.filter((n) => !unwanted(n));
    return dropped;
  }

  /** Removes the dead letters `unwanted` picks; returns them. */
  dropUndeliveredWhere(unwanted: (letter: UndeliveredNotice) => boolean): UndeliveredNotice[] {
    const dropped = this.undelivered.filter(unwanted);
    if (dropped.length > 0) this.undelivered = this.undelivered.filter((u) => !unwanted(u));
    return dropped;
  }

  /** Notices whose channels the notifier has not yet been asked for, oldest first. */
  unplanned(): Notice[] {
    return this.notices.filter((n) => n.channels === undefined);
  }

  /** Records which channels apply; a notice with none left is complete and leaves the outbox. */
  plan(id: string, plan: NoticePlan, at: string): boolean {
    const notice = this.find(id);
    if (!notice || notice.channels) return false;
    const channels: Partial<Record<NoticeChannel, ChannelDelivery>> = {};
    for (const channel of plan.channels) channels[channel] = { status: 'pending' };
    for (const { channel, reason } of plan.skipped) channels[channel] = { status: 'skipped', at, detail: reason };
    for (const channel of plan.sent ?? []) channels[channel] = { status: 'sent', at };
    this.replace({ ...notice, channels });
    return this.completeIfDone(id);
  }

  /** Every channel still to deliver, oldest notice first. */
  pendingChannels(): ChannelTask[] {
    return this.notices.flatMap((notice) =>
      Object.entries(notice.channels ?? {})
        .filter(([, d]) => d.status === 'pending')
        .map(([channel]) => ({ notice, channel: channel as NoticeChannel }))
    );
  }

  /** The notice and its delivery on `channel`, while that delivery is pending. */
  pendingChannel(id: string, channel: NoticeChannel): { notice: Notice; delivery: ChannelDelivery } | undefined {
    const notice = this.find(id);
    const delivery = notice?.channels?.[channel];
    return notice && delivery?.status === 'pending' ? { notice, delivery } : undefined;
  }

  /** Counts an attempt on a pending channel (the first one starts the retry deadline). */
  noteAttempt(id: string, channel: NoticeChannel, at: string): void {
    this.updatePending(id, channel, (d) => ({
      status: 'pending',
      attempts: (d.attempts ?? 0) + 1,
      firstAttemptAt: d.firstAttemptAt ?? at,
    }));
  }

  /** Records when a pending channel is tried next (carried to the next run). */
  noteRetry(id: string, channel: NoticeChannel, nextAttemptAt: string): void {
    this.updatePending(id, channel, (d) => ({ ...d, nextAttemptAt }));
  }

  /** Records one channel's outcome; a failure becomes a dead letter. */
  finishChannel(id: string, channel: NoticeChannel, failure: string | undefined, at: string): ChannelFinished {
    const notice = this.find(id);
    if (notice?.channels?.[channel]?.status !== 'pending') return { complete: false };
    const outcome: ChannelDelivery = failure ? { status: 'failed', at, detail: failure } : { status: 'sent', at };
    this.replace({ ...notice, channels: { ...notice.channels, [channel]: outcome } });
    let deadLetter: UndeliveredNotice | undefined;
    if (failure) {
      const { id: noticeId, type, audience, at: decidedAt, data } = notice;
      deadLetter = { id: noticeId, type, audience, at: decidedAt, data, channel, failedAt: at, error: failure };
      this.undelivered = [
        ...this.undelivered.filter((u) => channelKey(u.id, u.channel) !== channelKey(id, channel)),
        deadLetter,
      ].slice(-UNDELIVERED_LIMIT);
    }
    return { complete: this.completeIfDone(id), ...(deadLetter ? { deadLetter } : {}) };
  }

  /** Records that a pending channel sent nothing on purpose (the owner opted out); true if the notice is complete. */
  skipChannel(id: string, channel: NoticeChannel, reason: string, at: string): boolean {
    const notice = this.find(id);
    if (notice?.channels?.[channel]?.status !== 'pending') return false;
    this.replace({ ...notice, channels: { ...notice.channels, [channel]: { status: 'skipped', at, detail: reason } } });
    return this.completeIfDone(id);
  }

  /** Dead letters matching the request, oldest first. */
  undeliveredMatching(request: RedeliverRequest): UndeliveredNotice[] {
    const ids = request.noticeIds && request.noticeIds.length > 0 ? new Set(request.noticeIds) : null;
    const since = request.since ? Date.parse(request.since) : null;
    return this.undelivered.filter(
      (u) => (ids === null || ids.has(u.id)) && (since === null || Date.parse(u.failedAt) >= since)
    );
  }

  /**
   * Queues the matching dead letters again on the channels that failed, with their ids unchanged; `unwanted`
   * says why one should not go out any more (it is then left where it is).
   */
  redeliver(request: RedeliverRequest, unwanted: (notice: Notice) => string | undefined): RedeliverAccepted {
    const result: RedeliverAccepted = { requeued: [], skipped: [] };
    for (const letter of this.undeliveredMatching(request)) {
      const { channel } = letter;
      const fields: Notice = {
        id: letter.id,
        type: letter.type,
        audience: letter.audience,
        at: letter.at,
        data: letter.data,
      };
      const reason = unwanted(fields);
      if (reason) {
        result.skipped.push({ id: letter.id, channel, reason });
        continue;
      }
      const queued = this.find(letter.id);
      const base: Notice = queued ?? { ...fields, channels: {} };
      this.replace(
        {
          ...base,
          channels: { ...base.channels, [channel]: { status: 'pending' } },
          redeliveries: (base.redeliveries ?? 0) + 1,
        },
        !queued
      );
      this.undelivered = this.undelivered.filter((u) => u !== letter);
      result.requeued.push(channelKey(letter.id, channel));
    }
    return result;
  }

  get size(): number {
    return this.notices.length;
  }

  get undeliveredCount(): number {
    return this.undelivered.length;
  }

  undeliveredView(): UndeliveredNotice[] {
    return [...this.undelivered];
  }

  snapshot(): { outbox: Notice[]; undelivered: UndeliveredNotice[] } {
    return { outbox: [...this.notices], undelivered: [...this.undelivered] };
  }

  private updatePending(id: string, channel: NoticeChannel, change: (d: ChannelDelivery) => ChannelDelivery): void {
    const found = this.pendingChannel(id, channel);
    if (!found) return;
    this.replace({ ...found.notice, channels: { ...found.notice.channels, [channel]: change(found.delivery) } });
  }

  private replace(notice: Notice, append = false): void {
    if (append) this.notices = [...this.notices, notice];
    else this.notices = this.notices.map((n) => (n.id === notice.id ? notice : n));
  }

  private completeIfDone(id: string): boolean {
    const notice = this.find(id);
    if (!notice?.channels || Object.values(notice.channels).some((d) => d.status === 'pending')) return false;
    this.done(id);
    return true;
  }
}
