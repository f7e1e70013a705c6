/**
 * A product's lookup tables: started together, restored before the product reads any input, read
 * by the transform through `ctx.lookup`, described for /metrics and the status page, stopped with
 * the product.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { SchemaSource } from '../contracts/schema-cache.js';
import { DataprodError } from '../errors.js';
import type { Admin, KafkaClient } from '../kafka/client.js';
import type { LookupStoreKind, ProductDescriptor } from '../product/types.js';
import type { SkipReason } from './table-codec.js';
import { LookupTable } from './table.js';
import { unknownLookup, type LookupReader } from './reader.js';

export interface LookupTablesDeps {
  kafka: KafkaClient;
  admin: Admin;
  schemas: SchemaSource;
  lookupDir: string;
  log: Logger;
  onSkip(lookup: string, reason: SkipReason): void;
  /** A table can no longer follow its topic: the product cannot go on. */
  onFatal(error: Error): void;
}

/** One table's state as /metrics, the status page and the catalogue show it. */
export interface LookupSnapshot {
  name: string;
  topic: string;
  store: LookupStoreKind;
  restored: boolean;
  /** Records read towards the end offsets seen at start, and how many that is. */
  restoredRecords: number;
  restoreTotal: number;
  entries: number;
  bytes: number;
  lagRecords: number;
  lagSeconds: number;
  /** Wall time of the newest change applied, seconds since the epoch; null before the first. */
  lastUpdateSeconds: number | null;
}

const PROGRESS_LOG_MS = 10_000;

/**
 * A product's tables as the worker and `dlq replay` run them: schemas from the registry, disk
 * stores under --lookup-dir (else the system's temporary folder), skipped records counted in
 * dataprod_lookup_records_skipped_total under the product's majorId.
 */
export function productLookupTables(
  product: ProductDescriptor,
  deps: {
    kafka: KafkaClient;
    admin: Admin;
    registry: SchemaSource;
    config: { lookupDir?: string };
    metrics: { lookups: { skipped: Counter<'product' | 'lookup' | 'reason'> } };
  },
  log: Logger,
  onFatal: (error: Error) => void,
): LookupTables {
  return new LookupTables(product, {
    kafka: deps.kafka,
    admin: deps.admin,
    schemas: deps.registry,
    lookupDir: deps.config.lookupDir ?? join(tmpdir(), 'dataprod-lookups'),
    log,
    onSkip: (lookup, reason) => deps.metrics.lookups.skipped.inc({ product: product.majorId, lookup, reason }),
    onFatal,
  });
}

export class LookupTables implements LookupReader {
  private readonly tables = new Map<string, LookupTable>();
  /** Ends a restore in progress: the product stopped, or a table cannot go on. */
  private abortRestore: ((error: Error) => void) | undefined;

  constructor(
    private readonly product: ProductDescriptor,
    private readonly deps: LookupTablesDeps,
  ) {
    for (const lookup of product.lookups ?? []) {
      this.tables.set(
        lookup.name,
        new LookupTable(lookup, {
          ...deps,
          longs: product.longs,
          groupPrefix: `${product.consumerGroup}.lookup.${lookup.name}`,
          log: deps.log.child({ lookup: lookup.name }),
          onSkip: (reason) => deps.onSkip(lookup.name, reason),
          onCrash: (error) => {
            const fatal = new DataprodError(
              'BROKER_UNAVAILABLE',
              `${product.majorId}: the consumer of lookup ${lookup.name} (${lookup.topic}) crashed`,
              {
                cause: error,
              },
            );
            this.abortRestore?.(fatal);
            deps.onFatal(fatal);
          },
        }),
      );
    }
  }

  get size(): number {
    return this.tables.size;
  }

  /** The current value of `key` in table `name`; throws on a name the descriptor does not declare (a bug in the transform). */
  get(name: string, key: string): unknown {
    const table = this.tables.get(name);
    if (!table) throw unknownLookup(name, [...this.tables.keys()]);
    return table.store.get(key);
  }

  /** Starts every table and resolves once all of them caught up with the end offsets seen at start. */
  async restore(): Promise<void> {
    if (this.tables.size === 0) return;
    const started = Date.now();
    const timer = setInterval(() => this.deps.log.info({ lookups: this.snapshot() }, 'restoring lookup tables'), PROGRESS_LOG_MS);
    timer.unref();
    const aborted = new Promise<never>((_, reject) => (this.abortRestore = reject));
    aborted.catch(() => undefined);
    try {
      for (const table of this.tables.values()) await Promise.race([table.start(), aborted]);
      await Promise.race([Promise.all([...this.tables.values()].map((t) => t.restored)), aborted]);
    } finally {
      clearInterval(timer);
      this.abortRestore = undefined;
    }
    this.deps.log.info(
      { ms: Date.now() - started, lookups: this.snapshot().map((s) => ({ name: s.name, entries: s.entries })) },
      'lookup tables restored',
    );
  }

  snapshot(now = Date.now()): LookupSnapshot[] {
    return [...this.tables.values()].map((t) => {
      const p = t.progress;
      return {
        name: t.lookup.name,
        topic: t.lookup.topic,
        store: t.lookup.store,
        restored: p?.restored ?? false,
        restoredRecords: p?.restoredRecords() ?? 0,
        restoreTotal: p?.restoreTotal ?? 0,
        entries: t.store.entries(),
        bytes: t.store.bytes(),
        lagRecords: p?.lagRecords() ?? 0,
        lagSeconds: p?.lagSeconds(now) ?? 0,
        lastUpdateSeconds: p?.lastUpdateAt === undefined ? null : p.lastUpdateAt / 1000,
      };
    });
  }

  /** Stops every table; each step runs even if another failed. Safe to call twice. */
  async stop(): Promise<void> {
    this.abortRestore?.(new Error(`${this.product.majorId}: stopped while restoring its lookup tables`));
    const results = await Promise.allSettled([...this.tables.values()].map((t) => t.stop()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
