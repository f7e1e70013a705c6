/**
 * A port's compatibility mode applied to the changes of ./schema-diff.ts: which directions it
 * checks (BACKWARD: new readers read old data; FORWARD: old readers read new data; FULL: both),
 * against which previous versions (the latest, or every one for *_TRANSITIVE), and the fix of
 * each breaking change.
 */
import type { AvroSchema, Compatibility } from '../product/types.js';
import { diffSchemas, type Break, type BreakReason, type SchemaChange } from './schema-diff.js';

export interface PreviousSchema {
  /** Where it comes from, as shown to the user: `main (a1b2c3d)`, `registry version 3`. */
  label: string;
  schema: AvroSchema;
}

export interface ClassifiedChange {
  path: string;
  change: string;
  /** The previous version this change is against (the latest unless a transitive mode found it further back). */
  against: string;
  breaking: boolean;
  /** Set when breaking: the direction that fails first under the mode, and why. */
  reason?: BreakReason;
  message?: string;
  fix?: string;
}

export const directionsOf = (mode: Compatibility) => ({
  backward: mode.startsWith('BACKWARD') || mode.startsWith('FULL'),
  forward: mode.startsWith('FORWARD') || mode.startsWith('FULL'),
  transitive: mode.endsWith('_TRANSITIVE'),
});

const FIXES: Record<BreakReason, (path: string) => string> = {
  'field-added-without-default': (p) => `give ${p} a default (e.g. type ["null", ...] with "default": null)`,
  'field-removed-without-default': (p) => `keep ${p} (readers of the previous schema require it)`,
  'field-renamed-without-alias': (p) => `keep the old name, or add "aliases": [<old name>] to ${p} and a default`,
  'type-changed': (p) => `keep the previous type of ${p}, or add a new field beside it`,
  'type-promoted': (p) => `keep the previous type of ${p}: the promotion reads one way only`,
  'logical-type-changed': (p) => `keep the previous logical type of ${p}, or add a new field beside it`,
  'enum-symbol-removed': (p) => `keep the symbol in ${p}, or give the enum a "default" symbol`,
  'enum-symbol-added': (p) => `do not add symbols to ${p}: the previous enum has no "default" to map them to`,
  'union-branch-removed': (p) => `keep the branch in the union of ${p}`,
  'union-branch-added': (p) => `do not widen the union of ${p}: readers of the previous schema cannot read the new branch`,
  'name-changed': (p) => `keep the type's name at ${p}, or list the old full name in its "aliases"`,
  'fixed-size-changed': (p) => `keep the size of ${p}, or add a new field beside it`,
};

/** The break a mode cares about, backward first. */
function breakUnder(change: SchemaChange, mode: Compatibility): Break | undefined {
  const { backward, forward } = directionsOf(mode);
  return (backward ? change.backward : undefined) ?? (forward ? change.forward : undefined);
}

/**
 * Every change of `next` against the previous versions the mode compares with: the latest always
 * (all its changes, compatible ones included), and for a transitive mode the breaking changes
 * against each older version that the latest does not already show.
 */
export function classifyChanges(previous: readonly PreviousSchema[], next: AvroSchema, mode: Compatibility): ClassifiedChange[] {
  if (previous.length === 0) return [];
  const latest = previous[previous.length - 1]!;
  const { transitive } = directionsOf(mode);
  const out: ClassifiedChange[] = diffSchemas(latest.schema, next).map((c) => toClassified(c, latest.label, mode));
  if (!transitive) return out;
  const shown = new Set(out.filter((c) => c.breaking).map((c) => `${c.path}|${c.reason}`));
  for (const older of previous.slice(0, -1).reverse()) {
    for (const c of diffSchemas(older.schema, next).map((ch) => toClassified(ch, older.label, mode))) {
      if (!c.breaking || shown.has(`${c.path}|${c.reason}`)) continue;
      shown.add(`${c.path}|${c.reason}`);
      out.push(c);
    }
  }
  return out;
}

function toClassified(change: SchemaChange, against: string, mode: Compatibility): ClassifiedChange {
  const broken = breakUnder(change, mode);
  const base = { path: change.path, change: change.change, against };
  if (!broken) return { ...base, breaking: false };
  return { ...base, breaking: true, reason: broken.reason, message: broken.message, fix: FIXES[broken.reason](change.path) };
}
