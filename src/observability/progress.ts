/**
 * Where each input partition of a product stands: end offset, committed offset, and the broker
 * timestamp of the oldest record not yet committed. From these come the exact lag in records and
 * in seconds, and `source_last_append` (newest input record read: exact when lag is 0), which
 * tells a silent upstream (lag 0, old append time) from our own stall (lag > 0).
 */
interface PartitionProgress {
  topic: string;
  partition: number;
  /** End offset (last stable offset under read_committed); undefined until known. */
  end?: number;
  /** Next offset to process (the committed offset); undefined until known. */
  committed?: number;
  /** Broker timestamp (ms) of the record at `committed`, when the worker has fetched it. */
  pendingTs?: number;
  /** Broker timestamp (ms) of the last record committed, an upper bound of the lag when pendingTs is unknown. */
  lastCommittedTs?: number;
  /** Newest broker timestamp (ms) among the records read. */
  lastSeenTs?: number;
}

export interface PartitionLag {
  topic: string;
  partition: number;
  records: number;
  /** Seconds; undefined while neither the pending record nor any committed one has been seen. */
  seconds: number | undefined;
}

export class ProductProgress {
  private readonly partitions = new Map<string, PartitionProgress>();

  private get(topic: string, partition: number): PartitionProgress {
    const key = partitionKey(topic, partition);
    let p = this.partitions.get(key);
    if (!p) this.partitions.set(key, (p = { topic, partition }));
    return p;
  }

  /**
   * A fetched batch: its first record's position and time, its newest time, the partition's end.
   * Returns how many offsets before its first record held nothing to process (transaction
   * markers, aborted or compacted records).
   */
  onBatch(topic: string, partition: number, firstOffset: number, firstTs: number, newestTs: number, end: number): number {
    const p = this.get(topic, partition);
    if (p.end === undefined || end > p.end) p.end = end;
    const skipped = p.committed === undefined ? 0 : Math.max(0, firstOffset - p.committed);
    if (p.committed === undefined || p.committed < firstOffset) p.committed = firstOffset;
    if (firstOffset === p.committed) p.pendingTs = firstTs;
    if (p.lastSeenTs === undefined || newestTs > p.lastSeenTs) p.lastSeenTs = newestTs;
    return skipped;
  }

  /** Offsets committed up to `next`; `nextTs` is the time of the record at `next` when the worker holds it. */
  onCommit(topic: string, partition: number, next: number, lastTs: number, nextTs?: number): void {
    const p = this.get(topic, partition);
    p.committed = next;
    p.lastCommittedTs = lastTs;
    p.pendingTs = nextTs;
    if (p.end !== undefined && next > p.end) p.end = next;
  }

  /** The worker rewound to `offset` (back-off, halt): that record is pending and its time is known. */
  onRewind(topic: string, partition: number, offset: number, ts: number): void {
    const p = this.get(topic, partition);
    p.committed = offset;
    p.pendingTs = ts;
  }

  /**
   * Offsets up to `next` held only control records (transaction markers) or aborted records, and
   * the group's offset was moved past them: they are nothing to process, so not lag.
   */
  onSkipped(topic: string, partition: number, next: number): void {
    const p = this.get(topic, partition);
    if (p.committed !== undefined && p.committed >= next) return;
    p.committed = next;
    p.pendingTs = undefined;
    if (p.end !== undefined && next > p.end) p.end = next;
  }

  /** The next offset to process, when known. */
  committedOf(topic: string, partition: number): number | undefined {
    return this.partitions.get(partitionKey(topic, partition))?.committed;
  }

  /** Broker timestamp (ms) of the last record committed, when known. */
  lastCommittedTsOf(topic: string, partition: number): number | undefined {
    return this.partitions.get(partitionKey(topic, partition))?.lastCommittedTs;
  }

  /** End offsets from the admin client, for partitions that have no fresh batch (idle or paused). */
  setEnd(topic: string, partition: number, end: number): void {
    const p = this.get(topic, partition);
    if (p.end === undefined || end > p.end) p.end = end;
  }

  /** Committed offsets from the group at start, before the first batch. */
  setCommitted(topic: string, partition: number, committed: number): void {
    const p = this.get(topic, partition);
    if (p.committed === undefined) p.committed = committed;
  }

  /**
   * Every record with a broker timestamp below this (ms) has its outcome committed, on every
   * partition this worker holds: the time up to which completeness can be judged.
   */
  watermark(now: number): number | undefined {
    let min: number | undefined;
    for (const p of this.partitions.values()) {
      if (p.end === undefined || p.committed === undefined) return undefined;
      const mark = p.end - p.committed === 0 ? now : (p.pendingTs ?? p.lastCommittedTs);
      if (mark === undefined) return undefined;
      min = min === undefined ? mark : Math.min(min, mark);
    }
    return min;
  }

  /** Forgets partitions (after a rebalance took them away). */
  retain(assigned: ReadonlySet<string>): void {
    for (const [key, p] of this.partitions) if (!assigned.has(`${p.topic}:${p.partition}`)) this.partitions.delete(key);
  }

  lags(now: number): PartitionLag[] {
    const out: PartitionLag[] = [];
    for (const p of this.partitions.values()) {
      if (p.end === undefined || p.committed === undefined) continue;
      const records = Math.max(0, p.end - p.committed);
      let seconds: number | undefined;
      if (records === 0) seconds = 0;
      else if (p.pendingTs !== undefined) seconds = Math.max(0, (now - p.pendingTs) / 1000);
      else if (p.lastCommittedTs !== undefined) seconds = Math.max(0, (now - p.lastCommittedTs) / 1000);
      out.push({ topic: p.topic, partition: p.partition, records, seconds });
    }
    return out;
  }

  /** Newest broker timestamp read per input topic, in seconds. */
  lastSeenAppend(): Map<string, number> {
    const out = new Map<string, number>();
    for (const p of this.partitions.values()) {
      if (p.lastSeenTs === undefined) continue;
      out.set(p.topic, Math.max(out.get(p.topic) ?? 0, p.lastSeenTs / 1000));
    }
    return out;
  }
}

export function partitionKey(topic: string, partition: number): string {
  return `${topic}\u0000${partition}`;
}
