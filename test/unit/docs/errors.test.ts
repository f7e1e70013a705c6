/**
 * docs/errors.md cannot drift from ERROR_CATALOGUE of src/errors.ts: every code has its row in the
 * codes table, with the catalogue's meaning and fix word for word, and its `### CODE` section; the
 * table names no code that does not exist, and the intro counts them right.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ERROR_CATALOGUE, type ErrorCode } from '../../../src/errors.js';

const DOC = fileURLToPath(new URL('../../../docs/errors.md', import.meta.url));
const text = readFileSync(DOC, 'utf8');

/** First cells of the table under `## Codes`: [`CODE`](#code). */
function tableCodes(markdown: string): string[] {
  const section = /^## Codes\n([\s\S]*?)(?=^## )/m.exec(markdown);
  assert.ok(section, 'docs/errors.md has no "## Codes" section');
  const codes: string[] = [];
  for (const line of section[1]!.split('\n')) {
    if (!line.startsWith('|') || /^\|\s*(Code|-)/.test(line)) continue;
    const cell = line.split('|')[1]!.trim();
    const link = /^\[`([A-Z][A-Z0-9_]*)`\]\(#([a-z0-9_]+)\)$/.exec(cell);
    assert.ok(link, `codes table row does not start with [\`CODE\`](#code): ${line}`);
    assert.equal(link[2], link[1]!.toLowerCase(), `the link of ${link[1]} points at #${link[2]}`);
    codes.push(link[1]!);
  }
  return codes;
}

const NUMBERS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];

describe('docs/errors.md', () => {
  const codes: string[] = Object.keys(ERROR_CATALOGUE);
  const rows = tableCodes(text);
  const sections = [...text.matchAll(/^### ([A-Z][A-Z0-9_]*)\s*$/gm)].map((m) => m[1]!);

  it('gives each code the meaning and the fix of the catalogue', () => {
    for (const code of codes) {
      const { meaning, fix } = ERROR_CATALOGUE[code as ErrorCode];
      const row = `| [\`${code}\`](#${code.toLowerCase()}) | ${meaning} | ${fix} |`;
      assert.ok(text.includes(`\n${row}\n`), `docs/errors.md codes table: expected the row\n${row}`);
    }
  });

  for (const code of codes) {
    it(`documents ${code}`, () => {
      assert.equal(rows.filter((r) => r === code).length, 1, `${code}: one row in the codes table`);
      assert.equal(sections.filter((s) => s === code).length, 1, `${code}: one "### ${code}" section`);
    });
  }

  it('lists only codes that exist', () => {
    const known = new Set(codes);
    assert.deepEqual(
      rows.filter((r) => !known.has(r)),
      [],
      'codes table',
    );
    assert.deepEqual(
      sections.filter((s) => !known.has(s)),
      [],
      '### sections',
    );
  });

  it('counts the codes right in its intro', () => {
    const count = /one of the (\w+) codes below/.exec(text);
    assert.ok(count, 'the intro says "one of the <n> codes below"');
    assert.equal(count[1], NUMBERS[codes.length] ?? String(codes.length));
  });

  it('names only existing codes in "How the worker reacts"', () => {
    const section = /^## How the worker reacts\n([\s\S]*?)(?=^## |(?![\s\S]))/m.exec(text);
    assert.ok(section, 'docs/errors.md has no "## How the worker reacts" section');
    const named = [...section[1]!.matchAll(/`([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)`/g)].map((m) => m[1]!);
    const known = new Set(codes);
    assert.deepEqual([...new Set(named.filter((c) => !known.has(c)))], []);
  });
});
