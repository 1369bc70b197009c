/**
 * The Temporal data converter with payload encryption (docs/payload-encryption.md). One object serves every
 * client and worker; the workflow bundle needs the failure converter's path too:
 *
 *   const dataConverter = dataConverterFor(keys);                  // keys: parseCodecKeys(...) / loadOrCreateDevCodecKey(...)
 *   new Client({ connection, namespace, dataConverter });
 *   await Worker.create({ connection, namespace, taskQueue, activities, workflowBundle, dataConverter });
 *   await bundleWorkflowCode({ workflowsPath, ...CODEC_BUNDLE_OPTIONS });     // prebuilt bundles (workflow-bundle.ts)
 *   await Worker.runReplayHistory({ workflowBundle, dataConverter }, history);  // replaying encrypted histories
 *
 * What it does: `payloadCodecs: [AesGcmCodec]` encrypts every payload (workflow, activity, signal, update and
 * query arguments and results, memo, heartbeat details, failure details); `failureConverterPath` points at a
 * `DefaultFailureConverter({ encodeCommonAttributes: true })`, which moves failure messages and stack traces
 * into a payload so that they are encrypted as well (the message stored in history reads "Encoded failure").
 * Not encrypted (never put personal data there): workflow ids, search attributes, task queues, signal/activity
 * names.
 *
 * A worker started with `workflowsPath` bundles with `dataConverter.failureConverterPath` by itself; a prebuilt
 * bundle (`bundleWorkflowCode`) must be built with CODEC_BUNDLE_OPTIONS, or failures raised inside workflow
 * code (workflow and update failures) would keep their messages in plaintext. Decoding accepts both kinds.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DataConverter } from '@temporalio/common';
import { AesGcmCodec, type CodecKey } from './codec.js';

/**
 * The module with the `failureConverter` export (CommonJS, so Node's `require` and webpack both load it): the
 * TypeScript source in a checkout, the built `.cjs` beside this file once compiled (`npm run build`).
 */
const FAILURE_CONVERTER_SOURCE = fileURLToPath(new URL('./failure-converter.cts', import.meta.url));
export const FAILURE_CONVERTER_PATH: string = existsSync(FAILURE_CONVERTER_SOURCE)
  ? FAILURE_CONVERTER_SOURCE
  : fileURLToPath(new URL('./failure-converter.cjs', import.meta.url));
if (!existsSync(FAILURE_CONVERTER_PATH)) {
  throw new Error(`the failure converter module is missing at ${FAILURE_CONVERTER_PATH}`);
}

/** Options to spread into `bundleWorkflowCode(...)` for a bundle run by a worker that uses `dataConverterFor`. */
export const CODEC_BUNDLE_OPTIONS: { failureConverterPath: string } = Object.freeze({
  failureConverterPath: FAILURE_CONVERTER_PATH,
});

/** The data converter for clients, workers and replay: AES-256-GCM payloads, encoded failure messages. */
export function dataConverterFor(keys: readonly CodecKey[]): DataConverter {
  return { payloadCodecs: [new AesGcmCodec(keys)], failureConverterPath: FAILURE_CONVERTER_PATH };
}
