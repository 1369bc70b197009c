/**
 * Determinism guard: every committed history (recorded by scripts/record-histories.ts from earlier versions of
 * the workflow) must replay on the current code. A change that would break running accounts fails here
 * unless it is guarded with `patched()`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { bundleWorkflowCode, DefaultLogger, Worker, type WorkflowBundle } from '@temporalio/worker';
import { expect, it } from 'vitest';
import { dataConverterFor } from '../../src/temporal/data-converter.js';
import { workflowBundleOptions } from '../../src/worker.js';
import { workflowBundle } from '../helpers/stack.js';
import { ENCRYPTED_MARKER, REPLAY_CODEC_KEYS } from './codec-fixture.js';

const dir = new URL('./histories/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
const encrypted = files.filter((f) => f.includes(ENCRYPTED_MARKER));

/** A worker with the payload codec: its bundle (encoding failure converter) and data converter. */
let codecBundle: Promise<WorkflowBundle> | undefined;
const withCodec = async () => ({
  workflowBundle: await (codecBundle ??= bundleWorkflowCode({
    ...workflowBundleOptions(),
    logger: new DefaultLogger('WARN'),
  })),
  dataConverter: dataConverterFor(REPLAY_CODEC_KEYS),
});
/** Encrypted histories need the codec; plaintext ones replay as before. */
const replayOptions = async (file: string) =>
  file.includes(ENCRYPTED_MARKER) ? withCodec() : { workflowBundle: await workflowBundle() };

it('has recorded histories to replay', () => {
  expect(files.filter((f) => f.startsWith('v1-')).length).toBeGreaterThanOrEqual(4);
  expect(files.filter((f) => f.startsWith('v2-')).length).toBeGreaterThanOrEqual(5);
  expect(files.filter((f) => f.startsWith('v3-')).length).toBeGreaterThanOrEqual(5);
  // v4: Mono calls on their own task queue, enrolment and reconciliation checks, jitter, MonoLastHeard.
  expect(files.filter((f) => f.startsWith('v4-')).length).toBeGreaterThanOrEqual(7);
  expect(files.some((f) => f.startsWith('v4-encrypted-enrol-'))).toBe(true);
  expect(files.some((f) => f.startsWith('v4-encrypted-reconcile-'))).toBe(true);
  expect(encrypted.length).toBeGreaterThanOrEqual(1);
});

it.each(files)('replays %s on the current workflow code', async (file) => {
  const history: { events: Array<{ eventType: string }> } = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
  expect(history.events.some((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED')).toBe(true);
  await Worker.runReplayHistory(await replayOptions(file), history, `replay-${file}`);
});

// What a worker with the codec turned on does with accounts from before it: plaintext payloads pass through.
it.each(files.filter((f) => !f.includes(ENCRYPTED_MARKER)))(
  'replays %s on a worker with the payload codec (plaintext passes through)',
  async (file) => {
    const history = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
    await Worker.runReplayHistory(await withCodec(), history, `replay-codec-${file}`);
  }
);

it.each(encrypted)(
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
