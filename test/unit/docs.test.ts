/**
 * The documentation holds together: the README stays short and links every page of docs/ and the changelog, every
 * relative link in the README, CONTRIBUTING.md, docs/ and bench/RESULTS.md points at a file and heading that exist,
 * and user documentation carries no issue numbers or commit hashes.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README = join(ROOT, 'README.md');
const DOCS = join(ROOT, 'docs');
const PAGES = [
  README,
  join(ROOT, 'CONTRIBUTING.md'),
  join(ROOT, 'bench/RESULTS.md'),
  ...readdirSync(DOCS)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(DOCS, name)),
];
const MAX_README_LINES = 300;

const withoutCode = (markdown: string): string => markdown.replace(/^```[\s\S]*?^```/gm, '');

/** GitHub's anchors for the headings of a Markdown file. */
function anchorsOf(markdown: string): Set<string> {
  return new Set(
    [...withoutCode(markdown).matchAll(/^#+\s+(.+)$/gm)].map((m) =>
      m[1]!
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{N} _-]/gu, '')
        .replace(/ /g, '-')
    )
  );
}

/** The relative links of a Markdown file (outside code blocks): `[text](target)`. */
function relativeLinks(markdown: string): string[] {
  return [...withoutCode(markdown).matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!)
    .filter((target) => !/^[a-z]+:/i.test(target));
}

describe('the documentation', () => {
  const readme = readFileSync(README, 'utf8');

  it(`keeps the README at most ${MAX_README_LINES} lines`, () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(MAX_README_LINES);
  });

  it('links every page of docs/ and the changelog from the README', () => {
    const linked = new Set(relativeLinks(readme).map((target) => target.split('#')[0]));
    const pages = [
      ...readdirSync(DOCS)
        .filter((name) => name.endsWith('.md'))
        .map((name) => `docs/${name}`),
      'CHANGELOG.md',
      'CONTRIBUTING.md',
      'LICENSE',
    ];
    expect(pages.filter((page) => !linked.has(page))).toEqual([]);
  });

  it('has no relative link to a file or heading that does not exist', () => {
    const broken = PAGES.flatMap((page) => {
      const markdown = readFileSync(page, 'utf8');
      return relativeLinks(markdown).flatMap((target) => {
        const [path = '', anchor] = target.split('#');
        const file = path === '' ? page : join(dirname(page), decodeURIComponent(path));
        const where = `${relative(ROOT, page)}: ${target}`;
        if (!existsSync(file)) return [where];
        if (anchor === undefined || !file.endsWith('.md')) return [];
        return anchorsOf(readFileSync(file, 'utf8')).has(anchor) ? [] : [where];
      });
    });
    expect(broken).toEqual([]);
  });

  it('cites no issue numbers or commit hashes', () => {
    const found = PAGES.flatMap((page) => {
      const text = readFileSync(page, 'utf8');
      const hits = [
        ...text.matchAll(/\bissues? #?\d+\b|\(#\d+\)|\bround two\b/gi),
        // A short or full commit hash; build ids (`1.0.0+3f2a9c1b7d4e`) and Mono's 24-digit account ids are neither.
        ...text.matchAll(/(?<![+\w])(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])([0-9a-f]{7,10}|[0-9a-f]{40})(?![\w])/g),
      ];
      return hits.map((m) => `${relative(ROOT, page)}: ${m[0]}`);
    });
    expect(found).toEqual([]);
  });
});
