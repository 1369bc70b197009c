/**
 * The dedupe window at its real length on the time-skipping test server: an identical body within an hour is
 * a redelivery and changes nothing; the same body after the hour is a new event (Mono resends identical
 * bodies for new occurrences, e.g. the next night's sync_failed).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Stack } from '../helpers/stack.js';
import { startTimeSkippingEnv, startTimeSkippingStack } from '../helpers/time-skipping.js';
import { newAccountId, webhookBody } from '../helpers/webhooks.js';

let env: TestWorkflowEnvironment;
let stack: Stack;

beforeAll(async () => {
  env = await startTimeSkippingEnv(inject('temporalTestServerPath'));
  stack = await startTimeSkippingStack(env, { settings: { dedupeWindowMs: 60 * 60_000 } });
});

afterAll(async () => {
  await stack?.stop();
  await env?.teardown();
});

describe('dedupe window (1h)', () => {
  it('when an identical body arrives within the hour it is ignored, after the hour it applies', async () => {
    const id = newAccountId();
    const reauth = webhookBody(id, { kind: 'reauthorisation_required' });
    await stack.post(reauth);

    await env.sleep('59m');
    expect((await stack.post(reauth)).status).toBe(200);
    expect(await stack.state(id)).toMatchObject({ state: 'reauth_required', counts: { duplicates: 1 } });

    await env.sleep('2m');
    expect((await stack.post(reauth)).status).toBe(200);
    expect(await stack.state(id)).toMatchObject({
      state: 'reauth_required',
      counts: { events: 3, duplicates: 1, unchanged: 1 },
    });
  });

  it('the same event again after the state moved on is applied: re-auth → reauthorised → re-auth within minutes', async () => {
    const id = newAccountId();
    const reauth = webhookBody(id, { kind: 'reauthorisation_required' });
    await stack.post(reauth);
    await stack.post(webhookBody(id, { kind: 'account_reauthorized' }));
    await env.sleep('1m');
    expect((await stack.post(reauth)).status).toBe(200);
    const view = await stack.state(id);
    expect(view).toMatchObject({ state: 'reauth_required', counts: { duplicates: 0 } });
    expect(view.history.filter((t) => t.from !== t.to).map((t) => t.to)).toEqual([
      'reauth_required',
      'reauthorised',
      'reauth_required',
    ]);
    // ...and a redelivery of that one, with nothing moved in between, is still a duplicate.
    expect((await stack.post(reauth)).status).toBe(200);
    expect(await stack.state(id)).toMatchObject({ state: 'reauth_required', counts: { duplicates: 1 } });
  });
});
