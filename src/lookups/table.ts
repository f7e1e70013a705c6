/**
 * One lookup table in one worker process: its compacted topic read whole from the earliest offset
 * into a store (./store.ts, ./disk-store.ts), then kept up to date as records arrive. `restored`
 * resolves once every partition reached the end offset seen at start; the product processes no
 * input before that (src/runtime/product-worker.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { SchemaCache, SchemaSource } from '../contracts/schema-cache.js';
import type { Admin, KafkaClient, KafkaMessage } from '../kafka/client.js';
import { createTableConsumer, type TableConsumer } from '../kafka/table-consumer.js';
import { warmSchemas } from '../pipeline/batch.js';
import type { Longs, Lookup } from '../product/types.js';
import { DiskStore } from './disk-store.js';
import { MemoryStore, type LookupStore, type TableChange } from './store.js';
import { decodeTableRecord, tableReading, type SkipReason } from './table-codec.js';
import { TableProgress } from './table-progress.js';

export interface LookupTableDeps {
  kafka: KafkaClient;
  admin: Admin;
  /** Writer schemas of the table topic's records (the registry). */
  schemas: SchemaSource;
  /** Parent folder of disk stores. */
  lookupDir: string;
  /** The product's `longs`: table values reach the transform as its inputs do. */
  longs: Longs;
  /** Prefix of the table consumer's own group. */
  groupPrefix: string;
  log: Logger;
  /** A table record skipped, by reason. */
  onSkip(reason: SkipReason): void;
  /** The table consumer crashed and will not be restarted. */
  onCrash(error: Error): void;
}

const MAX_SCHEMA_BACKOFF_MS = 30_000;

export class LookupTable {
  readonly store: LookupStore;
  private readonly schemas: SchemaCache;
  private progressValue: TableProgress | undefined;
  private consumer: TableConsumer | undefined;
  private stopping = false;
  private resolveRestored!: () => void;
  /** Resolves once the table caught up with the end offsets seen at start. */
  readonly restored: Promise<void> = new Promise((resolve) => (this.resolveRestored = resolve));

  constructor(
    readonly lookup: Lookup,
    private readonly deps: LookupTableDeps,
  ) {
    const reading = tableReading(lookup, deps.schemas, deps.longs);
    this.schemas = reading.schemas;
    this.store = lookup.store === 'disk' ? new DiskStore(deps.lookupDir, lookup.name, reading.type) : new MemoryStore();
  }

  /** Read position and lag; undefined before start. */
  get progress(): TableProgress | undefined {
    return this.progressValue;
  }

  /** Reads the end offsets to restore up to, then starts reading the topic from the earliest offset. */
  async start(): Promise<void> {
    const ends = await this.deps.admin.fetchTopicOffsets(this.lookup.topic);
    // Stopped while asking: no consumer may be left behind that stop() did not see.
    if (this.stopping) return;
    const progress = new TableProgress(ends.map((e) => ({ partition: e.partition, high: e.high, low: e.low })));
    this.progressValue = progress;
    if (progress.restored) this.resolveRestored();
    this.consumer = createTableConsumer(this.deps.kafka, this.lookup.topic, this.deps.groupPrefix, {
      apply: (partition, messages, high) => this.apply(partition, messages, high),
      advanced: (partition, lastOffset, high) => {
        progress.advanced(partition, lastOffset, high);
        if (progress.restored) this.resolveRestored();
      },
      onCrash: (error) => this.deps.onCrash(error),
    });
    await this.consumer.start();
    if (this.stopping) await this.consumer.disconnect();
  }

  private async apply(partition: number, messages: readonly KafkaMessage[], highWatermark: string): Promise<void> {
    const progress = this.progressValue!;
    progress.fetched(partition, highWatermark);
    // After a rejoin the consumer starts again from the earliest offset (it never commits): what was
    // applied already is not applied again, so the table never goes back to older values.
    const from = progress.position(partition);
    const first = messages[0];
    const fresh = first === undefined || BigInt(first.offset) >= from ? messages : messages.filter((m) => BigInt(m.offset) >= from);
    if (fresh.length === 0) return;
    await this.warm(fresh);
    const changes: TableChange[] = [];
    let newestTs = 0;
    for (const message of fresh) {
      const decoded = decodeTableRecord(this.lookup.name, this.schemas, message);
      if ('skip' in decoded) this.deps.onSkip(decoded.skip);
      // Warmed above: a schema still missing is one the registry did not know (remembered as unknown).
      else if ('needsSchema' in decoded) this.deps.onSkip('unknown-schema-id');
      else {
        changes.push(decoded.change);
        newestTs = Math.max(newestTs, Number(message.timestamp));
      }
    }
    if (changes.length === 0) return;
    await this.store.apply(changes);
    progress.updated(newestTs, Date.now());
  }

  /** Fetches the writer schemas of a batch; an unreachable registry is retried with back-off, never skipped. */
  private async warm(messages: readonly KafkaMessage[]): Promise<void> {
    for (let delayMs = 500; ; delayMs = Math.min(MAX_SCHEMA_BACKOFF_MS, delayMs * 2)) {
      try {
        await warmSchemas(this.schemas, messages);
        return;
      } catch (err) {
        if (this.stopping) throw err;
        this.deps.log.warn({ err, lookup: this.lookup.name, retryInMs: delayMs }, 'lookup table: writer schemas unavailable; retrying');
        await sleep(delayMs);
      }
    }
  }

  /** Stops reading and releases the store. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopping = true;
    try {
      await this.consumer?.disconnect();
    } finally {
      await this.store.close();
    }
  }
}
