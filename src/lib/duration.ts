/**
 * Durations as operators write them in configuration: `90s`, `10m`, `2h`, `7d` (also `500ms`).
 * Pure and shared by config parsing and tests; the workflow receives plain milliseconds.
 */
const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d+)(ms|s|m|h|d)$/;

/** Parses one duration; throws an Error that quotes the accepted forms. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration; write it like 90s, 10m, 2h or 7d`);
  const value = Number(match[1]);
  const unit = match[2] as keyof typeof UNIT_MS;
  return value * UNIT_MS[unit];
}

/** Parses a comma-separated list such as `2m,10m,30m`. Empty items are an error. */
export function parseDurationList(text: string): number[] {
  return text.split(',').map((item) => parseDuration(item));
}

/** Formats milliseconds back into the largest exact unit, for messages and logs. */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}
