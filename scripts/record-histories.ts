/**
 * Records the release's workflow histories for the replay tests: runs every lifecycle scenario
 * (test/replay/scenarios.ts) through the real HTTP ingress against a throwaway dev server, then writes each run's
 * history as JSON into test/replay/histories/<version>-encrypted-<scenario>-<run>.json. Run it when a release
 * changes what a running workflow does (a new worker build, CONTRIBUTING.md "Releasing") and commit the files:
 *   npx tsx scripts/record-histories.ts            # the version in package.json
 * The replay test then proves that the current code replays the release's histories exactly.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { resolveBinary } from '../src/temporal/binaries.js';
import { packageVersion } from '../src/deployment/build-id.js';
import { startDevServer } from '../src/temporal/dev-server.js';
import { workflowIdFor } from '../src/workflows/account-lifecycle/api/messages.js';
import { freePort } from '../test/helpers/ports.js';
import { receiver, TEST_WHSEC } from '../test/helpers/receiver.js';
import { startStack, type Stack } from '../test/helpers/stack.js';
import { ENCRYPTED_MARKER } from '../test/replay/codec-fixture.js';
import { SCENARIOS } from '../test/replay/scenarios.js';

const prefix = process.argv[2] ?? packageVersion();
const cli = resolveBinary('cli');
if (cli.source === 'sdk-download') throw new Error('no Temporal CLI; run npm test once to install it');
const server = await startDevServer({ cliPath: cli.path, host: '127.0.0.1', port: await freePort() });
const outDir = new URL('../test/replay/histories/', import.meta.url);
mkdirSync(outDir, { recursive: true });
try {
  for (const scenario of SCENARIOS) {
    let hits = 0;
    const hook = scenario.webhookStatus && (await receiver(() => scenario.webhookStatus!(hits++)));
    const notify = hook && {
      channels: ['log' as const, 'webhook' as const],
      webhookUrl: hook.url,
      webhookSecret: TEST_WHSEC,
    };
    const stack: Stack = await startStack({ address: server.address, settings: scenario.settings, notify });
    try {
      const accountId = await scenario.run(stack);
      // Visibility lists a run a moment after it starts (the run a continue-as-new began, for one).
      await new Promise((resolve) => setTimeout(resolve, 3_000));
      for await (const wf of stack.client.workflow.list({ query: `WorkflowId = '${workflowIdFor(accountId)}'` })) {
        // The CLI's JSON is the canonical proto3 JSON that Worker.runReplayHistory reads.
        const json = execFileSync(
          cli.path,
          ['workflow', 'show', '--address', server.address, '-w', wf.workflowId, '-r', wf.runId, '--output', 'json'],
          {
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
          }
        );
        if (!json.includes('EVENT_TYPE_WORKFLOW_TASK_COMPLETED')) {
          console.error(`skipped run ${wf.runId}: no workflow task completed yet (nothing to replay)`);
          continue;
        }
        // Test stacks encrypt their payloads with the replay fixture key: the name says so (test/replay/codec-fixture.ts).
        const file = new URL(`${prefix}${ENCRYPTED_MARKER}${scenario.name}-${wf.runId.slice(0, 8)}.json`, outDir);
        writeFileSync(file, json);
        console.error(`recorded ${file.pathname} (${wf.historyLength} events, ${wf.status.name})`);
      }
    } finally {
      await stack.stop();
      await hook?.close();
    }
  }
} finally {
  await server.stop();
}
