/** What the simulator saw of its callers: the call log and the Mono API requests per second. */

export interface SimulatorCall {
  at: string;
  method: string;
  path: string;
  accountId: string | null;
  status: number;
  code?: string;
}

/** Requests to the Mono API (not the control API) per wall-clock second. */
export interface SimRate {
  total: number;
  maxPerSecond: number;
  seconds: number;
  /** [epoch second, requests] for every second with at least one request. */
  perSecond: Array<[number, number]>;
}

/** The log keeps the latest calls only, so that a long run does not grow without bound. */
const MAX_CALLS = 10_000;

export class SimTraffic {
  /** One array for the simulator's life: callers hold it and may empty it. */
  readonly calls: SimulatorCall[] = [];
  private readonly perSecond = new Map<number, number>();

  constructor(private readonly now: () => number) {}

  record(call: Omit<SimulatorCall, 'at'>): void {
    const { method, path, accountId, status, code } = call;
    this.calls.push({
      at: new Date(this.now()).toISOString(),
      method,
      path,
      accountId,
      status,
      ...(code ? { code } : {}),
    });
    if (this.calls.length > MAX_CALLS) this.calls.splice(0, this.calls.length - MAX_CALLS);
  }

  clearCalls(): void {
    this.calls.length = 0;
  }

  /** Counts one Mono API request in the current second. */
  countRequest(): void {
    const second = Math.floor(this.now() / 1000);
    this.perSecond.set(second, (this.perSecond.get(second) ?? 0) + 1);
  }

  rate(): SimRate {
    const entries = [...this.perSecond.entries()].sort((a, b) => a[0] - b[0]);
    return {
      total: entries.reduce((sum, [, n]) => sum + n, 0),
      maxPerSecond: entries.reduce((max, [, n]) => Math.max(max, n), 0),
      seconds: entries.length,
      perSecond: entries,
    };
  }

  resetRate(): void {
    this.perSecond.clear();
  }
}
