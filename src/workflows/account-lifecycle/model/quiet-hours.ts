/**
 * Quiet hours (`NOTIFY_QUIET_HOURS`, e.g. `21:00-08:00`) in the owner's time zone: a reminder due inside the
 * window is deferred to its end, never dropped. Pure; uses only Intl, so it runs in the workflow sandbox.
 */
/** `HH:MM-HH:MM`, e.g. `21:00-08:00`. */
export const QUIET_HOURS_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$/;
const DAY_SECONDS = 86_400;

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** Seconds since local midnight in `timeZone`. */
function localSecondOfDay(atMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hourCycle: 'h23',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(new Date(atMs));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get('hour') * 3600 + get('minute') * 60 + get('second');
}

/** `atMs` if it is outside the quiet window in `timeZone`, otherwise the moment the window ends. */
export function deferOutOfQuietHours(atMs: number, window: string, timeZone: string): number {
  const m = QUIET_HOURS_PATTERN.exec(window);
  if (!m) return atMs;
  const start = Number(m[1]) * 3600 + Number(m[2]) * 60;
  const end = Number(m[3]) * 3600 + Number(m[4]) * 60;
  if (start === end) return atMs;
  const now = localSecondOfDay(atMs, timeZone);
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return atMs;
  const wait = (end - now + DAY_SECONDS) % DAY_SECONDS;
  return atMs - (atMs % 1000) + wait * 1000;
}
