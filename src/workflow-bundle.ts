/**
 * The workflow bundle, built in a short-lived child process. Bundling runs webpack, which leaves the process
 * that ran it about 150 MiB larger for good; the worker only needs the resulting file.
 * Run directly (`node --import tsx src/workflow-bundle.ts <out-file>`, or `node dist/workflow-bundle.js <out-file>`
 * once built) it writes the bundle to <out-file>.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { workflowBundleOptions } from './worker.js';

const THIS_FILE = fileURLToPath(import.meta.url);

/** Builds the bundle in a child process; resolves with the path of the bundle file. */
export async function buildWorkflowBundle(): Promise<string> {
  const outFile = join(mkdtempSync(join(tmpdir(), 'mono-reauth-workflows-')), 'workflow-bundle.js');
  // The built JavaScript runs as it is; the TypeScript source needs tsx (a development checkout).
  const loader = THIS_FILE.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...loader, THIS_FILE, outFile], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4_000)));
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail);
    child.once('exit', done);
  });
  if (code !== 0) throw new Error(`bundling the workflow code failed (exit ${String(code)}):\n${stderr}`);
  return outFile;
}

if (process.argv[1] && resolve(process.argv[1]) === THIS_FILE) {
  const outFile = process.argv[2];
  if (!outFile) throw new Error('usage: node dist/workflow-bundle.js <out-file> (or src/workflow-bundle.ts with tsx)');
  const { code } = await bundleWorkflowCode({
    ...workflowBundleOptions(),
    logger: new DefaultLogger('WARN'),
  });
  writeFileSync(outFile, code);
}
