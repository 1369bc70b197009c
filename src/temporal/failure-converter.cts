/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-unsafe-assignment, @typescript-eslint/no-unsafe-call, @typescript-eslint/no-unsafe-member-access */
/**
 * The failure converter of every client, worker and workflow bundle that uses the payload codec: error
 * messages and stack traces move into an encoded payload (`encodedAttributes`), so the codec encrypts them too.
 *
 * The SDK loads it by path (`DataConverter.failureConverterPath`, `bundleWorkflowCode({ failureConverterPath })`):
 * the worker with a plain CommonJS `require()` and the bundler with webpack. So this file is written in plain
 * CommonJS JavaScript (valid TypeScript in a .cts file): Node's own `require` loads it under vitest and
 * compiled code alike, tsx under `npm start`, and webpack into the workflow bundle — no TypeScript-only syntax.
 */
'use strict';
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
