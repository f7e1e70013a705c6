/**
 * The consumer group's lag on every partition of a product's inputs, as any one replica reads it
 * from the admin API (the group's committed offsets against the end offsets), whoever holds the
 * partitions: so a stalled, paused or dead replica's partitions show on its peers. Every replica
 * reports the same values, so they are combined with max, never summed, across replicas.
 *
 * A partition is stalled when it has lag and its committed offset has not moved for `stallAfterMs`
 * as seen by this replica (from when it first saw the lag: a replica that just started waits the
 * full time before calling a partition stalled, never less).
 */
interface GroupPartition {
  topic: string;
  partition: number;
  records: number;
  committed: number | undefined;
  /** When (ms) this replica saw the committed offset move, or the lag become positive. */
  movedAt: number;
}

export interface GroupPartitionLag {
  topic: string;
  partition: number;
  records: number;
  stalled: boolean;
}

export class GroupLag {
  private readonly partitions = new Map<string, GroupPartition>();

  constructor(private readonly stallAfterMs: number) {}

  /**
   * One reading at `now`: the group's committed offset (undefined when it never committed, when
   * it reads from `start`, the log start offset) and the end offset (last stable offset).
   */
  observe(topic: string, partition: number, committed: number | undefined, start: number, end: number, now: number): void {
    const key = `${topic}\u0000${partition}`;
    const records = Math.max(0, end - (committed ?? start));
    const p = this.partitions.get(key);
    if (!p) {
      this.partitions.set(key, { topic, partition, records, committed, movedAt: now });
      return;
    }
    if (p.committed !== committed || (p.records === 0 && records > 0)) p.movedAt = now;
    p.committed = committed;
    p.records = records;
  }

  lags(now: number): GroupPartitionLag[] {
    return [...this.partitions.values()].map((p) => ({
      topic: p.topic,
      partition: p.partition,
      records: p.records,
      stalled: p.records > 0 && now - p.movedAt >= this.stallAfterMs,
    }));
  }
}
