import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { readOptions } from '../../config/runtime.js';
import { displayPath, loadProducts, selectRunnable, type ProductDescriptor } from '../../product/index.js';
import type { Command } from '../command.js';

/** `dataprod rules`: argument handling and printing only; src/tools/slo-rules.ts builds the rules. */

const display = displayPath;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Writes through a temporary file and a rename, so a Prometheus reading the file never sees half of it. */
function writeAtomically(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

export const rules: Command = {
  name: 'rules',
  summary: 'generate Prometheus recording rules and SLO burn-rate alerts for the products (one rule file)',
  description:
    'Per product and SLA property: SLI error ratios over 5m..3d and multi-window burn-rate alerts (page: 1h/5m 14.4x,\n' +
    '6h/30m 6x; ticket: 1d/2h 3x, 3d/6h 1x); per product: stalled consumer, dead-letter writes failing, metrics absent,\n' +
    'product not running, stalled partition. Burn-rate alerts of ratio SLOs need --min-records in their long window.\n' +
    'Products that `dataprod run` would not start (retired; draft without --include-draft) are\n' +
    'left out. Check the result with `promtool check rules`. docs/slo-rules.md explains every rule.',
  async run(positionals, flags) {
    // --include-draft, else DATAPROD_INCLUDE_DRAFT (as `dataprod run` reads it): the only variable rules reads.
    const { 'include-draft': draft = false, out = '-', 'min-records': minRecords } = readOptions('rules', flags, process.env);
    // The rules need the descriptor only: the transform module is checked for existence, not imported.
    const loaded = await loadProducts(positionals, { loadTransform: false });
    const { run, skipped } = selectRunnable(loaded, draft);
    for (const line of skipped) console.error(`skipped ${line}`);
    const selected: ProductDescriptor[] = run.map((p) => p.descriptor);
    if (selected.length === 0) console.error('no product to generate rules for: the rule file has no groups');
    const { buildRuleGroups, generateRules } = await import('../../tools/slo-rules.js');
    const text = generateRules(selected, { minRecords });
    if (out === '-') {
      process.stdout.write(text);
      return 0;
    }
    const file = resolve(out);
    writeAtomically(file, text);
    const groups = buildRuleGroups(selected, { minRecords });
    const count = groups.reduce((n, g) => n + g.rules.length, 0);
    console.log(
      `wrote ${display(file)}: ${plural(count, 'rule')} in ${plural(groups.length, 'group')} for ${selected.map((d) => d.id).join(', ') || 'no product'}`,
    );
    return 0;
  },
};
