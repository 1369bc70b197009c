/**
 * Determinism guard: every committed history (recorded by scripts/record-histories.ts from earlier versions of
 * the workflow) must replay on the current code. A change that would break running accounts fails here
 * unless it is guarded with `patched()`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { Worker } from '@temporalio/worker';
import { expect, it } from 'vitest';
import { workflowBundle } from '../helpers/stack.js';

const dir = new URL('./histories/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

it('has recorded histories to replay', () => {
  expect(files.filter((f) => f.startsWith('v1-')).length).toBeGreaterThanOrEqual(4);
  expect(files.filter((f) => f.startsWith('v2-')).length).toBeGreaterThanOrEqual(5);
  expect(files.filter((f) => f.startsWith('v3-')).length).toBeGreaterThanOrEqual(5);
});

it.each(files)('replays %s on the current workflow code', async (file) => {
  const history: { events: Array<{ eventType: string }> } = JSON.parse(readFileSync(new URL(file, dir), 'utf8'));
  expect(history.events.some((e) => e.eventType === 'EVENT_TYPE_WORKFLOW_TASK_COMPLETED')).toBe(true);
  await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, `replay-${file}`);
});
