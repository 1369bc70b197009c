/** The Temporal Web UI of a dev server in a browser: an account whose contact is encrypted, and its history. */
import { Client, Connection } from '@temporalio/client';
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { createAccountWorkflows } from '../../src/accounts/client.js';
import { AesGcmCodec, type CodecKey } from '../../src/temporal/codec.js';
import { dataConverterFor } from '../../src/temporal/data-converter.js';
import type { DevServer } from '../../src/temporal/dev-server.js';
import { workflowIdFor } from '../../src/workflows/account-lifecycle/api/messages.js';
import { DEFAULT_SETTINGS } from './stack.js';
import { newAccountId } from './webhooks.js';

/** A dev server with its UI; the account's contact registered through the account client with the codec. */
export async function withAccount(
  server: DevServer,
  keys: CodecKey[],
  run: (ctx: { id: string; email: string; ciphertext: string }) => Promise<void>
): Promise<void> {
  const connection = await Connection.connect({ address: server.address });
  try {
    const client = new Client({ connection, namespace: 'default', dataConverter: dataConverterFor(keys) });
    const accounts = createAccountWorkflows({
      client,
      connection,
      namespace: 'default',
      taskQueue: 'codec-ui-no-worker',
      settings: DEFAULT_SETTINGS,
    });
    const id = newAccountId();
    const email = `ui-${id}@example.com`;
    await accounts.setContact(id, { email, timeZone: 'Africa/Lagos' });
    // What the server stores for the signal's input: the ciphertext the UI shows without a codec.
    const history = await client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
    const payload = history.events!.find((e) => e.workflowExecutionSignaledEventAttributes)!
      .workflowExecutionSignaledEventAttributes!.input!.payloads![0]!;
    expect(AesGcmCodec.isEncrypted(payload)).toBe(true);
    await run({ id, email, ciphertext: Buffer.from(payload.data!).toString('base64') });
  } finally {
    await connection.close();
  }
}

/** Opens the account's workflow, its event history, and the setContact event's details. */
export async function openSetContact(page: Page, server: DevServer, id: string): Promise<void> {
  await page.goto(`${server.uiUrl!}/namespaces/default/workflows/${workflowIdFor(id)}`, {
    waitUntil: 'domcontentloaded',
  });
  await page.waitForURL(/\/workflows\/[^/]+\/[^/]+\//, { timeout: 20_000 });
  await page.goto(page.url().replace(/\/[a-z-]+$/, '/history'), { waitUntil: 'domcontentloaded' });
  await page.getByText('setContact').first().click({ timeout: 20_000 });
}

/** The setContact event shows the decoded contact: its time zone and address, not the ciphertext. */
export async function expectDecodedContact(page: Page, email: string, ciphertext: string): Promise<void> {
  await expect
    .poll(() => page.locator('body').innerText(), { timeout: 20_000 })
    .toContain('"timeZone": "Africa/Lagos"');
  const text = await page.locator('body').innerText();
  expect(text).toContain(email);
  expect(text).not.toContain(ciphertext);
}
