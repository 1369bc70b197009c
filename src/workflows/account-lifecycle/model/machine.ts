/**
 * The account lifecycle's transition table (docs/architecture.md, "The account workflow", has it as a table) as one
 * pure function. No Temporal, no clock: the workflow applies it, the unit tests check every (state, event) pair, and
 * the property test uses it as the oracle for what the workflow may do.
 */
import type { AccountEvent, AccountState, DataStatus } from './types.js';

/** What an event does to a state: the next state, and whether that is a change. */
export interface Outcome {
  to: AccountState;
  changed: boolean;
}

type EventFacts = Pick<AccountEvent, 'kind' | 'dataStatus'>;

/**
 * Applies one event to the current state. `from` is null before the account's first event.
 * Events after `unlinked` change nothing (the workflow has completed by then anyway).
 */
export function transition(from: AccountState | null, event: EventFacts): Outcome {
  if (from === 'unlinked') return same(from);
  const to = target(from, event);
  return to === null || to === from ? same(from ?? 'connected', from === null) : { to, changed: true };
}

function same(state: AccountState, changed = false): Outcome {
  return { to: state, changed };
}

/** The state an event asks for, or null for "no change". */
function target(from: AccountState | null, event: EventFacts): AccountState | null {
  switch (event.kind) {
    case 'account_connected':
      return from === null ? 'connected' : null;
    case 'account_updated':
      return afterAccountUpdated(from, event.dataStatus);
    case 'account_synced':
      return 'synced';
    case 'sync_failed':
      return from === 'reauth_required' ? null : 'sync_failed';
    case 'reauthorisation_required':
      return 'reauth_required';
    case 'account_reauthorized':
      return from === 'synced' ? null : 'reauthorised';
    case 'account_unlinked':
      return 'unlinked';
    default:
      return assertNever(event.kind);
  }
}

function afterAccountUpdated(from: AccountState | null, status: DataStatus | undefined): AccountState | null {
  switch (status) {
    case 'available':
    case 'partial':
      return 'synced';
    case 'failed':
    case 'unavailable':
      return from === 'reauth_required' ? null : 'sync_failed';
    case 'processing':
    case undefined:
      return from === null ? 'connected' : null;
    default:
      return assertNever(status);
  }
}

/** The history `cause` for an event, e.g. `account_updated:failed`. */
export function causeOf(event: EventFacts): string {
  return event.kind === 'account_updated' && event.dataStatus ? `${event.kind}:${event.dataStatus}` : event.kind;
}

function assertNever(value: never): never {
  throw new Error(`unhandled value ${String(value)}`);
}
