/**
 * The on-disk lookup store, for tables too large for the heap: LMDB (through the `lmdb` package),
 * a memory-mapped B+tree whose reads are synchronous and cost no copy until decoded, which is what
 * `ctx.lookup` needs. Values are kept as Avro bodies of the lookup's reader schema and decoded on
 * each read.
 *
 * The table is a cache of the compacted topic, rebuilt from the earliest offset at every start, so
 * durability buys nothing: commits skip fsync (`noSync`), and the files are removed on close. Each
 * worker process gets its own folder, so replicas on one host never share one.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type avsc from 'avsc';
import { open, type RootDatabase } from 'lmdb';
import { freeze, type LookupStore, type TableChange } from './store.js';

export class DiskStore implements LookupStore {
  readonly kind = 'disk';
  private readonly db: RootDatabase<Buffer, string>;
  private closed: Promise<void> | undefined;

  /** Opens a fresh store in a new folder under `parentDir` named after `name`. */
  constructor(
    parentDir: string,
    name: string,
    private readonly type: avsc.Type,
  ) {
    this.path = join(parentDir, `${name}.${process.pid}.${randomBytes(4).toString('hex')}`);
    mkdirSync(this.path, { recursive: true });
    // LMDB keeps a lock file beside its data file: both live in the store's own folder.
    this.db = open<Buffer, string>({ path: join(this.path, 'data.mdb'), encoding: 'binary', compression: false, noSync: true });
  }

  /** The store's own folder (removed on close). */
  readonly path: string;

  get(key: string): unknown {
    const body = this.db.getBinaryFast(key);
    // getBinaryFast's buffer is reused by the next read: decode it before anything else reads.
    return body === undefined ? undefined : freeze(this.type.fromBuffer(body));
  }

  async apply(changes: readonly TableChange[]): Promise<void> {
    let last: Promise<boolean> | undefined;
    for (const change of changes) {
      last = change.value === undefined ? this.db.remove(change.key) : this.db.put(change.key, this.type.toBuffer(change.value));
    }
    // Writes commit in order: once the last one is visible, so are the others.
    if (last) await last;
  }

  entries(): number {
    return this.stats().entryCount;
  }

  bytes(): number {
    const s = this.stats();
    return (s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages) * s.pageSize;
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      await this.db.close();
      rmSync(this.path, { recursive: true, force: true });
    })();
    return this.closed;
  }

  private stats(): { entryCount: number; pageSize: number; treeBranchPageCount: number; treeLeafPageCount: number; overflowPages: number } {
    return this.db.getStats() as ReturnType<DiskStore['stats']>;
  }
}
