/**
 * Start-up's check of the namespace's search attributes against a real dev server started without them: the
 * error lists the missing ones with the exact commands, and running those commands makes the check pass.
 */
import { SEARCH_ATTRIBUTE_FLAGS } from '../../src/workflows/account-lifecycle/api/search-attributes.js';
import { execFileSync } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, expect, inject, it } from 'vitest';
import { startDevServer, type DevServer } from '../../src/temporal/dev-server.js';
import { MissingSearchAttributes, requireSearchAttributes } from '../../src/temporal/search-attributes-check.js';
import { freePort } from '../helpers/ports.js';

let server: DevServer;
let connection: Connection;

beforeAll(async () => {
  const port = await freePort();
  server = await startDevServer({
    cliPath: inject('temporalCliPath'),
    host: '127.0.0.1',
    port,
    withoutSearchAttributes: true,
  });
  connection = await Connection.connect({ address: server.address });
});

afterAll(async () => {
  await connection?.close();
  await server?.stop();
});

it('names the missing attributes with the commands to create them, and passes once they exist', async () => {
  const error = await requireSearchAttributes(connection, 'default').then(
    () => undefined,
    (err: unknown) => err
  );
  expect(error).toBeInstanceOf(MissingSearchAttributes);
  const message = (error as Error).message;
  for (const flag of [
    'MonoAccountState=Keyword',
    'MonoInstitution=Keyword',
    'MonoEscalated=Bool',
    'MonoStateSince=Datetime',
    'MonoLastHeard=Datetime',
  ]) {
    expect(message).toContain(flag);
  }
  expect(message).toMatch(/tcld namespace search-attributes add --namespace default/);
  const commands = message
    .split('\n')
    .filter((line) => line.trim().startsWith('temporal operator search-attribute create'));
  expect(commands).toHaveLength(SEARCH_ATTRIBUTE_FLAGS.length);
  for (const command of commands) {
    const args = command.trim().split(/\s+/).slice(1);
    execFileSync(inject('temporalCliPath'), [...args, '--address', server.address], { stdio: 'pipe' });
  }
  await expect(requireSearchAttributes(connection, 'default')).resolves.toBeUndefined();
});
