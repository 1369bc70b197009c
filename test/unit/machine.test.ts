/** The transition table (docs/architecture.md, "The account workflow"), every (state, event) pair spelled out independently of the code. */
import { describe, expect, it } from 'vitest';
import { causeOf, transition } from '../../src/workflows/account-lifecycle/model/machine.js';
import type { AccountState, DataStatus, MonoEventKind } from '../../src/workflows/account-lifecycle/model/types.js';

type Col = [MonoEventKind, DataStatus?];
const EVENTS: Record<string, Col> = {
  connected: ['account_connected'],
  'updated:available': ['account_updated', 'available'],
  'updated:partial': ['account_updated', 'partial'],
  'updated:processing': ['account_updated', 'processing'],
  'updated:failed': ['account_updated', 'failed'],
  'updated:unavailable': ['account_updated', 'unavailable'],
  synced: ['account_synced'],
  sync_failed: ['sync_failed'],
  reauth_req: ['reauthorisation_required'],
  reauthorized: ['account_reauthorized'],
  unlinked: ['account_unlinked'],
};

// '=' means "no change". Rows: the current state (null = no event yet); columns: EVENTS in order.
const TABLE: Array<[AccountState | null, string[]]> = [
  [
    null,
    [
      'connected',
      'synced',
      'synced',
      'connected',
      'sync_failed',
      'sync_failed',
      'synced',
      'sync_failed',
      'reauth_required',
      'reauthorised',
      'unlinked',
    ],
  ],
  [
    'connected',
    [
      '=',
      'synced',
      'synced',
      '=',
      'sync_failed',
      'sync_failed',
      'synced',
      'sync_failed',
      'reauth_required',
      'reauthorised',
      'unlinked',
    ],
  ],
  [
    'synced',
    ['=', '=', '=', '=', 'sync_failed', 'sync_failed', '=', 'sync_failed', 'reauth_required', '=', 'unlinked'],
  ],
  [
    'sync_failed',
    ['=', 'synced', 'synced', '=', '=', '=', 'synced', '=', 'reauth_required', 'reauthorised', 'unlinked'],
  ],
  ['reauth_required', ['=', 'synced', 'synced', '=', '=', '=', 'synced', '=', '=', 'reauthorised', 'unlinked']],
  [
    'reauthorised',
    [
      '=',
      'synced',
      'synced',
      '=',
      'sync_failed',
      'sync_failed',
      'synced',
      'sync_failed',
      'reauth_required',
      '=',
      'unlinked',
    ],
  ],
  ['unlinked', ['=', '=', '=', '=', '=', '=', '=', '=', '=', '=', '=']],
];

const cases = TABLE.flatMap(([from, row]) =>
  Object.entries(EVENTS).map(([name, [kind, dataStatus]], i) => ({ from, name, kind, dataStatus, expected: row[i]! }))
);

describe('transition', () => {
  it('covers every state and every event variant', () => {
    expect(cases).toHaveLength(7 * 11);
  });

  it.each(cases)('from $from on $name → $expected', ({ from, kind, dataStatus, expected }) => {
    const outcome = transition(from, { kind, dataStatus });
    if (expected === '=') {
      expect(outcome).toEqual({ to: from, changed: false });
    } else {
      expect(outcome).toEqual({ to: expected, changed: true });
    }
  });
});

describe('causeOf', () => {
  it('names account_updated with its data status and other events by name', () => {
    expect(causeOf({ kind: 'account_updated', dataStatus: 'failed' })).toBe('account_updated:failed');
    expect(causeOf({ kind: 'sync_failed' })).toBe('sync_failed');
  });
});
