/**
 * The loop of runs recorded before per-channel delivery (`notices-per-channel-v1`): one effect at a time, every
 * channel of a notice in one activity. Frozen but for checks with Mono (`mono-checks-v1`, which such runs adopt
 * when they meet a check): it replays those runs; new runs use concurrent-loop.ts. It can be removed once no run
 * without that patch is open (README, "Changing the workflow safely").
 */
import { condition, log } from '@temporalio/workflow';
import { Alarm } from './alarm.js';
import { CHECKS_PATCH, runCheck } from './checks.js';
import { lookUpInstitution, runManualSync, sendNotice } from './effects.js';
import type { LoopContext } from './loop-context.js';
import type { AccountView } from './model/types.js';

export async function sequentialLoop(ctx: LoopContext, notifies: boolean): Promise<AccountView> {
  const { account } = ctx;
  let institutionLookedUp = false;
  const alarm = new Alarm();
  for (;;) {
    ctx.publisher.ifChanged();
    if (ctx.isClosed()) return ctx.view();
    if (ctx.rotate()) return ctx.continueAsNewNow();
    if (!institutionLookedUp && account.state !== null && account.institution === null) {
      institutionLookedUp = true;
      account.setInstitution(await lookUpInstitution(ctx.accountId, ctx.features));
      continue;
    }
    if (account.pendingCheck() && ctx.features.has(CHECKS_PATCH)) {
      await runCheck(account, ctx.accountId);
      continue;
    }
    if (notifies && account.runReauthTimers(Date.now())) continue;
    const notice = notifies ? account.nextNotice() : undefined;
    if (notice) {
      const failure = await sendNotice(notice, account.getContact());
      account.noticeDone(notice.id, failure, Date.now());
      continue;
    }
    if (account.syncDue(Date.now())) {
      const startedIn = account.beginSync(Date.now());
      const outcome = await runManualSync(ctx.accountId, ctx.features);
      const moved = account.finishSync(outcome, startedIn, Date.now());
      log.info('manual sync finished', { outcome: outcome.outcome, ...(moved ? { to: moved.to } : {}) });
      continue;
    }
    // Runs without notifications wake only for syncs: their histories have no reminder timers.
    alarm.set(notifies ? account.nextWakeMs() : account.nextSyncAtMs());
    const seen = ctx.wakeups();
    await condition(() => ctx.wakeups() !== seen || alarm.rang || ctx.rotate());
    alarm.take();
  }
}
