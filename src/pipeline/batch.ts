import type { SchemaCache } from '../contracts/schema-cache.js';
import { frameSchemaId } from '../contracts/wire.js';
import type { DataError, ProductProcessor, SourceRecord } from './processor.js';

/**
 * What became of one decided record: the processor's outcome names, used unchanged by the plan,
 * the counters and the docs.
 */
export type RecordOutcome = 'published' | 'filtered' | 'dead-lettered';

/** One encoded output, with the index of the input record it came from. */
export interface DecidedOutput {
  key: Buffer | string | null;
  value: Buffer;
  source: number;
  /** Event time (ms) of the output, when the output port declares eventTime and the field is set. */
  eventTime?: number;
}

/**
 * Step 1 of the batch path (decide, pure): the decisions for a batch of one partition, in record
 * order, before any I/O: what to publish, what to dead-letter, what was filtered.
 */
export interface BatchDecision {
  /** Records decided, from the first; the rest of the batch is left for the next fetch. */
  decided: number;
  /** The outcome of each decided record. */
  outcomes: RecordOutcome[];
  /** Outputs of the published records, in order (a record may have several). */
  outputs: DecidedOutput[];
  /** The error of each dead-lettered record, and of each record filtered as invalid, by index. */
  errors: [number, DataError][];
  /** Quality rules with onFailure: warn that failed, by record index. */
  warnings: [number, string][];
  /**
   * Why the batch stopped before its end: a writer schema expired from the cache mid-batch
   * (fetch and read on), or invalid input on a port with onInvalid: fail (at record `index`).
   */
  stop?: { kind: 'needs-schema'; index: number } | { kind: 'fail'; index: number; error: DataError };
}

/** Reads the output's event time in ms (timestamp-millis or -micros field), or undefined. */
export type EventTimeReader = (event: unknown) => number | undefined;

/**
 * Fetches the writer schemas the batch needs and lacks: the only await of a batch's decisions,
 * so after warm-up a batch costs no network call. Throws what the schema source throws.
 */
export async function warmSchemas(schemas: SchemaCache, records: readonly { value: Buffer | null }[]): Promise<void> {
  const ids = new Set<number>();
  let previousId: number | undefined;
  for (const r of records) {
    const id = frameSchemaId(r.value);
    // Runs of one writer schema are the norm: touch the set only when the id changes.
    if (id !== undefined && id !== previousId) ids.add((previousId = id));
  }
  if (schemas.missing(ids).length > 0) await schemas.fetch(ids);
}

/** Runs every record of the batch through the processor, in order, synchronously. */
export function decideBatch(
  processor: ProductProcessor,
  records: readonly SourceRecord[],
  eventTime: EventTimeReader | undefined,
): BatchDecision {
  const decision: BatchDecision = { decided: 0, outcomes: [], outputs: [], errors: [], warnings: [] };
  for (let i = 0; i < records.length; i++) {
    const outcome = processor.process(records[i]!);
    if (outcome.kind === 'needs-schema') {
      decision.stop = { kind: 'needs-schema', index: i };
      break;
    }
    if (outcome.kind === 'fail') {
      decision.stop = { kind: 'fail', index: i, error: outcome.error };
      break;
    }
    decision.decided = i + 1;
    decision.outcomes.push(outcome.kind);
    switch (outcome.kind) {
      case 'published':
        for (const out of outcome.outputs) {
          const t = eventTime?.(out.event);
          decision.outputs.push(
            t === undefined ? { key: out.key, value: out.value, source: i } : { key: out.key, value: out.value, source: i, eventTime: t },
          );
        }
        for (const rule of outcome.warnings) decision.warnings.push([i, rule]);
        break;
      case 'filtered':
        if (outcome.error) decision.errors.push([i, outcome.error]);
        break;
      case 'dead-lettered':
        decision.errors.push([i, outcome.error]);
        break;
    }
  }
  return decision;
}

/** The reader of an output port's eventTime field, or undefined when the port declares none. */
export function eventTimeReader(schema: unknown, field: string | undefined): EventTimeReader | undefined {
  if (field === undefined) return undefined;
  const micros = eventTimeIsMicros(schema, field);
  return (event) => {
    const v = (event as Record<string, unknown>)[field];
    // A bigint under `longs: bigint`; as ms, a double is exact enough for a latency.
    const t = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : undefined;
    return t === undefined ? undefined : micros ? t / 1000 : t;
  };
}

/** True when the top-level field is a (nullable) long with logicalType timestamp-micros. */
function eventTimeIsMicros(schema: unknown, field: string): boolean {
  const fields = (schema as { fields?: { name: string; type: unknown }[] }).fields ?? [];
  const type = fields.find((f) => f.name === field)?.type;
  const branches = Array.isArray(type) ? type : [type];
  return branches.some((b) => typeof b === 'object' && b !== null && (b as { logicalType?: string }).logicalType === 'timestamp-micros');
}
