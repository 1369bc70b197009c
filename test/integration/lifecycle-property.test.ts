/**
 * Property: whatever Mono sends, in whatever order, with whatever redeliveries, the workflow ends in the state
 * the transition table gives for the distinct deliveries, every recorded transition is one the table allows,
 * and no workflow task fails because of our code.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { transition } from '../../src/workflows/account-lifecycle/model/machine.js';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import {
  DATA_STATUSES,
  MONO_EVENT_KINDS,
  type AccountState,
  type AccountView,
  type DataStatus,
  type MonoEventKind,
} from '../../src/workflows/account-lifecycle/model/types.js';
import { startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody, type EventSpec } from '../helpers/webhooks.js';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ address: inject('temporalAddress') });
});
afterAll(async () => {
  await stack?.stop();
});

const eventSpec: fc.Arbitrary<EventSpec & { variant: number }> = fc.record({
  kind: fc.constantFrom(...MONO_EVENT_KINDS.filter((k) => k !== 'account_unlinked'), ...MONO_EVENT_KINDS), // unlink rarer
  dataStatus: fc.constantFrom(...DATA_STATUSES),
  updated: fc.boolean(),
  variant: fc.nat(3),
});

/** Steps: a new delivery, or a redelivery of an earlier one (by index). */
const step = fc.oneof(
  { weight: 3, arbitrary: eventSpec.map((spec) => ({ spec })) },
  { weight: 1, arbitrary: fc.nat(50).map((redeliver) => ({ redeliver })) }
);

/**
 * The oracle: the transition table folded over the deliveries in order, nothing after unlink. A body seen before
 * is a redelivery while the state has not changed since it was applied; after a change it is the same event
 * happening again.
 */
function expectedState(bodies: string[]): AccountState | null {
  const appliedAt = new Map<string, number>();
  let changes = 0;
  let state: AccountState | null = null;
  for (const body of bodies) {
    if (appliedAt.get(body) === changes) continue;
    const parsed = JSON.parse(body) as { event: string; data: { meta?: { data_status?: string } } };
    const kind = parsed.event.replace('mono.events.', '') as MonoEventKind;
    const dataStatus = parsed.data.meta?.data_status?.toLowerCase() as DataStatus | undefined;
    const next = transition(state, { kind, dataStatus });
    if (next.changed) changes += 1;
    state = next.to;
    appliedAt.set(body, changes);
    if (state === 'unlinked') break;
  }
  return state;
}

it('random event sequences with duplicates and reorderings leave the workflow in a state the table allows', async () => {
  await fc.assert(
    fc.asyncProperty(eventSpec, fc.array(step, { maxLength: 13 }), async (firstSpec, rest) => {
      const accountId = newAccountId();
      const bodies: string[] = [];
      for (const s of [{ spec: firstSpec }, ...rest]) {
        const body =
          'spec' in s
            ? JSON.stringify(webhookBody(accountId, s.spec, s.spec.variant))
            : bodies[s.redeliver % bodies.length]!;
        bodies.push(body);
        const res = await stack.postRaw(body);
        expect(res.status).toBe(200);
      }

      const handle = stack.client.workflow.getHandle(workflowIdFor(accountId));
      const expected = expectedState(bodies);
      let view: AccountView;
      if (expected === 'unlinked') {
        view = (await handle.result()) as AccountView;
      } else {
        view = await handle.query<AccountView>('state');
      }
      expect(view.state).toBe(expected);

      // Every recorded transition is a changing row of the table, and they chain (entries with from = to record
      // actions, such as notices dropped).
      let previous: AccountState | null = null;
      for (const t of view.history.filter((entry) => entry.from !== entry.to)) {
        expect(t.from).toBe(previous);
        const [kind, dataStatus] = t.cause.split(':') as [MonoEventKind, DataStatus | undefined];
        expect(transition(t.from, { kind, dataStatus })).toEqual({ to: t.to, changed: true });
        previous = t.to;
      }
      expect(previous).toBe(expected);

      // No workflow task failed, except the server's own benign rejection of a completion that raced a new signal.
      const history = await handle.fetchHistory();
      const failures = (history.events ?? []).filter((e) => e.workflowTaskFailedEventAttributes);
      for (const f of failures) {
        expect(String(f.workflowTaskFailedEventAttributes?.cause)).toMatch(/UNHANDLED_COMMAND|^1$/);
      }
    }),
    { numRuns: 30 }
  );
}, 300_000);
