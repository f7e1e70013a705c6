import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type avsc from 'avsc';
import { parse as parseYaml } from 'yaml';
import type { AvroSchema, ProductDescriptor } from '../product/types.js';
import { SchemaCache, StaticSchemaSource } from '../contracts/schema-cache.js';
import { avroType } from '../contracts/logical-types.js';
import { frame } from '../contracts/wire.js';
import { CaseNotationError, fromCaseNotation } from './case-notation.js';
import type { Transform } from '../transform.js';
import { FixtureLookups, type FixtureTables } from '../lookups/fixtures.js';
import { DLQ_REASONS, ProductProcessor, type Outcome, type SourceRecord } from '../pipeline/processor.js';

/**
 * `dataprod test`: runs a product's example cases (cases/*.yaml) through the real processor,
 * offline. Schema ids are local: the input ports' reader schemas are 1..n in port order, each
 * `writerSchema` file gets an id from 100 up, and the output schema is 999.
 */
export interface CaseResult {
  file: string;
  name: string;
  ok: boolean;
  /** What went wrong, for a failed case. May quote case data: it is the developer's own. */
  problems: string[];
}

interface CaseSpec {
  name?: unknown;
  port?: unknown;
  key?: unknown;
  headers?: unknown;
  timestamp?: unknown;
  input?: unknown;
  writerSchema?: unknown;
  /** Lookup fixtures of this case, laid over the file's (src/lookups/fixtures.ts). */
  lookups?: unknown;
  raw?: { text?: unknown; hex?: unknown; bodyHex?: unknown; tombstone?: unknown };
  expect?: {
    outputs?: unknown;
    key?: unknown;
    filtered?: unknown;
    deadLetter?: { reason?: unknown; rule?: unknown; field?: unknown };
  };
}

const OUTPUT_SCHEMA_ID = 999;
const FIRST_WRITER_ID = 100;
const DEFAULT_TIMESTAMP = 1_767_225_600_000; // 2026-01-01T00:00:00Z

export async function runCases(product: ProductDescriptor, transform: Transform): Promise<CaseResult[]> {
  const casesDir = join(product.dir, 'cases');
  if (!existsSync(casesDir)) return [];
  const files = readdirSync(casesDir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();

  const schemas = new Map<number, AvroSchema>();
  product.inputPorts.forEach((port, i) => schemas.set(i + 1, port.contract.schema));
  const writerIds = new Map<string, number>();
  const results: CaseResult[] = [];
  const prepared: { file: string; name: string; spec: CaseSpec; problems: string[]; record?: SourceRecord; tables: FixtureTables }[] = [];
  const fixtures = new FixtureLookups(product.lookups ?? [], product.longs);

  for (const file of files) {
    const rel = `cases/${file}`;
    let doc: unknown;
    try {
      doc = parseYaml(readFileSync(join(casesDir, file), 'utf8'));
    } catch (err) {
      results.push({ file: rel, name: '(file)', ok: false, problems: [`not valid YAML: ${(err as Error).message}`] });
      continue;
    }
    const list = (doc as { cases?: unknown } | null)?.cases;
    if (!Array.isArray(list)) {
      results.push({ file: rel, name: '(file)', ok: false, problems: ['must have a top-level `cases:` list'] });
      continue;
    }
    const fileProblems: string[] = [];
    const fileTables = fixtures.parse((doc as { lookups?: unknown }).lookups, new Map(), fileProblems);
    if (fileProblems.length > 0) results.push({ file: rel, name: '(file)', ok: false, problems: fileProblems });
    list.forEach((item, index) => {
      const spec = (item ?? {}) as CaseSpec;
      const name = typeof spec.name === 'string' ? spec.name : `cases[${index}]`;
      const problems: string[] = [];
      const record = buildRecord(product, spec, schemas, writerIds, problems);
      const tables = fixtures.parse(spec.lookups, fileTables, problems);
      prepared.push({ file: rel, name, spec, problems, record, tables });
    });
  }

  const cache = new SchemaCache(
    new StaticSchemaSource(schemas),
    new Map(product.inputPorts.map((p) => [p.name, p.contract.schema])),
    product.longs,
  );
  const processor = new ProductProcessor(product, transform, cache, {
    outputSchemaId: OUTPUT_SCHEMA_ID,
    maxOutputBytes: 1_000_000,
    lookups: fixtures,
  });
  const outputType = avroType(product.output.schema, product.longs);

  for (const c of prepared) {
    if (c.record && c.problems.length === 0) {
      fixtures.use(c.tables);
      let outcome = processor.process(c.record);
      if (outcome.kind === 'needs-schema') {
        await cache.fetch([outcome.schemaId]);
        outcome = processor.process(c.record);
      }
      checkExpectation(c.spec, outcome, outputType, c.problems);
    }
    results.push({ file: c.file, name: c.name, ok: c.problems.length === 0, problems: c.problems });
  }
  return results;
}

function buildRecord(
  product: ProductDescriptor,
  spec: CaseSpec,
  schemas: Map<number, AvroSchema>,
  writerIds: Map<string, number>,
  problems: string[],
): SourceRecord | undefined {
  if (typeof spec.name !== 'string' || spec.name === '') problems.push('name: required');
  const portName = spec.port ?? (product.inputPorts.length === 1 ? product.inputPorts[0]!.name : undefined);
  const portIndex = product.inputPorts.findIndex((p) => p.name === portName);
  if (portIndex < 0) {
    problems.push(
      portName === undefined
        ? `port: required because the product has several input ports (${product.inputPorts.map((p) => p.name).join(', ')})`
        : `port: no input port named ${String(portName)} (have ${product.inputPorts.map((p) => p.name).join(', ')})`,
    );
    return undefined;
  }
  const port = product.inputPorts[portIndex]!;

  let schemaId = portIndex + 1;
  if (spec.writerSchema !== undefined) {
    if (typeof spec.writerSchema !== 'string') {
      problems.push('writerSchema: must be a path relative to the product folder');
      return undefined;
    }
    const path = resolve(product.dir, spec.writerSchema);
    let id = writerIds.get(path);
    if (id === undefined) {
      try {
        const schema = JSON.parse(readFileSync(path, 'utf8')) as AvroSchema;
        id = FIRST_WRITER_ID + writerIds.size;
        writerIds.set(path, id);
        schemas.set(id, schema);
      } catch (err) {
        problems.push(`writerSchema: cannot read ${relative(product.dir, path)}: ${(err as Error).message}`);
        return undefined;
      }
    }
    schemaId = id;
  }

  const inputs = [spec.input !== undefined, spec.raw !== undefined].filter(Boolean).length;
  if (inputs !== 1) {
    problems.push('exactly one of input / raw is required');
    return undefined;
  }
  let value: Buffer | null;
  if (spec.raw !== undefined) {
    const raw = spec.raw;
    if (raw.tombstone === true) value = null;
    else if (typeof raw.text === 'string') value = Buffer.from(raw.text, 'utf8');
    else if (typeof raw.hex === 'string') value = hexBytes(raw.hex, 'raw.hex', problems);
    else if (typeof raw.bodyHex === 'string') value = frame(schemaId, hexBytes(raw.bodyHex, 'raw.bodyHex', problems));
    else {
      problems.push('raw: one of text, hex, bodyHex or tombstone: true');
      return undefined;
    }
  } else {
    let type: avsc.Type;
    try {
      type = avroType(schemas.get(schemaId)!, product.longs);
    } catch (err) {
      problems.push(`writerSchema: ${String(spec.writerSchema)} is not a valid Avro schema: ${(err as Error).message}`);
      return undefined;
    }
    let input: unknown;
    try {
      input = fromCaseNotation(type, spec.input, 'input');
    } catch (err) {
      if (!(err instanceof CaseNotationError)) throw err;
      problems.push(
        `${err.message} (${relative(product.dir, spec.writerSchema === undefined ? port.contract.schemaFile : resolve(product.dir, String(spec.writerSchema)))})`,
      );
      return undefined;
    }
    let bad: string | undefined;
    if (!type.isValid(input, { errorHook: (path) => (bad ??= path.join('.') || '(root)') })) {
      problems.push(`input: does not match ${spec.writerSchema ?? port.contract.schemaFile} at ${bad}`);
      return undefined;
    }
    value = frame(schemaId, type.toBuffer(input));
  }

  const headers: Record<string, string> = {};
  if (spec.headers !== undefined) {
    if (typeof spec.headers !== 'object' || spec.headers === null) problems.push('headers: must be a map of strings');
    else for (const [k, v] of Object.entries(spec.headers)) headers[k] = String(v);
  }
  return {
    topic: port.topic,
    partition: 0,
    offset: '0',
    timestamp: String(typeof spec.timestamp === 'number' ? spec.timestamp : DEFAULT_TIMESTAMP),
    key: spec.key === undefined || spec.key === null ? null : Buffer.from(String(spec.key)),
    value,
    headers,
  };
}

function hexBytes(hex: string, path: string, problems: string[]): Buffer {
  const clean = hex.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) problems.push(`${path}: not an even number of hex digits`);
  return Buffer.from(clean, 'hex');
}

function describe(outcome: Outcome): string {
  switch (outcome.kind) {
    case 'published':
      return `published ${outcome.outputs.length} output(s)`;
    case 'filtered':
      return `filtered (${outcome.by}${outcome.error ? `, ${outcome.error.reason}` : ''})`;
    case 'dead-lettered':
    case 'fail': {
      const e = outcome.error;
      const where = [e.rule && `rule ${e.rule}`, e.field && `field ${e.field}`].filter(Boolean).join(', ');
      return `${outcome.kind === 'fail' ? 'failed the worker' : 'dead-lettered'} with reason ${e.reason}${where ? ` (${where})` : ''}${e.detail ? `: ${e.detail}` : ''}`;
    }
    case 'needs-schema':
      return `needed schema id ${outcome.schemaId}`;
  }
}

function checkExpectation(spec: CaseSpec, outcome: Outcome, outputType: avsc.Type, problems: string[]): void {
  const expect = spec.expect;
  const kinds = expect ? (['outputs', 'filtered', 'deadLetter'] as const).filter((k) => expect[k] !== undefined) : [];
  if (!expect || kinds.length !== 1) {
    problems.push('expect: exactly one of outputs / filtered / deadLetter is required');
    return;
  }
  if (expect.outputs !== undefined) {
    if (outcome.kind !== 'published') return void problems.push(`expected outputs, but the event was ${describe(outcome)}`);
    const expected = Array.isArray(expect.outputs) ? expect.outputs : [expect.outputs];
    if (expected.length !== outcome.outputs.length) {
      problems.push(`expected ${expected.length} output(s), got ${outcome.outputs.length}`);
    }
    expected.forEach((written, i) => {
      const got = outcome.outputs[i];
      if (!got) return;
      let want: unknown;
      try {
        want = fromCaseNotation(outputType, written, `expect.outputs[${i}]`);
      } catch (err) {
        if (!(err instanceof CaseNotationError)) throw err;
        return void problems.push(err.message);
      }
      let bad: string | undefined;
      if (!outputType.isValid(want, { errorHook: (path) => (bad ??= path.join('.') || '(root)') })) {
        return void problems.push(`expect.outputs[${i}]: not a valid output record (at ${bad})`);
      }
      const actual = outputType.fromBuffer(got.value.subarray(5));
      if (!outputType.toBuffer(want).equals(got.value.subarray(5))) {
        const diffs = fieldDiffs(plain(want), plain(actual));
        problems.push(`expect.outputs[${i}] differs: ${diffs.join('; ')}`);
      }
      if (expect.key !== undefined) {
        const key = got.key === null ? null : got.key.toString();
        if (key !== String(expect.key))
          problems.push(`expect.key: expected ${JSON.stringify(String(expect.key))}, got ${JSON.stringify(key)}`);
      }
    });
    return;
  }
  if (expect.filtered !== undefined) {
    if (expect.filtered !== true) return void problems.push('expect.filtered: must be true (to expect outputs, use expect.outputs)');
    if (outcome.kind !== 'filtered') problems.push(`expected filtered, but the event was ${describe(outcome)}`);
    return;
  }
  const want = expect.deadLetter!;
  if (typeof want.reason !== 'string' || !(DLQ_REASONS as readonly string[]).includes(want.reason)) {
    return void problems.push(`expect.deadLetter.reason: must be one of ${DLQ_REASONS.join(', ')}`);
  }
  if (outcome.kind !== 'dead-lettered')
    return void problems.push(`expected dead-letter ${want.reason}, but the event was ${describe(outcome)}`);
  const got = outcome.error;
  if (got.reason !== want.reason) problems.push(`expected reason ${want.reason}, but the event was ${describe(outcome)}`);
  if (want.rule !== undefined && got.rule !== want.rule) problems.push(`expected rule ${String(want.rule)}, got ${got.rule ?? 'none'}`);
  if (want.field !== undefined && got.field !== want.field)
    problems.push(`expected field ${String(want.field)}, got ${got.field ?? 'none'}`);
}

function plain(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)));
}

function fieldDiffs(want: unknown, got: unknown, path = ''): string[] {
  if (isDeepStrictEqual(want, got)) return [];
  if (want && got && typeof want === 'object' && typeof got === 'object' && !Array.isArray(want) && !Array.isArray(got)) {
    const keys = [...new Set([...Object.keys(want), ...Object.keys(got)])];
    return keys.flatMap((k) =>
      fieldDiffs((want as Record<string, unknown>)[k], (got as Record<string, unknown>)[k], path ? `${path}.${k}` : k),
    );
  }
  return [`${path || '(root)'}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`];
}
