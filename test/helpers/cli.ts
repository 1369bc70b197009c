/** The operator CLI as operators run it: `node bin/mono-reauth.js …` as a real child process. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { TEST_CODEC_KEYS } from './stack.js';

export const CLI_BIN = fileURLToPath(new URL('../../bin/mono-reauth.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI with `env` as its whole environment, `stdin` as its input; resolves when it exits. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, stdin = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** The CLI as an operator of a test stack runs it: the test dev server, the stack's task queue, the test codec keys. */
export function runCliOnStack(taskQueue: string, args: string[], stdin = ''): Promise<CliResult> {
  return runCli(
    args,
    {
      ...process.env,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      TEMPORAL_CODEC_KEYS: TEST_CODEC_KEYS,
      TEMPORAL_TASK_QUEUE: taskQueue,
    },
    stdin
  );
}
