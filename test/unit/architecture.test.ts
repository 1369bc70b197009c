/**
 * The shape of the source tree, checked so that it cannot drift: no import circles in `src` (type-only imports
 * included), every file a comment in `src` cites exists, and every section of the README or of a documentation page
 * (`docs/<page>.md, "<heading>"`, `CONTRIBUTING.md, "<heading>"`) a comment cites is there.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(ROOT, 'src');

/** The headings of a Markdown file, without their `#` marks; empty when there is no such file. */
function headingsOf(path: string): Set<string> {
  if (!existsSync(path)) return new Set();
  return new Set([...readFileSync(path, 'utf8').matchAll(/^#+\s+(.+)$/gm)].map((m) => m[1]!.trim()));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : /\.c?ts$/.test(name) ? [path] : [];
  });
}

const files = sourceFiles(SRC);
const IMPORT = /(?:^|\n)\s*(?:import|export)\b[^;]*?\bfrom\s+'(\.{1,2}\/[^']+)'/g;

/** Every relative import of `file`, resolved to a source file. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)]
    .map((m) => resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts').replace(/\.cjs$/, '.cts')))
    .filter((target) => existsSync(target));
}

/** The import circles among `nodes`, as lists of files (Tarjan's strongly connected components). */
function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const order = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const found: string[][] = [];
  const visit = (node: string): void => {
    order.set(node, index);
    low.set(node, index++);
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      if (!order.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (stack.includes(next)) low.set(node, Math.min(low.get(node)!, order.get(next)!));
    }
    if (low.get(node) === order.get(node)) {
      const component: string[] = [];
      for (let top = stack.pop(); top !== undefined; top = top === node ? undefined : stack.pop()) component.push(top);
      if (component.length > 1 || (graph.get(node) ?? []).includes(node)) found.push(component);
    }
  };
  for (const node of graph.keys()) if (!order.has(node)) visit(node);
  return found;
}

describe('source tree', () => {
  it('has no import circles in src, type-only imports included', () => {
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    const found = circles(graph).map((c) => c.map((f) => relative(ROOT, f)).sort());
    expect(found).toEqual([]);
  });

  it('finds circles when there are some (the checker itself works)', () => {
    const graph = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', ['a']],
    ]);
    expect(circles(graph).map((c) => c.sort())).toEqual([['a', 'b', 'c']]);
  });

  it('cites only files that exist and README and documentation sections that are there', () => {
    const headings = headingsOf(join(ROOT, 'README.md'));
    const missing: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      // A path inside a URL (https://example.com/docs/…) cites a web page, not a file of the repository.
      for (const m of text.matchAll(/(?<!\/)\b((?:src|docs|test|scripts|bench|deploy|docker)\/[\w./-]*\w)/g)) {
        const cited = m[1]!.replace(/\.js$/, '.ts');
        if (!existsSync(join(ROOT, cited)) && !existsSync(join(ROOT, m[1]!)))
          missing.push(`${relative(ROOT, file)}: ${m[1]}`);
      }
      for (const m of text.matchAll(/README,? "([^"]+)"/g)) {
        if (!headings.has(m[1]!)) missing.push(`${relative(ROOT, file)}: README "${m[1]}"`);
      }
      for (const m of text.matchAll(/\b((?:docs\/[\w.-]+|CONTRIBUTING)\.md),? "([^"]+)"/g)) {
        if (!headingsOf(join(ROOT, m[1]!)).has(m[2]!)) missing.push(`${relative(ROOT, file)}: ${m[1]} "${m[2]}"`);
      }
      for (const m of text.matchAll(/\bissues? #?\d+\b|\(#\d+\)/gi)) missing.push(`${relative(ROOT, file)}: ${m[0]}`);
    }
    expect(missing).toEqual([]);
  });
});
