/** An `Account` for unit tests: notice ids counted per account, and a fixed random number (exact waits) unless given. */
import type { CarriedState } from '../../src/workflows/account-lifecycle/model/carried-state.js';
import { Account } from '../../src/workflows/account-lifecycle/model/account.js';
import { deferOutOfQuietHours } from '../../src/workflows/account-lifecycle/model/quiet-hours.js';
import type { ResolvedSettings } from '../../src/workflows/account-lifecycle/model/settings.js';

export function testAccount(
  settings: ResolvedSettings,
  carried?: CarriedState,
  options: { accountId?: string; random?: () => number } = {}
): Account {
  const accountId = options.accountId ?? 'acc1';
  let ids = carried ? carried.history.length + carried.outbox.length + carried.undelivered.length : 0;
  return Account.restore(accountId, settings, carried, {
    newNoticeId: () => `msg_${accountId}_${++ids}`,
    random: options.random ?? (() => 0),
  });
}

/** Runs the re-auth timers at `nowMs` as the loop does: quiet hours worked out beside the account. */
export function runReauthTimers(account: Account, nowMs: number): boolean {
  const quiet = account.reauthReminders.quietHoursCheck(nowMs);
  const end = quiet ? deferOutOfQuietHours(nowMs, quiet.window, quiet.timeZone) : null;
  return account.reauthReminders.run(nowMs, end);
}

/** Takes every queued notice out of the outbox (as delivering them would) and returns their types, oldest first. */
export function drainNotices(account: Account): string[] {
  const queued = account.view(0).notices.pending;
  for (const notice of queued) account.outbox.done(notice.id);
  return queued.map((n) => n.type);
}
