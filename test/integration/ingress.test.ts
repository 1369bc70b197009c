/**
 * POST /webhooks/mono against a real dev server: the seed payloads verbatim, every response code of
 * the webhook contract (docs/architecture.md), state through the `state` query and through a visibility search on MonoAccountState.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { eventually, startStack, type Stack } from '../helpers/stack.js';
import {
  newAccountId,
  SEED_ACCOUNT_REAUTHORIZED,
  SEED_ACCOUNT_SYNCED,
  SEED_ACCOUNT_UPDATED,
  SEED_REAUTH_REQUIRED,
  SEED_SYNC_FAILED,
  TEST_SECRET,
  webhookBody,
} from '../helpers/webhooks.js';

let stack: Stack;
const logs: string[] = [];

beforeAll(async () => {
  stack = await startStack({ address: inject('temporalAddress'), secrets: ['old-secret', TEST_SECRET], logs });
});
afterAll(async () => {
  await stack?.stop();
});

/** Visibility is eventually consistent: wait until the search finds the workflow. */
async function searchByState(accountId: string, state: string): Promise<string[]> {
  return eventually(
    async () => {
      const ids: string[] = [];
      for await (const wf of stack.client.workflow.list({
        query: `MonoAccountState = '${state}' AND WorkflowId = '${workflowIdFor(accountId)}'`,
      })) {
        ids.push(wf.workflowId);
      }
      return ids;
    },
    (ids) => ids.length === 1
  );
}

describe('POST /webhooks/mono with the seed documents verbatim', () => {
  it('when the seed sync_failed, reauthorisation_required and account_reauthorized arrive, then the account walks through those states', async () => {
    const id = SEED_REAUTH_REQUIRED.data.account._id;
    expect((await stack.post(SEED_SYNC_FAILED)).status).toBe(200);
    expect((await stack.state(id)).state).toBe('sync_failed');

    expect(await stack.post(SEED_REAUTH_REQUIRED)).toMatchObject({
      status: 200,
      json: { ok: true, workflowId: `mono-account-${id}` },
    });
    expect((await stack.state(id)).state).toBe('reauth_required');
    await searchByState(id, 'reauth_required');

    expect((await stack.post(SEED_ACCOUNT_REAUTHORIZED)).status).toBe(200);
    const view = await stack.state(id);
    expect(view).toMatchObject({ accountId: id, state: 'reauthorised', escalated: false, attempts: 0 });
    expect(view.history.filter((t) => t.from !== t.to).map((t) => [t.from, t.to, t.cause])).toEqual([
      [null, 'sync_failed', 'sync_failed'],
      ['sync_failed', 'reauth_required', 'reauthorisation_required'],
      ['reauth_required', 'reauthorised', 'account_reauthorized'],
    ]);
    await searchByState(id, 'reauthorised');
  });

  it('when the seed account_synced (account id as a string) arrives, then the account is synced', async () => {
    expect((await stack.post(SEED_ACCOUNT_SYNCED)).status).toBe(200);
    const view = await stack.state(SEED_ACCOUNT_SYNCED.data.account);
    expect(view.state).toBe('synced');
    await searchByState(SEED_ACCOUNT_SYNCED.data.account, 'synced');
  });

  it('when the seed account_updated (AVAILABLE, upper case) arrives, then the account is synced, the institution is recorded and no PII enters Temporal', async () => {
    const id = SEED_ACCOUNT_UPDATED.data.account._id;
    expect((await stack.post(SEED_ACCOUNT_UPDATED)).status).toBe(200);
    const view = await stack.state(id);
    expect(view).toMatchObject({ state: 'synced', institution: 'ALAT by WEMA' });

    const handle = stack.client.workflow.getHandle(workflowIdFor(id));
    // Payload bytes serialise as base64 strings; decode every one so the search covers what Temporal stores.
    const history = JSON.stringify(await handle.fetchHistory());
    const decoded = [...history.matchAll(/"data":"([A-Za-z0-9+/=]+)"/g)].map((m) =>
      Buffer.from(m[1]!, 'base64').toString('utf8')
    );
    const everything = `${history}\n${decoded.join('\n')}`;
    expect(everything).toContain('ALAT by WEMA'); // the decoded payloads are really searched
    for (const pii of ['Samuel Olamide', '0131883461', '"9422"']) expect(everything).not.toContain(pii);
    // The balance as a number of its own: task ids and timestamps are long digit runs that may contain it.
    expect(everything).not.toMatch(/(^|[^0-9])22644([^0-9]|$)/);

    const described = await eventually(
      () => handle.describe(),
      (d) => d.typedSearchAttributes.getAll().length >= 4
    );
    expect(described.memo).toMatchObject({ service: 'mono-reauth', accountId: id, firstEvent: 'account_updated' });
    expect(described.searchAttributes).toMatchObject({
      MonoInstitution: ['ALAT by WEMA'],
      MonoAccountState: ['synced'],
      MonoEscalated: [false],
    });
  });
});

describe('POST /webhooks/mono refusals', () => {
  it('when the secret header is missing or wrong, then 401 and no workflow is started', async () => {
    const id = newAccountId();
    const body = webhookBody(id, { kind: 'sync_failed' });
    const missing = await stack.post(body, { 'mono-webhook-secret': '' });
    const wrong = await stack.post(body, { 'mono-webhook-secret': 'nope' });
    expect([missing.status, wrong.status]).toEqual([401, 401]);
    expect(wrong.json.error).toMatch(/mono-webhook-secret/);
    await expect(stack.state(id)).rejects.toThrow(/not found/i);
  });

  it('when the secret header is absent altogether, then 401', async () => {
    const res = await fetch(`${stack.baseUrl}/webhooks/mono`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(webhookBody(newAccountId(), { kind: 'sync_failed' })),
    });
    expect(res.status).toBe(401);
  });

  it('when the body nests absurdly deep, then 400 (not a crash)', async () => {
    const deep = `${'['.repeat(60_000)}${']'.repeat(60_000)}`;
    const res = await stack.postRaw(`{"event":"mono.events.sync_failed","data":{"account":{"_id":"a1"},"x":${deep}}}`);
    expect(res).toEqual({ status: 400, json: { error: 'body nests deeper than 32 levels' } });
  });

  it('when an invalid _id sits beside a valid id, then 400: both are checked', async () => {
    const res = await stack.post({
      event: 'mono.events.sync_failed',
      data: { account: { _id: 'Samuel Olamide', id: 'abc' } },
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(res.json)).not.toContain('Samuel');
  });

  it('when the second (rotated) secret is presented, then it is accepted', async () => {
    const res = await stack.post(webhookBody(newAccountId(), { kind: 'account_connected' }), {
      'mono-webhook-secret': 'old-secret',
    });
    expect(res.status).toBe(200);
  });

  it('when the body is not JSON, then 400 with a JSON error', async () => {
    const res = await stack.postRaw('{"event": ');
    expect(res).toEqual({ status: 400, json: { error: 'body is not valid JSON' } });
  });

  it('when a known event has the wrong shape, then 400 names the field and does not echo values', async () => {
    const res = await stack.post({
      event: 'mono.events.account_updated',
      data: { meta: { data_status: 'SECRET-ISH' }, account: { _id: 'abc123', name: 'Samuel Olamide' } },
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(/data\.meta\.data_status/);
    expect(JSON.stringify(res.json)).not.toMatch(/SECRET-ISH|Samuel/);
    const noId = await stack.post({ event: 'mono.events.sync_failed', data: { account: {} } });
    expect(noId.status).toBe(400);
  });

  it('when the envelope is wrong, then 400', async () => {
    expect((await stack.post({ data: {} })).status).toBe(400);
    expect((await stack.post({ event: 'mono.events.sync_failed', data: 'x' })).status).toBe(400);
  });

  it('when the body is larger than 256 KiB, then 413', async () => {
    const padding = 'x'.repeat(256 * 1024);
    const res = await stack.post({ event: 'mono.events.sync_failed', data: { account: { _id: 'a1' }, padding } });
    expect(res).toEqual({ status: 413, json: { error: 'body is larger than 256 KiB' } });
  });

  it('when the event is unknown, then 200 {ignored:true} and nothing is started', async () => {
    const res = await stack.post({ event: 'mono.events.webhook_test', data: { account: { _id: 'ignored1' } } });
    expect(res).toEqual({ status: 200, json: { ignored: true } });
    await expect(stack.state('ignored1')).rejects.toThrow(/not found/i);
  });
});

describe('duplicates and the terminal state', () => {
  it('when the same body is delivered twice, then the second delivery changes nothing', async () => {
    const id = newAccountId();
    await stack.post(webhookBody(id, { kind: 'account_connected' }));
    await stack.post(webhookBody(id, { kind: 'sync_failed' }));
    const before = await stack.state(id);
    const again = await stack.post(webhookBody(id, { kind: 'sync_failed' }));
    expect(again.status).toBe(200);
    const after = await stack.state(id);
    expect(after.state).toBe('sync_failed');
    expect(after.history).toEqual(before.history);
    expect(after.counts.duplicates).toBe(before.counts.duplicates + 1);
    expect(after.lastEvent?.outcome).toBe('duplicate');
  });

  it('when account_unlinked arrives, then the workflow completes and later webhooks are acknowledged as ignored', async () => {
    const id = newAccountId();
    await stack.post(webhookBody(id, { kind: 'account_connected' }));
    await stack.post(webhookBody(id, { kind: 'account_unlinked' }));
    const handle = stack.client.workflow.getHandle(workflowIdFor(id));
    const result = (await handle.result()) as { state: string };
    expect(result.state).toBe('unlinked');
    const late = await stack.post(webhookBody(id, { kind: 'sync_failed' }));
    expect(late).toMatchObject({ status: 200, json: { ignored: true, reason: 'account is unlinked' } });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });
});

describe('logs', () => {
  it('carry the correlation of webhook to workflow and never PII or secrets', async () => {
    await stack.post(SEED_ACCOUNT_UPDATED);
    await stack.post(SEED_ACCOUNT_UPDATED, { 'mono-webhook-secret': 'wrong-secret-value' });
    await stack.post({
      ...SEED_ACCOUNT_UPDATED,
      data: { ...SEED_ACCOUNT_UPDATED.data, meta: { data_status: 'bogus' } },
    });
    const text = logs.join('');
    expect(text).toContain('"workflowId":"mono-account-5f171a5301abca1153"');
    expect(text).toContain('webhook rejected: missing or wrong mono-webhook-secret');
    for (const forbidden of [
      'Samuel Olamide',
      '0131883461',
      '22644',
      TEST_SECRET,
      'old-secret',
      'wrong-secret-value',
    ]) {
      expect(text).not.toContain(forbidden);
    }
  });
});

describe('health', () => {
  it('answers /healthz and /readyz', async () => {
    expect((await fetch(`${stack.baseUrl}/healthz`)).status).toBe(200);
    expect(await (await fetch(`${stack.baseUrl}/readyz`)).json()).toEqual({ ok: true });
  });
});
