import type avsc from 'avsc';
import type { AvroSchema, Longs } from '../product/types.js';
import { avroType, isLongPrecisionLoss, unsafeLongPath } from './logical-types.js';
import { incompatibleField } from './resolution.js';

/** Where writer schemas come from: the registry, or an in-memory table for offline cases. */
export interface SchemaSource {
  /** The schema, or undefined when the id is unknown. Throws a retriable error when unreachable. */
  schemaById(id: number): Promise<AvroSchema | undefined>;
}

export type Resolution =
  /** `read` decodes the Avro body that starts at `offset` and runs to the end of `value`; throws on bad bytes. */
  | { kind: 'ready'; read: (value: Buffer, offset: number) => unknown }
  | { kind: 'unknown-schema-id' }
  /** `field`: the first field (dotted path) whose writer type cannot be read with the reader's meaning. */
  | { kind: 'incompatible-writer-schema'; field?: string };

/**
 * Thrown by a ready `read` for a long a number cannot hold exactly (products with `longs: number`):
 * the record is dead-lettered `avro-decode`, naming the field, rule `long-precision`.
 */
export class LongPrecisionError extends Error {
  constructor(readonly field: string | undefined) {
    super(`a long in ${field ?? 'the record'} is beyond +-(2^53 - 1); set longs: bigint in product.yaml to read it exactly`);
    this.name = 'LongPrecisionError';
  }
}

/** How long an unknown id stays unknown before we ask the registry again. */
const UNKNOWN_ID_TTL_MS = 60_000;

/**
 * Writer schemas by id, and per input port the resolver from each writer schema to the port's
 * reader schema. Lookups are synchronous; only `fetch` touches the network, once per new id,
 * so after warm-up a record costs no network call and no Promise.
 */
export class SchemaCache {
  private readonly writers = new Map<number, avsc.Type>();
  private readonly writerSchemas = new Map<number, AvroSchema>();
  private readonly readerSchemas: ReadonlyMap<string, AvroSchema>;
  private readonly unknownUntil = new Map<number, number>();
  private readonly resolutions = new Map<string, Map<number, Resolution>>();
  private readonly readers: Map<string, avsc.Type>;

  constructor(
    private readonly source: SchemaSource,
    readerSchemas: ReadonlyMap<string, AvroSchema>,
    private readonly longs: Longs = 'number',
  ) {
    this.readerSchemas = readerSchemas;
    this.readers = new Map([...readerSchemas].map(([port, schema]) => [port, avroType(schema, longs)]));
  }

  /** The reader type of an input port. */
  reader(port: string): avsc.Type {
    const type = this.readers.get(port);
    if (!type) throw new Error(`no input port named ${port}`);
    return type;
  }

  /** Synchronous: undefined means the writer schema has not been fetched yet (call fetch first). */
  resolve(port: string, schemaId: number): Resolution | undefined {
    let perPort = this.resolutions.get(port);
    const cached = perPort?.get(schemaId);
    if (cached) {
      if (cached.kind !== 'unknown-schema-id' || (this.unknownUntil.get(schemaId) ?? 0) > Date.now()) return cached;
      perPort!.delete(schemaId);
      return undefined;
    }
    const writer = this.writers.get(schemaId);
    let resolution: Resolution;
    if (writer) {
      const reader = this.reader(port);
      try {
        const resolver = reader.createResolver(writer);
        // decode() reads in place: no sub-buffer per record, unlike fromBuffer(value.subarray(offset)).
        resolution = {
          kind: 'ready',
          read: (value, offset) => {
            let decoded: { value: unknown; offset: number };
            try {
              decoded = reader.decode(value, offset, resolver);
            } catch (err) {
              if (isLongPrecisionLoss(err)) throw new LongPrecisionError(this.unsafeLongField(port, schemaId, value, offset));
              throw err;
            }
            if (decoded.offset < 0) throw new Error('truncated buffer');
            if (decoded.offset < value.length) throw new Error('trailing data');
            return decoded.value;
          },
        };
      } catch {
        resolution = { kind: 'incompatible-writer-schema', field: incompatibleField(reader, writer) };
      }
    } else if ((this.unknownUntil.get(schemaId) ?? 0) > Date.now()) {
      resolution = { kind: 'unknown-schema-id' };
    } else {
      return undefined;
    }
    if (!perPort) this.resolutions.set(port, (perPort = new Map()));
    perPort.set(schemaId, resolution);
    return resolution;
  }

  /**
   * The slow path of a long too large for a number (rare, and the record is dead-lettered anyway):
   * read the record again with bigint longs to find which field holds it.
   */
  private unsafeLongField(port: string, schemaId: number, value: Buffer, offset: number): string | undefined {
    try {
      const reader = avroType(this.readerSchemas.get(port)!, 'bigint');
      const writer = avroType(this.writerSchemas.get(schemaId)!, 'bigint');
      return unsafeLongPath(this.reader(port), reader.decode(value, offset, reader.createResolver(writer)).value);
    } catch {
      return undefined;
    }
  }

  /** Ids among these that resolve() cannot answer yet. */
  missing(ids: Iterable<number>): number[] {
    const now = Date.now();
    const out = new Set<number>();
    for (const id of ids) {
      if (!this.writers.has(id) && (this.unknownUntil.get(id) ?? 0) <= now) out.add(id);
    }
    return [...out];
  }

  /** Fetches writer schemas; an id the source does not know is remembered as unknown for a while. */
  async fetch(ids: Iterable<number>): Promise<void> {
    for (const id of this.missing(ids)) {
      const schema = await this.source.schemaById(id);
      if (schema === undefined) {
        this.unknownUntil.set(id, Date.now() + UNKNOWN_ID_TTL_MS);
        continue;
      }
      try {
        this.writers.set(id, avroType(schema, this.longs));
        this.writerSchemas.set(id, schema);
      } catch {
        // A registered schema avsc cannot compile cannot be read: treat like an unknown id.
        this.unknownUntil.set(id, Number.MAX_SAFE_INTEGER);
      }
    }
  }
}

/** An in-memory schema source: ids assigned by the caller (offline cases, tests). */
export class StaticSchemaSource implements SchemaSource {
  constructor(private readonly schemas: ReadonlyMap<number, AvroSchema>) {}

  async schemaById(id: number): Promise<AvroSchema | undefined> {
    return this.schemas.get(id);
  }
}
