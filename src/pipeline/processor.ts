import type avsc from 'avsc';
import type { InputPort, OutputPort, ProductDescriptor } from '../product/types.js';
import { LongPrecisionError, type SchemaCache } from '../contracts/schema-cache.js';
import { avroType } from '../contracts/logical-types.js';
import { FRAME_HEADER_BYTES, FrameArena, frameProblem } from '../contracts/wire.js';
import type { Transform, TransformContext } from '../transform.js';
import { compileRule, type CompiledCheck } from './rules.js';
import { LookupMissError, NO_LOOKUPS, type LookupReader } from '../lookups/reader.js';

/** Reasons that say the input record itself was bad (counted in `dataprod_records_invalid_total`). */
export const INPUT_REASONS = [
  'not-avro',
  'truncated-frame',
  'tombstone',
  'unknown-schema-id',
  'incompatible-writer-schema',
  'avro-decode',
  'contract',
  'quality',
] as const;

/**
 * The closed list of dead-letter reasons (the `dataprod.error.reason` header and metric label):
 * the input reasons, then our own stages failing on a good record.
 */
export const DLQ_REASONS = [...INPUT_REASONS, 'transform', 'output-schema', 'too-large', 'lookup-miss'] as const;
export type DlqReason = (typeof DLQ_REASONS)[number];

export const STAGES = ['decode', 'contract', 'quality', 'transform', 'encode'] as const;
export type Stage = (typeof STAGES)[number];

/** A data error: codes and positions only. `detail` may quote data and never leaves `dataprod test`. */
export interface DataError {
  reason: DlqReason;
  stage: Stage;
  field?: string;
  rule?: string;
  schemaId?: number;
  detail?: string;
}

export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  /** Broker timestamp, ms since the epoch, as kafkajs gives it. */
  timestamp: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>;
}

export interface OutputRecord {
  key: Buffer | string | null;
  /** Confluent-framed Avro. */
  value: Buffer;
  /** The output as the transform returned it, for `dataprod test`. */
  event: unknown;
}

export type Outcome =
  | { kind: 'published'; outputs: OutputRecord[]; warnings: string[] }
  /** Filtered by the transform (null or []), by a rule with onFailure drop, or invalid input with onInvalid drop. */
  | { kind: 'filtered'; by: 'transform' | 'rule' | 'invalid'; error?: DataError }
  | { kind: 'dead-lettered'; error: DataError }
  /** Invalid input on a port with onInvalid: fail. */
  | { kind: 'fail'; error: DataError }
  /** The writer schema is not cached yet: fetch it (SchemaCache.fetch) and process again. */
  | { kind: 'needs-schema'; schemaId: number };

export interface ProcessorOptions {
  /** Registered id of the output port's schema, written into every output frame. */
  outputSchemaId: number;
  /** Outputs larger than this are dead-lettered as `too-large` instead of failing the produce. */
  maxOutputBytes: number;
  /** The tables `ctx.lookup` reads (src/lookups); none by default. */
  lookups?: LookupReader;
}

interface PortRuntime {
  port: InputPort;
  contract: CompiledCheck[];
  quality: { check: CompiledCheck; onFailure: 'dlq' | 'drop' | 'warn' }[];
}

/**
 * The per-record path of one product: decode → contract → quality → transform → output schema
 * → encode. Synchronous: every outcome is decided here, the worker only does the I/O.
 */
export class ProductProcessor {
  private readonly ports = new Map<string, PortRuntime>();
  private readonly output: OutputPort;
  private readonly outputType: avsc.Type;
  private readonly outputKey: ((value: unknown) => unknown) | undefined;
  private readonly frames = new FrameArena();

  constructor(
    readonly product: ProductDescriptor,
    private readonly transform: Transform,
    private readonly schemas: SchemaCache,
    private readonly options: ProcessorOptions,
  ) {
    for (const port of product.inputPorts) {
      this.ports.set(port.topic, {
        port,
        contract: port.contract.constraints.map(compileRule),
        quality: product.quality
          .filter((rule) => rule.port === port.name)
          .map((rule) => ({ check: compileRule(rule), onFailure: rule.onFailure })),
      });
    }
    this.output = product.output;
    this.outputType = avroType(this.output.schema, product.longs);
    const keyField = this.output.key;
    this.outputKey = keyField === undefined ? undefined : (value) => (value as Record<string, unknown>)[keyField];
  }

  process(record: SourceRecord): Outcome {
    const runtime = this.ports.get(record.topic);
    if (!runtime) throw new Error(`record from ${record.topic}, which is no input port of ${this.product.id}`);
    const { port } = runtime;

    // The frame is read in place, without a parse result or a body sub-buffer per record.
    const value = record.value;
    const problem = frameProblem(value);
    if (problem !== undefined) return this.invalid(port, { reason: problem, stage: 'decode' });
    const schemaId = value!.readUInt32BE(1);
    const resolution = this.schemas.resolve(port.name, schemaId);
    if (!resolution) return { kind: 'needs-schema', schemaId };
    if (resolution.kind === 'unknown-schema-id') return this.invalid(port, { reason: resolution.kind, stage: 'decode', schemaId });
    if (resolution.kind === 'incompatible-writer-schema') {
      const error: DataError = { reason: resolution.kind, stage: 'decode', schemaId };
      return this.invalid(port, resolution.field === undefined ? error : { ...error, field: resolution.field });
    }
    let event: unknown;
    try {
      event = resolution.read(value!, FRAME_HEADER_BYTES);
    } catch (err) {
      if (err instanceof LongPrecisionError) {
        const error: DataError = { reason: 'avro-decode', stage: 'decode', rule: 'long-precision', schemaId, detail: err.message };
        return this.invalid(port, err.field === undefined ? error : { ...error, field: err.field });
      }
      return this.invalid(port, { reason: 'avro-decode', stage: 'decode', schemaId, detail: (err as Error).message });
    }

    for (const check of runtime.contract) {
      if (!check.passes(event)) {
        return this.invalid(port, {
          reason: 'contract',
          stage: 'contract',
          rule: check.name,
          field: check.property,
          schemaId,
        });
      }
    }

    const warnings: string[] = [];
    for (const { check, onFailure } of runtime.quality) {
      if (check.passes(event)) continue;
      const error: DataError = { reason: 'quality', stage: 'quality', rule: check.name, field: check.property, schemaId };
      if (onFailure === 'dlq') return { kind: 'dead-lettered', error };
      if (onFailure === 'drop') return { kind: 'filtered', by: 'rule', error };
      warnings.push(check.name);
    }

    let result: unknown;
    try {
      result = this.transform.fn(event, new RecordContext(port.name, record, this.options.lookups ?? NO_LOOKUPS));
    } catch (err) {
      if (err instanceof LookupMissError) {
        return { kind: 'dead-lettered', error: { reason: 'lookup-miss', stage: 'transform', rule: err.lookup, schemaId } };
      }
      return {
        kind: 'dead-lettered',
        error: { reason: 'transform', stage: 'transform', schemaId, detail: errorText(err) },
      };
    }
    if (result instanceof Promise) {
      // A bug in the product, not bad data, but the event must not vanish: dead-letter it loudly.
      result.catch(() => undefined);
      return {
        kind: 'dead-lettered',
        error: { reason: 'transform', stage: 'transform', schemaId, detail: 'the transform returned a Promise; it must be synchronous' },
      };
    }
    if (result === null || result === undefined) return { kind: 'filtered', by: 'transform' };
    const events = Array.isArray(result) ? result : [result];
    if (events.length === 0) return { kind: 'filtered', by: 'transform' };

    const outputs: OutputRecord[] = [];
    for (const out of events) {
      let value: Buffer;
      try {
        // avsc's writers throw on a value that does not match the schema, so a valid output is
        // walked once, straight into its frame; only a failed one is walked again to name the field.
        value = this.frames.frame(this.options.outputSchemaId, (buf, pos) => this.outputType.encode(out, buf, pos));
      } catch {
        return {
          kind: 'dead-lettered',
          error: {
            reason: 'output-schema',
            stage: 'encode',
            field: this.invalidPath(out),
            detail: `output does not match ${this.output.schemaFile}`,
          },
        };
      }
      if (value.length > this.options.maxOutputBytes) {
        return {
          kind: 'dead-lettered',
          error: { reason: 'too-large', stage: 'encode', detail: `${value.length} bytes > ${this.options.maxOutputBytes}` },
        };
      }
      const key = this.outputKey ? this.outputKey(out) : record.key;
      outputs.push({ key: key === null || key === undefined ? null : Buffer.isBuffer(key) ? key : String(key), value, event: out });
    }
    return { kind: 'published', outputs, warnings };
  }

  /** The first field of an output that does not match the output schema ('(root)' for the whole value). */
  private invalidPath(out: unknown): string | undefined {
    let path: string | undefined;
    this.outputType.isValid(out, {
      errorHook: (p) => {
        path ??= p.join('.') || '(root)';
      },
    });
    return path;
  }

  private invalid(port: InputPort, error: DataError): Outcome {
    if (port.onInvalid === 'drop') return { kind: 'filtered', by: 'invalid', error };
    if (port.onInvalid === 'fail') return { kind: 'fail', error };
    return { kind: 'dead-lettered', error };
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Built per record; headers and key are decoded only if the transform reads them. */
class RecordContext implements TransformContext {
  private decodedHeaders: Record<string, string> | undefined;

  constructor(
    readonly port: string,
    private readonly record: SourceRecord,
    private readonly lookups: LookupReader,
  ) {}

  lookup(name: string, key: string): unknown {
    return this.lookups.get(name, key);
  }

  requireLookup(name: string, key: string): unknown {
    const value = this.lookups.get(name, key);
    if (value === undefined) throw new LookupMissError(name);
    return value;
  }

  get key(): string | null {
    return this.record.key === null ? null : this.record.key.toString('utf8');
  }

  get headers(): Readonly<Record<string, string>> {
    if (!this.decodedHeaders) {
      this.decodedHeaders = {};
      for (const [name, value] of Object.entries(this.record.headers ?? {})) {
        const first = Array.isArray(value) ? value[0] : value;
        if (first !== undefined) this.decodedHeaders[name] = first.toString();
      }
    }
    return this.decodedHeaders;
  }

  get topic(): string {
    return this.record.topic;
  }

  get partition(): number {
    return this.record.partition;
  }

  get offset(): string {
    return this.record.offset;
  }

  get timestamp(): number {
    return Number(this.record.timestamp);
  }
}
