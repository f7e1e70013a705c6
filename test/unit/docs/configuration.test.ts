/**
 * docs/configuration.md cannot drift from the OPTIONS table of src/config/runtime.ts: every setting
 * (an option with a variable) has its row in its section (flag, variable, default, commands,
 * meaning, example), a flag without a variable has none, and every variable or flag the page
 * mentions exists.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../../src/cli/commands.js';
import { OPTIONS, type OptionSpec } from '../../../src/config/runtime.js';

const DOC = fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url));
const K8S_README = fileURLToPath(new URL('../../../deploy/k8s/README.md', import.meta.url));
const text = readFileSync(DOC, 'utf8');
const options = OPTIONS as readonly OptionSpec[];
const settings = options.filter((o) => o.env !== undefined);

/** The commands that take an option, in the order of COMMANDS (src/cli/commands.ts). */
const commandsOf = (spec: OptionSpec) =>
  Object.values(COMMANDS)
    .filter((c) => spec.commands.includes(c.name))
    .map((c) => c.name)
    .join(', ');

/** Table rows of the page, by their first cell, with the section they are in. */
function tableRows(markdown: string): Map<string, { cells: string[]; section: string }> {
  const rows = new Map<string, { cells: string[]; section: string }>();
  let section = '';
  for (const line of markdown.split('\n')) {
    const heading = /^## (.+)$/.exec(line);
    if (heading) section = heading[1]!.trim();
    if (!line.startsWith('| `--')) continue;
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    rows.set(cells[0]!, { cells, section });
  }
  return rows;
}

describe('docs/configuration.md', () => {
  const rows = tableRows(text);

  for (const spec of settings) {
    it(`documents --${spec.flag} (${spec.env})`, () => {
      const row = rows.get(`\`--${spec.flag}\``);
      assert.ok(row, `no table row starting with \`--${spec.flag}\``);
      const [, env, def, commands, meaning, example] = row.cells;
      assert.ok(spec.section, `--${spec.flag} has a variable, so OPTIONS names its section`);
      assert.equal(row.section, spec.section, `--${spec.flag} belongs in the section "${spec.section}"`);
      assert.equal(env, `\`${spec.env}\``, 'variable');
      assert.equal(def, spec.default === undefined ? '—' : `\`${spec.default}\``, 'default');
      assert.notEqual(commandsOf(spec), '', 'no command takes it');
      assert.equal(commands?.replace(/ \(required\)$/, ''), commandsOf(spec), 'commands');
      assert.ok(meaning && meaning.length > 10, 'meaning');
      assert.ok(example && example.length > 0, 'example');
    });
  }

  it('has no row for an option that does not exist or has no variable', () => {
    const known = new Set(settings.map((o) => `\`--${o.flag}\``));
    assert.deepEqual(
      [...rows.keys()].filter((flag) => !known.has(flag)),
      [],
    );
  });

  it('names only variables dataprod reads (here and in deploy/k8s/README.md)', () => {
    const envs = new Set(settings.map((o) => o.env));
    for (const [file, markdown] of [
      ['docs/configuration.md', text],
      ['deploy/k8s/README.md', readFileSync(K8S_README, 'utf8')],
    ] as const) {
      const variables = [...markdown.matchAll(/\b(?:KAFKA|SCHEMA_REGISTRY|DATAPROD)_[A-Z0-9_]+\b/g)].map((m) => m[0]);
      assert.deepEqual([...new Set(variables.filter((v) => !envs.has(v)))], [], `${file}: variables dataprod does not read`);
    }
  });

  it('names only flags dataprod has', () => {
    const flags = new Set(options.flatMap((o) => [o.flag, `no-${o.flag}`]));
    // Flags of every command, and the placeholder of "--flag value".
    const others = new Set(['help', 'version', 'flag']);
    const named = [...text.matchAll(/(?<![\w-])--([a-z][a-z0-9-]*)/g)].map((m) => m[1]!);
    assert.deepEqual([...new Set(named.filter((f) => !flags.has(f) && !others.has(f)))], []);
  });
});
