/**
 * One durable timer that is re-armed only when its deadline changes. The loop would otherwise cancel and
 * restart a timer on every wake-up (two history events per webhook), eating into the run's history budget.
 */
import { CancellationScope, isCancellation, sleep } from '@temporalio/workflow';

export class Alarm {
  private scope: CancellationScope | null = null;
  private atMs: number | null = null;
  /** True once the armed deadline has passed; cleared by `take()`. */
  rang = false;

  /** Arms the alarm for `atMs` (epoch ms), or disarms it with null. Same deadline: nothing happens. */
  set(atMs: number | null): void {
    if (atMs === this.atMs) return;
    this.scope?.cancel();
    this.scope = null;
    this.atMs = atMs;
    this.rang = false;
    if (atMs === null) return;
    const scope = new CancellationScope();
    this.scope = scope;
    scope
      .run(() => sleep(Math.max(atMs - Date.now(), 1)))
      .then(
        () => {
          if (this.scope === scope) this.rang = true;
        },
        (err: unknown) => {
          if (!isCancellation(err)) throw err;
        }
      );
  }

  /** Returns whether it rang, and re-arms on the next `set` even for the same deadline. */
  take(): boolean {
    const rang = this.rang;
    if (rang) {
      this.rang = false;
      this.atMs = null;
      this.scope = null;
    }
    return rang;
  }
}
