/**
 * Determinism guard: the released baseline's histories (recorded by scripts/record-histories.ts and
 * scripts/record-encrypted-history.ts from this release's code) replay on the current code exactly. A change to
 * what a running workflow does fails here: it ships as a new worker build, with new histories (CONTRIBUTING.md,
 * "Releasing"); the positive control shows that such a change is caught.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundle } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { expect, it } from 'vitest';
import { packageVersion } from '../../src/deployment/build-id.js';
import { dataConverterFor } from '../../src/temporal/data-converter.js';
import { workflowBundleOptions } from '../../src/worker.js';
import { nextBuildBundle, workflowBundle } from '../helpers/stack.js';
import { ENCRYPTED_MARKER, REPLAY_CODEC_KEYS } from './codec-fixture.js';
import { SCENARIOS } from './scenarios.js';

const dir = new URL('./histories/', import.meta.url);
const release = packageVersion();
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

let codecBundle: Promise<WorkflowBundle> | undefined;
/** The service's own bundle (with the codec's failure converter) and data converter. */
const withCodec = async (bundle?: WorkflowBundle) => ({
  workflowBundle:
    bundle ??
    (await (codecBundle ??= bundleWorkflowCode({ ...workflowBundleOptions(), logger: new DefaultLogger('WARN') }))),
  dataConverter: dataConverterFor(REPLAY_CODEC_KEYS),
});
const history = (file: string) => JSON.parse(readFileSync(new URL(file, dir), 'utf8')) as { events: unknown[] };

it('keeps only the released baseline’s histories, one or more of every scenario', () => {
  expect(files.length).toBeGreaterThan(0);
  expect(files.filter((f) => !f.startsWith(`${release}${ENCRYPTED_MARKER}`))).toEqual([]);
  for (const name of [...SCENARIOS.map((s) => s.name), 'contact']) {
    expect(files.some((f) => f.startsWith(`${release}${ENCRYPTED_MARKER}${name}-`))).toBe(true);
  }
});

it.each(files)('replays %s on the current workflow code', async (file) => {
  const recorded = history(file) as { events: Array<{ eventType: string }> };
  expect(recorded.events.some((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED')).toBe(true);
  await Worker.runReplayHistory(await withCodec(), recorded, `replay-${file}`);
});

it('fails the replay of a workflow change that running accounts would not survive (positive control)', async () => {
  const changed = await withCodec(await nextBuildBundle());
  // A run that did nothing after its first task (an idle account's new run) meets the new command at its end,
  // where new commands are allowed: every other history must fail.
  const busy = files.filter((f) => {
    const types = (history(f).events as Array<{ eventType: string }>).map((e) => e.eventType);
    return types.indexOf('EVENT_TYPE_WORKFLOW_TASK_COMPLETED') < types.length - 1;
  });
  expect(busy.length).toBeGreaterThanOrEqual(SCENARIOS.length);
  const results = await Promise.allSettled(
    busy.map((f) => Worker.runReplayHistory(changed, history(f), `replay-next-${f}`))
  );
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(failures.length).toBe(busy.length);
  for (const failure of failures) expect(failure.reason).toBeInstanceOf(DeterminismViolationError);
});

it.each(files)(
  '%s is really encrypted: no plaintext contact, and it does not replay without the codec',
  async (file) => {
    const text = readFileSync(new URL(file, dir), 'utf8');
    expect(text).toContain(Buffer.from('binary/encrypted').toString('base64'));
    const decodedStrings = [...text.matchAll(/"([A-Za-z0-9+/]{16,}={0,2})"/g)].map((m) =>
      Buffer.from(m[1]!, 'base64').toString('latin1')
    );
    expect([text, ...decodedStrings].join('\n')).not.toMatch(/@example\.com|Africa\/Lagos|is busy, try later/);
    await expect(
      Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, JSON.parse(text), `replay-plain-${file}`)
      // With the codec's failure converter in the bundle the decoding error itself is reported encoded.
    ).rejects.toThrow(/Unknown encoding: binary\/encrypted|Replay failed due workflow task failure/);
  }
);
