/**
 * The layout map of docs/architecture.md ("Layout") cannot drift from the tree: every path it names exists, file
 * names in a row's description exist in that row's directory, and every directory of src/ and every file directly
 * in src/ has a row.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARCHITECTURE = join(ROOT, 'docs/architecture.md');

interface Row {
  path: string;
  description: string;
}

/** The rows of the table under "## Layout": `| \`path\` | description |`. */
function layoutRows(markdown: string): Row[] {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Layout\n'));
  if (!section) throw new Error('docs/architecture.md has no "## Layout" section');
  return [...section.matchAll(/^\| `([^`]+)` +\| (.*) \|$/gm)].map((m) => ({ path: m[1]!, description: m[2]! }));
}

/** Every directory under `dir`, relative to the repository, with a trailing slash. */
function directoriesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (!statSync(path).isDirectory()) return [];
    return [`${relative(ROOT, path)}/`, ...directoriesUnder(path)];
  });
}

const FILE_NAME = /^[\w.-]+(\/[\w.-]+)*(\.(c?ts|js|md|ya?ml|json)|\/)$/;

/** File and directory names written in backticks in a row's description, resolved against the repository. */
function namedIn(row: Row): string[] {
  const base = row.path.endsWith('/') ? row.path : dirname(row.path);
  return [...row.description.matchAll(/`([^`]+)`/g)]
    .map((m) => m[1]!)
    .filter((name) => FILE_NAME.test(name))
    .map((name) => (name.replace(/\/$/, '').includes('/') ? name : join(base, name)));
}

describe('the layout map in docs/architecture.md', () => {
  const rows = layoutRows(readFileSync(ARCHITECTURE, 'utf8'));

  it('has rows', () => {
    expect(rows.length).toBeGreaterThan(20);
  });

  it('names only paths that exist', () => {
    const missing = rows.flatMap((row) => [row.path, ...namedIn(row)]).filter((path) => !existsSync(join(ROOT, path)));
    expect(missing, 'fix the Layout table of docs/architecture.md').toEqual([]);
  });

  it('has a row for every directory of src/ and every file directly in src/', () => {
    const listed = new Set(rows.map((row) => row.path));
    const files = readdirSync(join(ROOT, 'src'))
      .filter((name) => statSync(join(ROOT, 'src', name)).isFile())
      .map((name) => `src/${name}`);
    const missing = [...directoriesUnder(join(ROOT, 'src')), ...files].filter((path) => !listed.has(path));
    expect(missing, 'add a row to the Layout table of docs/architecture.md').toEqual([]);
  });
});
