/**
 * Signals sent by hand with the `temporal` CLI, as anyone with write access to Temporal (or its Web UI) could: an
 * event for another account and a contact that is not an address are ignored (with a log line); the account goes
 * on as before. Real dev server, real CLI process.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

const run = promisify(execFile);
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ address: inject('temporalAddress') });
});
afterAll(async () => stack?.stop());

const signal = (accountId: string, name: string, input: unknown) =>
  run(inject('temporalCliPath'), [
    'workflow',
    'signal',
    '--address',
    inject('temporalAddress'),
    '--workflow-id',
    workflowIdFor(accountId),
    '--name',
    name,
    '--input',
    JSON.stringify(input),
  ]);

it('ignores a monoEvent for another account and a setContact that is not an address', async () => {
  const id = newAccountId();
  expect((await stack.post(webhookBody(id, { kind: 'reauthorisation_required' }))).status).toBe(200);
  await eventually(
    () => stack.state(id),
    (v) => v.state === 'reauth_required'
  );
  await signal(id, 'monoEvent', {
    kind: 'account_unlinked',
    accountId: newAccountId(),
    deliveryKey: 'forged',
    receivedAt: new Date().toISOString(),
  });
  await signal(id, 'setContact', { email: 'not an address', timeZone: 'Africa/Lagos' });
  await signal(id, 'setContact', { email: 'attacker@example' });
  // The same event for its own account id is applied (the check is the account id, not the sender); signals are
  // handled in order, so once it shows, the forged ones before it have been handled too.
  await signal(id, 'monoEvent', {
    kind: 'account_reauthorized',
    accountId: id,
    deliveryKey: 'by-hand',
    receivedAt: new Date().toISOString(),
  });
  const view = await eventually(
    () => stack.state(id),
    (v) => v.state === 'reauthorised'
  );
  expect(view.counts.events).toBe(2);
  expect(view.history.map((t) => t.to)).toEqual(['reauth_required', 'reauthorised']);
  expect(view.contact).toEqual({ email: false, timeZone: null });
});
