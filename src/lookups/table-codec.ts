/**
 * One record of a lookup topic turned into a table change, synchronously: the key as UTF-8 text,
 * the value resolved from its writer schema to the lookup's reader schema, a null value as a
 * tombstone. A record that cannot be read is skipped with a reason, never fatal: the table keeps
 * the key's previous value.
 */
import type avsc from 'avsc';
import { SchemaCache, type SchemaSource } from '../contracts/schema-cache.js';
import { FRAME_HEADER_BYTES, frameProblem } from '../contracts/wire.js';
import type { Longs, Lookup } from '../product/types.js';
import type { TableChange } from './store.js';

/**
 * How a product reads its lookup's records: with the logical types and the `longs` of the product
 * (the transform and the generated `Lookups` type see lookups as they see inputs), both for decoding
 * table records and for a disk store's bodies.
 */
export function tableReading(
  lookup: Pick<Lookup, 'name' | 'schema'>,
  source: SchemaSource,
  longs: Longs,
): { schemas: SchemaCache; type: avsc.Type } {
  const schemas = new SchemaCache(source, new Map([[lookup.name, lookup.schema]]), longs);
  return { schemas, type: schemas.reader(lookup.name) };
}

/** Why a table record was skipped (the `reason` label of dataprod_lookup_records_skipped_total). */
export const SKIP_REASONS = [
  'no-key',
  'not-avro',
  'truncated-frame',
  'unknown-schema-id',
  'incompatible-writer-schema',
  'avro-decode',
] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

export type Decoded = { change: TableChange } | { skip: SkipReason } | { needsSchema: number };

export function decodeTableRecord(lookup: string, schemas: SchemaCache, record: { key: Buffer | null; value: Buffer | null }): Decoded {
  if (record.key === null) return { skip: 'no-key' };
  const key = record.key.toString('utf8');
  const value = record.value;
  const problem = frameProblem(value);
  if (problem === 'tombstone') return { change: { key, bytes: 0 } };
  if (problem !== undefined) return { skip: problem };
  const schemaId = value!.readUInt32BE(1);
  const resolution = schemas.resolve(lookup, schemaId);
  if (!resolution) return { needsSchema: schemaId };
  if (resolution.kind !== 'ready') return { skip: resolution.kind };
  try {
    return { change: { key, value: resolution.read(value!, FRAME_HEADER_BYTES), bytes: value!.length - FRAME_HEADER_BYTES } };
  } catch {
    return { skip: 'avro-decode' };
  }
}
