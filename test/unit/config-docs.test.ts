/**
 * docs/configuration.md cannot drift from the configuration schema: every variable of the schema has an entry in
 * src/config-reference.ts, every default written there is the schema's, and the committed page is what
 * scripts/config-docs.ts writes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CONFIGURATION_DOC,
  REGENERATE,
  renderConfigurationDoc,
  staleEntries,
  undocumentedVariables,
} from '../../scripts/config-docs.js';
import { EnvSchema } from '../../src/config.js';
import { CONFIG_REFERENCE } from '../../src/config-reference.js';

describe('docs/configuration.md', () => {
  it('documents every variable of the schema', () => {
    expect(undocumentedVariables(), `add them to src/config-reference.ts, then run ${REGENERATE}`).toEqual([]);
  });

  it('documents no schema variable that is gone (entries read elsewhere say where)', () => {
    expect(staleEntries(), `remove them from src/config-reference.ts or say what reads them (readBy)`).toEqual([]);
  });

  it('gives the defaults the schema has', () => {
    const unset = EnvSchema.parse({});
    const wrong = Object.entries(CONFIG_REFERENCE)
      .filter(([name, entry]) => entry.default !== undefined && name in EnvSchema.shape)
      .filter(([name, entry]) => {
        const set = EnvSchema.parse({ [name]: entry.default });
        return JSON.stringify(set[name as keyof typeof set]) !== JSON.stringify(unset[name as keyof typeof unset]);
      })
      .map(([name]) => name);
    expect(wrong, 'these defaults in src/config-reference.ts are not what the schema does when unset').toEqual([]);
  });

  it('is what the script writes', async () => {
    const committed = readFileSync(CONFIGURATION_DOC, 'utf8');
    expect(
      committed === (await renderConfigurationDoc()),
      `docs/configuration.md is out of date: run ${REGENERATE}`
    ).toBe(true);
  });
});
