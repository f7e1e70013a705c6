/**
 * SLA properties: each well-formed entry must be measurable (a known unit, a latency threshold
 * on a histogram bucket, a percentage that is one, one entry per property). These are the
 * problems `dataprod rules` would refuse, so `dataprod validate` reports them too.
 */
import { isObj, list } from './issues.js';
import type { SemanticContext } from './semantic-context.js';
import { compileSlaEntries } from './slo.js';
import type { SlaProperty } from './types.js';

export function checkSlaProperties(ctx: SemanticContext): void {
  // Entries with a shape problem are already reported; only the others are compiled.
  const entries = list(ctx.root.slaProperties).flatMap((sla, index) =>
    isObj(sla) && !ctx.issues.hasUnder(['slaProperties', index]) ? [{ index, sla: sla as unknown as SlaProperty }] : [],
  );
  const id = typeof ctx.root.id === 'string' ? ctx.root.id : '<id>';
  for (const p of compileSlaEntries(id, entries).problems) ctx.issues.add(['slaProperties', p.index, p.field], p.message);
}
