/**
 * `dataprod check`'s report for people: one block per product, a table of the output schema's
 * changes (field, change, verdict, reason and fix), then the input ports, the descriptor changes
 * and the warnings. `--json` prints the ProductReport objects instead.
 */
import { displayPath } from '../product/load.js';
import type { ProductReport } from './check.js';

function table(rows: string[][], indent: string): string[] {
  const widths = rows[0]!.map((_, i) => Math.min(48, Math.max(...rows.map((r) => r[i]!.length))));
  return rows.map(
    (r) =>
      indent +
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
  );
}

export function formatReport(r: ProductReport): string {
  const lines: string[] = [];
  const from = r.previousVersion ? `${r.previousVersion} -> ${r.version}` : r.version;
  const verdict = r.failed
    ? `✖ ${r.id} ${from}: ${r.breaking > 0 && !r.majorBumped ? `${r.breaking} breaking change${r.breaking === 1 ? '' : 's'} without a major bump` : 'upstream writer schemas it cannot read'}`
    : `✔ ${r.id} ${from}: ${r.breaking > 0 ? `${r.breaking} breaking change${r.breaking === 1 ? '' : 's'}, allowed by the new major` : 'no breaking change'}`;
  lines.push(`${verdict} (${displayPath(r.dir)}, against ${r.against})`);
  for (const o of r.outputs) {
    lines.push(`  output ${o.port} -> ${o.topic} (${o.compatibility}), compared with ${o.comparedWith}`);
    if (o.changes.length === 0) {
      lines.push('    no schema change');
      continue;
    }
    const rows = [['FIELD', 'CHANGE', 'VERDICT', 'REASON / FIX']];
    for (const c of o.changes) {
      const against = c.against === o.latest ? '' : ` (vs ${c.against})`;
      const status = c.breaking ? (r.majorBumped ? 'breaking (new major)' : 'BREAKING') + against : 'compatible';
      rows.push([c.path, c.change, status, c.breaking ? `${c.reason}: ${c.message}; fix: ${c.fix}` : '']);
    }
    lines.push(...table(rows, '    '));
  }
  for (const i of r.inputs) {
    if (i.writers === 0) lines.push(`  input ${i.port} (${i.subject}): no writer schema registered upstream yet`);
    else if (i.unreadable.length === 0)
      lines.push(
        `  input ${i.port} (${i.subject}): the reader schema resolves all ${i.writers} registered writer version${i.writers === 1 ? '' : 's'}`,
      );
    else {
      lines.push(
        `  input ${i.port} (${i.subject}): ${i.unreadable.length} of ${i.writers} registered writer versions cannot be read (their records would be dead-lettered):`,
      );
      for (const u of i.unreadable) lines.push(`    ${u.version}: ${u.path}: ${u.message}`);
    }
  }
  for (const n of r.notices) lines.push(`  ! ${n.path}: ${n.message}`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  if (r.fix) lines.push(`  fix: ${r.fix}`);
  return lines.join('\n');
}
