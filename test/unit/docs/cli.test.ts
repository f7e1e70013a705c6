/**
 * docs/cli.md cannot drift from the CLI's tables: COMMANDS of src/cli/commands.ts (the command
 * list of `dataprod --help`) and OPTIONS of src/config/runtime.ts (every option of every command:
 * what each command's `--help` lists and parseArgs accepts). Every command has its row in the
 * command table and its `## command` section, every option its row in the options table (in the
 * order of OPTIONS, with its variable, default, commands and values), every flag of one command
 * its mention in that command's section; and the page names no command, option, flag or variable
 * that does not exist.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../../src/cli/commands.js';
import { OPTIONS, optionsOf, type OptionSpec } from '../../../src/config/runtime.js';

const DOC = fileURLToPath(new URL('../../../docs/cli.md', import.meta.url));
const text = readFileSync(DOC, 'utf8');
const options = OPTIONS as readonly OptionSpec[];
const commands = Object.values(COMMANDS);

/** The commands that take an option, in the order of COMMANDS. */
const commandsOf = (spec: OptionSpec) =>
  commands
    .filter((c) => spec.commands.includes(c.name))
    .map((c) => c.name)
    .join(', ');

/**
 * How the "Values and checks" cell starts for an option's kind and bounds: `whole number ≥ 1000`,
 * `0–65535`, `number in (0, 1]`, `number > 0`, `boolean`, the choices; text options are free.
 */
function valuesCell(spec: OptionSpec): RegExp | undefined {
  const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  const { kind, min, max, above } = spec;
  if (typeof kind === 'object') return new RegExp(`^${escape(kind.oneOf.map((v) => `\`${v}\``).join(', '))}$`);
  if (kind === 'bool') return /^boolean$/;
  if (kind === 'secret') return /^text \(secret\)/;
  if (kind === 'list') return /^comma-separated/;
  if (kind === 'int') return new RegExp(max !== undefined ? `^${min ?? 0}–${max}\\b` : `^whole number ≥ ${min ?? 0}(?!\\d)`);
  if (kind === 'number') {
    const low = above !== undefined ? `(${above}` : min !== undefined ? `[${min}` : undefined;
    const range = low && max !== undefined ? `in ${low}, ${max}]` : low ? `${low[0] === '(' ? '>' : '≥'} ${low.slice(1)}` : '';
    return new RegExp(`^number${escape(range ? ` ${range}` : '')}(?![\\d.])`);
  }
  return undefined;
}

/** The page split at its `## ` headings: heading -> text up to the next one. */
function sections(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  const parts = markdown.split(/^## (.+)$/m);
  for (let i = 1; i < parts.length; i += 2) out.set(parts[i]!.trim(), parts[i + 1]!);
  return out;
}

/** Rows of a table (lines starting with `|`), as cells, without the header and separator. */
const tableLines = (section: string) =>
  section
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|\s*-/.test(l))
    .slice(1)
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );

describe('docs/cli.md', () => {
  const bySection = sections(text);
  /** `## name` sections whose heading is a lower-case word: the command sections. */
  const commandSections = [...bySection.keys()].filter((h) => /^[a-z][a-z-]*$/.test(h));
  /** The command table: the first table of the page, before any `## ` heading. */
  const intro = text.slice(0, text.search(/^## /m));
  const commandRows = tableLines(intro);
  const optionRows = tableLines(bySection.get('Options') ?? '').filter((cells) => cells[0]!.startsWith('`--'));

  describe('commands (COMMANDS of src/cli/commands.ts)', () => {
    for (const command of commands) {
      it(`documents ${command.name}`, () => {
        const rows = commandRows.filter((cells) => cells[0] === `[\`${command.name}\`](#${command.name})`);
        assert.equal(rows.length, 1, `one row [\`${command.name}\`](#${command.name}) in the command table`);
        const [, purpose, needs] = rows[0]!;
        assert.ok(purpose && purpose.length > 10, 'purpose');
        assert.ok(needs && needs.length > 0, 'needs');
        const section = bySection.get(command.name);
        assert.ok(section, `a "## ${command.name}" section`);
        assert.ok(section.includes(`dataprod ${command.name}`), `the section shows \`dataprod ${command.name} ...\``);
      });

      it(`lists the options of ${command.name}`, () => {
        const section = bySection.get(command.name) ?? '';
        const own = optionsOf(command.name);
        if (own.length === 0) {
          assert.match(section, /Options: none\./, 'a command without options says "Options: none."');
          return;
        }
        assert.doesNotMatch(section, /Options: none/);
        // Its own flags (no variable, no other command takes them) are described in its section, with their defaults.
        for (const o of own.filter((o) => o.env === undefined && o.commands.length === 1)) {
          assert.ok(section.includes(`--${o.flag}`), `## ${command.name} names --${o.flag}`);
          if (o.default !== undefined && o.kind !== 'bool') {
            const value = o.default.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
            assert.match(
              section,
              new RegExp(`default \`?${value}(?![\\w.])`),
              `## ${command.name} gives the default of --${o.flag} (${o.default})`,
            );
          }
        }
        // Its usage lines name only its flags.
        const flags = new Set(['help', ...own.flatMap((o) => [o.flag, `no-${o.flag}`])]);
        const usage = [...section.matchAll(new RegExp(`dataprod ${command.name}\\b[^\\n\`]*`, 'g'))].map((m) => m[0]);
        const named = usage.flatMap((u) => [...u.matchAll(/--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!));
        assert.deepEqual(
          named.filter((f) => !flags.has(f)),
          [],
          `flags in \`dataprod ${command.name} ...\` that it does not take`,
        );
      });
    }

    it('documents no command that does not exist', () => {
      const names = new Set<string>(commands.map((c) => c.name));
      assert.deepEqual(
        commandRows.map((cells) => cells[0]!).filter((cell) => !names.has(/^\[`([a-z-]+)`\]/.exec(cell)?.[1] ?? '')),
        [],
        'command table',
      );
      assert.deepEqual(
        commandSections.filter((h) => !names.has(h)),
        [],
        '## sections',
      );
    });
  });

  describe('options (OPTIONS of src/config/runtime.ts)', () => {
    for (const spec of options) {
      it(`documents --${spec.flag}${spec.env ? ` (${spec.env})` : ''}`, () => {
        const rows = optionRows.filter((cells) => cells[0] === `\`--${spec.flag}\``);
        assert.equal(rows.length, 1, `one row starting with \`--${spec.flag}\``);
        const [, env, def, takenBy, values, meaning] = rows[0]!;
        assert.equal(env, spec.env === undefined ? '—' : `\`${spec.env}\``, 'variable');
        assert.equal(def, spec.default === undefined ? '—' : `\`${spec.default}\``, 'default');
        assert.notEqual(commandsOf(spec), '', 'no command takes it');
        assert.equal(takenBy?.replace(/ \(required\)$/, ''), commandsOf(spec), 'commands');
        assert.ok(values && values.length > 0, 'values and checks');
        const expected = valuesCell(spec);
        if (expected) assert.match(values, expected, `values and checks of a ${JSON.stringify(spec.kind)} option`);
        assert.ok(meaning && meaning.length > 5, 'meaning');
      });
    }

    it('has the rows in the order of OPTIONS, and none for an option that does not exist', () => {
      assert.deepEqual(
        optionRows.map((cells) => cells[0]),
        options.map((o) => `\`--${o.flag}\``),
      );
    });
  });

  it('names only flags dataprod has', () => {
    const flags = new Set(options.flatMap((o) => [o.flag, `no-${o.flag}`]));
    // Every command's --help, dataprod --version, the placeholder of "--flag value", and node's --import.
    const others = new Set(['help', 'version', 'flag', 'import']);
    const named = [...text.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!);
    assert.deepEqual([...new Set(named.filter((f) => !flags.has(f) && !others.has(f)))], []);
  });

  it('names only variables dataprod reads', () => {
    const envs = new Set(options.flatMap((o) => (o.env ? [o.env] : [])));
    const variables = [...text.matchAll(/\b(?:KAFKA|SCHEMA_REGISTRY|DATAPROD)_[A-Z0-9_]+\b/g)].map((m) => m[0]);
    assert.deepEqual([...new Set(variables.filter((v) => !envs.has(v)))], []);
  });
});
