/**
 * The memory of recent webhook deliveries, so a redelivered webhook changes nothing. Bounded in size and in
 * time (the dedupe window); oldest keys are forgotten first. Pure: time is passed in.
 */
export const DELIVERY_MEMORY_LIMIT = 256;

/** A delivery key and when it was first seen (epoch ms), as carried across continue-as-new. */
export type DeliveryEntry = [key: string, firstSeenMs: number];

export class DeliveryMemory {
  private readonly seen = new Map<string, number>();

  constructor(entries: readonly DeliveryEntry[] = []) {
    for (const [key, at] of entries) this.seen.set(key, at);
  }

  /** True when `key` was seen less than `windowMs` before `nowMs`. */
  isRedelivery(key: string, nowMs: number, windowMs: number): boolean {
    const at = this.seen.get(key);
    return at !== undefined && nowMs - at < windowMs;
  }

  /** Remembers `key` as seen now, dropping expired keys and the oldest beyond the limit. */
  remember(key: string, nowMs: number, windowMs: number): void {
    this.seen.delete(key);
    this.seen.set(key, nowMs);
    for (const [oldKey, at] of this.seen) {
      if (this.seen.size <= DELIVERY_MEMORY_LIMIT && nowMs - at < windowMs) break;
      this.seen.delete(oldKey);
    }
  }

  /** The keys still inside the window at `nowMs`, oldest first. */
  entries(nowMs: number, windowMs: number): DeliveryEntry[] {
    return [...this.seen].filter(([, at]) => nowMs - at < windowMs);
  }
}
