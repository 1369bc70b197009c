/**
 * `npm start` and `npm test` run this first: it resolves (and if needed installs, once) the Temporal CLI and
 * the time-skipping test server, printing where each came from.
 */
import { installAdvice, resolveBinary, type BinaryKind } from '../src/temporal/binaries.js';

const log = (message: string): void => console.error(`[temporal-binaries] ${message}`);
// `npm start` needs only the CLI, and only if no server is running yet, so it asks with --cli-only --no-fail.
const kinds: BinaryKind[] = process.argv.includes('--cli-only') ? ['cli'] : ['cli', 'test-server'];
const fatal = !process.argv.includes('--no-fail');
let failed = false;
for (const kind of kinds) {
  try {
    const resolved = resolveBinary(kind, { onProgress: log });
    if (resolved.source === 'sdk-download')
      log(`${kind}: not found locally; the SDK will try its own download. ${installAdvice(kind)}`);
    else log(`${kind}: ${resolved.path} (${resolved.source})`);
  } catch (err) {
    failed = true;
    log((err as Error).message);
  }
}
process.exitCode = failed && fatal ? 1 : 0;
