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
    const failed = webhookBody(id, { kind: 'sync_failed' });
    await stack.post(failed);
    await stack.post(webhookBody(id, { kind: 'account_synced' }));

    await env.sleep('59m');
    expect((await stack.post(failed)).status).toBe(200);
    expect(await stack.state(id)).toMatchObject({ state: 'synced', counts: { duplicates: 1 } });

    await env.sleep('2m');
    expect((await stack.post(failed)).status).toBe(200);
    const view = await stack.state(id);
    expect(view).toMatchObject({ state: 'sync_failed', counts: { duplicates: 1, events: 4 } });
    const entered = Date.parse(view.history.at(-1)!.at) - Date.parse(view.history[0]!.at);
    expect(entered).toBeGreaterThanOrEqual(61 * 60_000);
  });
});
