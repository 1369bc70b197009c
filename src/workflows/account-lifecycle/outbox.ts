/**
 * Messages the account decided to send and the notifier has not yet taken. Each gets an id that stays the
 * same across delivery retries, so receivers that dedupe by id never see one message twice.
 */
import type { Notice, NoticeType } from './types.js';

export class Outbox {
  constructor(
    private readonly accountId: string,
    private notices: Notice[] = [],
    private seq = 0
  ) {}

  add(type: NoticeType, audience: Notice['audience'], at: string, data: Omit<Notice['data'], 'accountId'>): Notice {
    this.seq += 1;
    const notice: Notice = {
      id: `msg_${this.accountId}_${this.seq}`,
      type,
      audience,
      at,
      data: { accountId: this.accountId, ...data },
    };
    this.notices.push(notice);
    return notice;
  }

  /** The oldest message not yet handed to the notifier. */
  next(): Notice | undefined {
    return this.notices[0];
  }

  done(id: string): void {
    this.notices = this.notices.filter((n) => n.id !== id);
  }

  get size(): number {
    return this.notices.length;
  }

  snapshot(): { outbox: Notice[]; noticeSeq: number } {
    return { outbox: [...this.notices], noticeSeq: this.seq };
  }
}
