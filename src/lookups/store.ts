/**
 * Where a lookup table lives inside one worker: the whole compacted topic, one entry per key.
 * Reads are synchronous (the transform calls `ctx.lookup` on the hot path, no Promise per record);
 * writes come in batches from the table's consumer (./table.ts) and are visible to reads once
 * `apply` returned.
 *
 * Both stores hand out frozen values, so a transform that tries to change one fails the same way
 * whichever store holds the table.
 */
import type { LookupStoreKind } from '../product/types.js';

/** One change to a table: a new value for a key, or a tombstone (`value` undefined) that deletes it. */
export interface TableChange {
  key: string;
  /** Decoded with the lookup's reader schema; undefined deletes the key. */
  value?: unknown;
  /** Size of the Avro body as read (for the memory store's estimate). */
  bytes: number;
}

export interface LookupStore {
  readonly kind: LookupStoreKind;
  /** The current value of `key`, or undefined. Synchronous. */
  get(key: string): unknown;
  /** Applies a batch of changes in order; reads see all of them once it resolved. */
  apply(changes: readonly TableChange[]): Promise<void> | void;
  /** Number of keys held. */
  entries(): number;
  /** On-disk size of a disk store; for the memory store an estimate (keys and Avro bodies, not the JS heap). */
  bytes(): number;
  /** Releases the store (a disk store removes its files). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * The default store: decoded values in a Map. Its byte count is an estimate, the entries times the
 * mean size of a key and Avro body applied so far, because tracking each entry's size would cost
 * a second Map as large as the table (docs/benchmarks.md gives the real heap per entry).
 */
export class MemoryStore implements LookupStore {
  readonly kind = 'memory';
  private readonly map = new Map<string, unknown>();
  private appliedBytes = 0;
  private applied = 0;

  get(key: string): unknown {
    return this.map.get(key);
  }

  apply(changes: readonly TableChange[]): void {
    for (const change of changes) {
      if (change.value === undefined) {
        this.map.delete(change.key);
        continue;
      }
      this.map.set(change.key, freeze(change.value));
      this.appliedBytes += change.key.length + change.bytes;
      this.applied += 1;
    }
  }

  entries(): number {
    return this.map.size;
  }

  bytes(): number {
    return this.applied === 0 ? 0 : Math.round((this.map.size * this.appliedBytes) / this.applied);
  }

  async close(): Promise<void> {
    this.map.clear();
  }
}

/** Deep-freezes a decoded Avro value (records, arrays, maps); Buffers (bytes, fixed) cannot be frozen and are left as they are. */
export function freeze<T>(value: T): T {
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value) || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const v of Object.values(value as object)) freeze(v);
  return value;
}
