/** What a lifecycle loop needs from the workflow that runs it. Sandbox code. */
import type { Account } from './model/account.js';
import type { Features } from './features.js';
import type { Publisher } from './publisher.js';
import type { AccountView } from './model/types.js';

export interface LoopContext {
  accountId: string;
  account: Account;
  /** The patches this run has (features.ts). */
  features: Features;
  publisher: Publisher;
  /** How many times handlers (or finished effects) changed something; the loop waits for it to move. */
  wakeups(): number;
  /** Counts a change, so that the loop wakes. */
  wake(): void;
  isClosed(): boolean;
  /** True when the run's history has reached its budget. */
  rotate(): boolean;
  /** Continues as new with the account's state (after handlers finish); returns the view if it closed instead. */
  continueAsNewNow(): Promise<AccountView>;
  view(): AccountView;
  /** The notify retry span of the current settings. */
  notifyRetryForMs(): number;
}
