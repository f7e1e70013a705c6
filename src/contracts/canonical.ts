/**
 * The one text dataprod sends to a registry for a schema (register, look up, check). Registries
 * compare schema text (Apicurio byte for byte), so two files that differ only in whitespace or
 * attribute order must give the same text, or each would become a new version with a new id
 * and a client looking the schema up by its own text would get 404.
 *
 * The form: Avro's Parsing Canonical Form ordering (name, type, fields, symbols, items, values,
 * size; no whitespace; `{"type": "int"}` written "int") but keeping every other attribute, since
 * the registry keeps doc, default, aliases, order, logical types and custom properties, and
 * defaults matter to compatibility. Those follow in alphabetical order, namespace first. Names
 * are kept as written (not expanded to full names), so the stored text reads like the file.
 */
import type { AvroSchema } from '../product/types.js';

const LEADING_KEYS = ['name', 'namespace', 'type', 'fields', 'symbols', 'items', 'values', 'size'];

/** The canonical text of a schema (see the file header). */
export function canonicalSchemaText(schema: AvroSchema): string {
  return JSON.stringify(canonical(schema));
}

function canonical(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(canonical);
  if (typeof schema !== 'object' || schema === null) return schema;
  const obj = schema as Record<string, unknown>;
  const keys = Object.keys(obj);
  // {"type": "long"} and "long" are the same schema: the short one is canonical.
  if (keys.length === 1 && keys[0] === 'type' && typeof obj.type === 'string') return obj.type;
  const out: Record<string, unknown> = {};
  for (const key of LEADING_KEYS) if (key in obj) out[key] = canonicalAttribute(key, obj[key]);
  for (const key of keys.filter((k) => !LEADING_KEYS.includes(k)).sort()) out[key] = obj[key];
  return out;
}

function canonicalAttribute(key: string, value: unknown): unknown {
  if (key === 'type' || key === 'items' || key === 'values') return canonical(value);
  if (key === 'fields' && Array.isArray(value)) return value.map((field) => canonicalField(field));
  return value;
}

/** A field keeps its attribute order rule: name, type, then the rest alphabetically (default, doc, ...). */
function canonicalField(field: unknown): unknown {
  if (typeof field !== 'object' || field === null) return field;
  const obj = field as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  if ('name' in obj) out.name = obj.name;
  if ('type' in obj) out.type = canonical(obj.type);
  for (const key of Object.keys(obj)
    .filter((k) => k !== 'name' && k !== 'type')
    .sort())
    out[key] = obj[key];
  return out;
}
