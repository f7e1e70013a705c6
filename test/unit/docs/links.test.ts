/**
 * Relative links and #anchors across README.md and docs/*.md resolve: the pages were written by
 * several hands and merged, so a renamed heading or a moved section breaks links nobody sees.
 * Anchors follow GitHub's heading slugs (lower case, punctuation dropped, spaces to hyphens, a
 * repeated heading gets -1, -2 ...); links inside code fences and spans are not links.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PAGES = [
  join(ROOT, 'README.md'),
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => join(ROOT, 'docs', f)),
];

/** The page without fenced code blocks and inline code spans. */
function prose(markdown: string): string[] {
  let fenced = false;
  return markdown.split('\n').map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      return '';
    }
    return fenced ? '' : line;
  });
}

export function slug(heading: string): string {
  return (
    heading
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .split('`')
      // HTML tags are dropped, but `<id>` inside a code span is text.
      .map((part, i) => (i % 2 === 0 ? part.replace(/<[^>]+>/g, '') : part))
      .join('')
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-')
  );
}

export function anchorsOf(markdown: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of prose(markdown)) {
    const heading = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      const base = slug(heading[1]!);
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:name|id)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

/** Links of a page: `[text](target)` outside code, with their line numbers. */
export function linksOf(markdown: string): { line: number; target: string }[] {
  const links: { line: number; target: string }[] = [];
  prose(markdown).forEach((line, i) => {
    const text = line.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ line: i + 1, target: m[1]! });
  });
  return links;
}

/** Every broken relative link or anchor of the pages, as `file:line: target (why)`. */
function brokenLinks(): string[] {
  const anchors = new Map<string, Set<string>>();
  const anchorsAt = (file: string) => {
    if (!anchors.has(file)) anchors.set(file, anchorsOf(readFileSync(file, 'utf8')));
    return anchors.get(file)!;
  };
  const broken: string[] = [];
  for (const page of PAGES) {
    for (const { line, target } of linksOf(readFileSync(page, 'utf8'))) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto: ...: not ours to check offline
      const [path, anchor] = target.split('#', 2) as [string, string | undefined];
      const file = path === '' ? page : resolve(dirname(page), decodeURIComponent(path));
      const where = `${relative(ROOT, page)}:${line}: ${target}`;
      if (!existsSync(file)) {
        broken.push(`${where} (no file ${relative(ROOT, file)})`);
        continue;
      }
      if (anchor === undefined || anchor === '') continue;
      if (statSync(file).isDirectory() || !file.endsWith('.md')) {
        broken.push(`${where} (an anchor into a file that is not markdown)`);
        continue;
      }
      if (!anchorsAt(file).has(anchor)) broken.push(`${where} (no heading #${anchor} in ${relative(ROOT, file)})`);
    }
  }
  return broken;
}

describe('docs links', () => {
  it('slugs headings the way GitHub does', () => {
    assert.equal(slug('Two majors side by side'), 'two-majors-side-by-side');
    assert.equal(slug('`dataprod dlq replay`: copy forward'), 'dataprod-dlq-replay-copy-forward');
    assert.equal(slug('Backfill of a new major (v2)'), 'backfill-of-a-new-major-v2');
    assert.equal(slug('[Lookup tables](x.md) & stores'), 'lookup-tables--stores');
    assert.equal(slug('Lifecycle alert (`dataprod.<id>.lifecycle`) <a name="x"></a>'), 'lifecycle-alert-dataprodidlifecycle');
    assert.deepEqual([...anchorsOf('# A\n## A\n```\n# not a heading\n```\n### a')], ['a', 'a-1', 'a-2']);
  });

  it('finds links outside code only', () => {
    assert.deepEqual(
      linksOf('see [x](a.md#b) and `[y](c.md)`\n```\n[z](d.md)\n```\n[w](#e "title")').map((l) => l.target),
      ['a.md#b', '#e'],
    );
  });

  it('every relative link and anchor of README.md and docs/*.md resolves', () => {
    assert.deepEqual(brokenLinks(), []);
  });
});
