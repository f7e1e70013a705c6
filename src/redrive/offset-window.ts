import type { ConfigIssue } from '../errors.js';

/**
 * Which dead-letter offsets a command takes, from `--from-offset` / `--to-offset`. Each flag takes
 * either one offset for every partition (`--from-offset 100`) or `partition:offset` pairs
 * (`--from-offset 0:100,2:40`). Once either flag names a partition, only the named partitions are
 * taken: `--from-offset 2:100 --to-offset 2:200` means partition 2, offsets 100 to 199. `from` is
 * inclusive, `to` exclusive (like --since/--until, and like Kafka's end offsets), so the record
 * count of a partition's window is `to - from`.
 */
export interface OffsetWindow {
  /** Only these partitions; every partition when undefined. */
  partitions?: ReadonlySet<number>;
  /** Inclusive first offset per partition; `every` applies to partitions without their own. */
  from: PerPartition;
  /** Exclusive end offset per partition; `every` applies to partitions without their own. */
  to: PerPartition;
}

export interface PerPartition {
  every?: bigint;
  byPartition: ReadonlyMap<number, bigint>;
}

export const offsetOf = (bound: PerPartition, partition: number): bigint | undefined => bound.byPartition.get(partition) ?? bound.every;

export function inWindow(window: OffsetWindow, partition: number, offset: bigint): boolean {
  if (window.partitions && !window.partitions.has(partition)) return false;
  const from = offsetOf(window.from, partition);
  const to = offsetOf(window.to, partition);
  return (from === undefined || offset >= from) && (to === undefined || offset < to);
}

/** The window of the two flags' values, or every problem with them at once; undefined when neither is given. */
export function parseOffsetWindow(
  fromValues: readonly string[] | undefined,
  toValues: readonly string[] | undefined,
): { window?: OffsetWindow; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  if (!fromValues?.length && !toValues?.length) return { issues };
  const from = parseBound('--from-offset', fromValues ?? [], issues);
  const to = parseBound('--to-offset', toValues ?? [], issues);
  const named = new Set([...from.byPartition.keys(), ...to.byPartition.keys()]);
  const window: OffsetWindow = { from, to, ...(named.size > 0 ? { partitions: named } : {}) };
  for (const p of named.size > 0 ? named : [undefined]) {
    const start = p === undefined ? from.every : offsetOf(from, p);
    const end = p === undefined ? to.every : offsetOf(to, p);
    if (start !== undefined && end !== undefined && end <= start) {
      const which = p === undefined ? '' : ` of partition ${p}`;
      issues.push({ path: '--to-offset', message: `${end}${which} must be greater than --from-offset ${start} (it is exclusive)` });
    }
  }
  return issues.length > 0 ? { issues } : { window, issues };
}

function parseBound(flag: string, values: readonly string[], issues: ConfigIssue[]): PerPartition {
  const byPartition = new Map<number, bigint>();
  let every: bigint | undefined;
  const bad = (value: string, why: string) =>
    issues.push({ path: flag, message: `"${value}": ${why}; give an offset (100) or partition:offset pairs (0:100,2:40)` });
  for (const value of values) {
    const pair = /^(\d+):(\d+)$/.exec(value.trim());
    if (pair) {
      const partition = Number(pair[1]);
      if (byPartition.has(partition)) bad(value, `partition ${partition} is given twice`);
      byPartition.set(partition, BigInt(pair[2]!));
    } else if (/^\d+$/.test(value.trim())) {
      if (values.length > 1) bad(value, 'an offset for every partition must be the only value');
      every = BigInt(value.trim());
    } else bad(value, 'not a whole number ≥ 0 nor partition:offset');
  }
  return every === undefined ? { byPartition } : { every, byPartition };
}
