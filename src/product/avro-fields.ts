/**
 * The Avro side of validation: schema files read once per load (relative to the product folder),
 * dotted field paths walked through records and unions, the unit of an event-time field.
 */
import { statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type avsc from 'avsc';
import { avroType } from '../contracts/logical-types.js';
import { closest } from './suggest.js';
import type { AvroSchema } from './types.js';

export interface SchemaFile {
  rel: string;
  abs: string;
  json?: AvroSchema;
  type?: avsc.Type;
  /** Why it cannot be used, starting with the relative path. */
  error?: string;
}

export async function loadSchemaFile(dir: string, rel: string, cache: Map<string, SchemaFile>): Promise<SchemaFile> {
  const abs = resolve(dir, rel);
  const cached = cache.get(abs);
  if (cached) return cached;
  const result: SchemaFile = { rel, abs };
  cache.set(abs, result);
  let text: string;
  try {
    if (!statSync(abs).isFile()) {
      result.error = `${rel} is not a file (${abs})`;
      return result;
    }
    text = await readFile(abs, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    result.error =
      code === 'ENOENT'
        ? `${rel} does not exist (looked for ${abs}; paths are relative to the product folder)`
        : `${rel} cannot be read: ${(err as Error).message}`;
    return result;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    result.error = `${rel} is not valid JSON: ${(err as Error).message}`;
    return result;
  }
  try {
    result.type = avroType(json as AvroSchema);
    result.json = json as AvroSchema;
  } catch (err) {
    result.error = `${rel} is not a valid Avro schema: ${(err as Error).message}`;
  }
  return result;
}

export type AvroRecord = avsc.Type & { readonly fields: { name: string; type: avsc.Type }[] };

export function isRecord(t: avsc.Type): t is AvroRecord {
  return t.typeName === 'record' || t.typeName === 'error';
}

/** The record types reachable from `t` directly or through a union. */
export function recordsOf(t: avsc.Type): AvroRecord[] {
  if (isRecord(t)) return [t];
  if (t.typeName.startsWith('union')) return (t as avsc.Type & { types: avsc.Type[] }).types.filter(isRecord);
  return [];
}

export function fieldNames(records: AvroRecord[]): string[] {
  return [...new Set(records.flatMap((r) => r.fields.map((f) => f.name)))];
}

export function topLevelFields(t: avsc.Type): string[] {
  return fieldNames(recordsOf(t));
}

/**
 * Walks a dotted field path through records and unions. Returns undefined when it exists, or
 * why not (and a close field name at the failing level).
 */
export function findField(root: avsc.Type, path: string): { reason?: string; suggestion?: string } | undefined {
  const parts = path.split('.');
  let current: avsc.Type[] = [root];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const prefix = parts.slice(0, i).join('.');
    const records = current.flatMap(recordsOf);
    if (records.length === 0) {
      const typeNames = [...new Set(current.map((t) => t.typeName))].join(' | ');
      return { reason: i === 0 ? `the schema is ${typeNames}, not a record` : `${prefix} is ${typeNames}, not a record` };
    }
    const next = records.flatMap((r) => r.fields.filter((f) => f.name === part).map((f) => f.type));
    if (next.length === 0) {
      const names = fieldNames(records);
      const guess = closest(part, names);
      return {
        reason: i === 0 ? undefined : `${prefix} has no field ${part}; its fields: ${names.join(', ')}`,
        suggestion: guess === undefined ? undefined : [...parts.slice(0, i), guess].join('.'),
      };
    }
    current = next;
  }
  return undefined;
}

/** The types a dotted field path reaches (one per record that has it), or none when it does not exist. */
export function fieldTypes(root: avsc.Type, path: string): avsc.Type[] {
  let current: avsc.Type[] = [root];
  for (const part of path.split('.')) {
    current = current.flatMap(recordsOf).flatMap((r) => r.fields.filter((f) => f.name === part).map((f) => f.type));
  }
  return current;
}

/** Why `path` is not a field of the schema described by `where`, with a guess and the top-level fields. */
export function missingFieldMessage(
  path: string,
  where: string,
  missing: { reason?: string; suggestion?: string },
  root: avsc.Type,
): string {
  const detail = missing.reason === undefined ? '' : `: ${missing.reason}`;
  const guess = missing.suggestion ? `did you mean ${missing.suggestion}? ` : '';
  return `${path} is not a field of ${where}${detail}; ${guess}top-level fields: ${topLevelFields(root).join(', ') || 'none'}`;
}

/** The unit of an event-time field: a (nullable) long with a timestamp logical type. */
export function eventTimeKind(type: avsc.Type): 'millis' | 'micros' | undefined {
  const branches =
    type.typeName === 'union' ? (type as avsc.types.UnwrappedUnionType).types.filter((t: avsc.Type) => t.typeName !== 'null') : [type];
  if (branches.length !== 1) return undefined;
  const schema = branches[0]!.schema({ exportAttrs: true }) as { type?: string; logicalType?: string } | string;
  if (typeof schema !== 'object' || schema.type !== 'long') return undefined;
  if (schema.logicalType === 'timestamp-millis') return 'millis';
  if (schema.logicalType === 'timestamp-micros') return 'micros';
  return undefined;
}
