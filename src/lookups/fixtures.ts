/**
 * Lookup fixtures of `dataprod test` case files, so cases stay offline:
 *
 *     lookups:                 # for every case of the file
 *       customers:
 *         c-1: { customer_id: c-1, tier: GOLD }
 *     cases:
 *       - name: ...
 *         lookups: { customers: { c-2: null } }   # this case only: adds, replaces, or (null) removes keys
 *
 * Each value must match the lookup's reader schema, written in the case files' notation of the
 * logical types and longs (src/tools/case-notation.ts: "12.34" for a decimal, ISO-8601 for a
 * timestamp, digits for a long beyond 2^53 under `longs: bigint`); it goes through an Avro round
 * trip, so the transform sees exactly what a decoded table record would be, frozen as in a real table.
 */
import type avsc from 'avsc';
import { avroType } from '../contracts/logical-types.js';
import type { Longs, Lookup } from '../product/types.js';
import { CaseNotationError, fromCaseNotation } from '../tools/case-notation.js';
import { unknownLookup, type LookupReader } from './reader.js';
import { freeze } from './store.js';

export type FixtureTables = ReadonlyMap<string, ReadonlyMap<string, unknown>>;

export class FixtureLookups implements LookupReader {
  private readonly types: Map<string, avsc.Type>;
  private current: FixtureTables = new Map();

  constructor(
    private readonly lookups: readonly Lookup[],
    longs: Longs = 'number',
  ) {
    this.types = new Map(lookups.map((l) => [l.name, avroType(l.schema, longs)]));
  }

  /**
   * The tables of `spec` (a case file's or a case's `lookups:`) laid over `base`; every problem is
   * pushed with its path (`lookups.customers.c-1`).
   */
  parse(spec: unknown, base: FixtureTables, problems: string[]): FixtureTables {
    if (spec === undefined) return base;
    const tables = new Map([...base].map(([name, entries]) => [name, new Map(entries)]));
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      problems.push('lookups: must map a lookup name to its entries, e.g. { customers: { c-1: { ... } } }');
      return tables;
    }
    for (const [name, entries] of Object.entries(spec)) {
      const type = this.types.get(name);
      if (!type) {
        problems.push(`lookups.${name}: ${unknownLookup(name, [...this.types.keys()]).message}`);
        continue;
      }
      if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
        problems.push(`lookups.${name}: must map keys to values (null removes a key)`);
        continue;
      }
      const table = tables.get(name) ?? new Map<string, unknown>();
      tables.set(name, table);
      for (const [key, value] of Object.entries(entries as Record<string, unknown>)) {
        if (value === null) {
          table.delete(key);
          continue;
        }
        let converted: unknown;
        try {
          converted = fromCaseNotation(type, value, `lookups.${name}.${key}`);
        } catch (err) {
          if (!(err instanceof CaseNotationError)) throw err;
          problems.push(err.message);
          continue;
        }
        let bad: string | undefined;
        if (!type.isValid(converted, { errorHook: (path) => (bad ??= path.join('.') || '(root)') })) {
          problems.push(`lookups.${name}.${key}: does not match the schema of lookup ${name} at ${bad}`);
          continue;
        }
        table.set(key, freeze(type.fromBuffer(type.toBuffer(converted))));
      }
    }
    return tables;
  }

  /** The tables the next records see. */
  use(tables: FixtureTables): void {
    this.current = tables;
  }

  get(name: string, key: string): unknown {
    if (!this.types.has(name))
      throw unknownLookup(
        name,
        this.lookups.map((l) => l.name),
      );
    return this.current.get(name)?.get(key);
  }
}
