/**
 * The memory of recent webhook deliveries, so a redelivered webhook changes nothing. Bounded in size and in
 * time (the dedupe window); oldest keys are forgotten first. Pure: time is passed in.
 */
export const DELIVERY_MEMORY_LIMIT = 256;

/** A delivery key, when it was first seen (epoch ms) and how many state changes the account had made once it was applied. */
export type DeliveryEntry = [key: string, firstSeenMs: number, stateChanges: number];

export class DeliveryMemory {
  private readonly seen = new Map<string, { at: number; stateChanges: number }>();

  constructor(entries: readonly DeliveryEntry[] = []) {
    for (const [key, at, stateChanges] of entries) this.seen.set(key, { at, stateChanges });
  }

  /**
   * True when `key` was seen less than `windowMs` before `nowMs` and the state has not moved since: a key seen
   * before the state last moved is the same event happening again (re-auth → reauthorised → re-auth has
   * identical bodies), not a redelivery.
   */
  isRedelivery(key: string, nowMs: number, windowMs: number, stateChanges: number): boolean {
    const entry = this.seen.get(key);
    return entry !== undefined && nowMs - entry.at < windowMs && entry.stateChanges === stateChanges;
  }

  /** Remembers `key` as seen now, dropping expired keys and the oldest beyond the limit. */
  remember(key: string, nowMs: number, windowMs: number, stateChanges: number): void {
    this.seen.delete(key);
    this.seen.set(key, { at: nowMs, stateChanges });
    for (const [oldKey, { at }] of this.seen) {
      if (this.seen.size <= DELIVERY_MEMORY_LIMIT && nowMs - at < windowMs) break;
      this.seen.delete(oldKey);
    }
  }

  /** The keys still inside the window at `nowMs`, oldest first. */
  entries(nowMs: number, windowMs: number): DeliveryEntry[] {
    return [...this.seen]
      .filter(([, { at }]) => nowMs - at < windowMs)
      .map(([key, { at, stateChanges }]): DeliveryEntry => [key, at, stateChanges]);
  }
}
