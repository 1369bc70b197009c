#!/usr/bin/env node
// The operator CLI (`npx mono-reauth …`): the TypeScript source through tsx in a checkout, the built JavaScript
// where there is no source (the production image runs `npm run build`'s output).
import { existsSync } from 'node:fs';

if (existsSync(new URL('../src/cli/main.ts', import.meta.url))) {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../src/cli/main.ts');
} else {
  await import('../dist/cli/main.js');
}
