import { partitionKey } from './progress.js';

/**
 * The consumer group's lag on every partition of a product's inputs, as any one replica reads it
 * from the admin API (the group's committed offsets against the end offsets), whoever holds the
 * partitions: so a stalled, paused or dead replica's partitions show on its peers. Every replica
 * reports the same values, so they are combined with max, never summed, across replicas.
 *
 * A partition is stalled when it has lag and its committed offset has not moved for `stallAfterMs`
 * as seen by this replica (from when it first saw the lag: a replica that just started waits the
 * full time before calling a partition stalled, never less).
 *
 * The lag in seconds is now minus the broker timestamp of the oldest waiting record: the first data
 * record at or after the group's position, read once per (partition, position) by the refresh
 * (`waiting`, `readOldest`), so an unchanged committed offset costs nothing; until the record at
 * a new position is read, the one at the previous position stands in (an upper bound, as the
 * oldest record is newer), so a busy partition's series never vanishes between reads. Reads are
 * shared fairly: the partitions tried longest ago come first. Transaction markers and aborted
 * records are not waiting records: a partition whose only offsets after the position hold them
 * has lag 0 in records and in seconds, and is not stalled.
 */
interface GroupPartition {
  topic: string;
  partition: number;
  /** End offset minus the committed offset (the log start before the first commit), control and aborted records included. */
  records: number;
  committed: number | undefined;
  /** Where the group reads next: the committed offset, or the log start before the first commit or once retention passed it. */
  position: number;
  end: number;
  /** What was read after `position`: the oldest waiting record's timestamp once found; offsets [position, scannedTo) hold no data record. */
  oldest?: { timestamp?: number; scannedTo: number };
  /** The oldest waiting record's timestamp at an earlier position, standing in until `oldest` has one. */
  earlierTs?: number;
  /** When (ms) a read of the oldest waiting record was last tried. */
  triedAt?: number;
  /** When (ms) this replica saw the committed offset move, or the lag become positive. */
  movedAt: number;
}

/** A partition whose oldest waiting record is not known yet: read the first data record at or after `from`. */
export interface WaitingPartition {
  topic: string;
  partition: number;
  position: number;
  from: number;
}

export interface GroupPartitionLag {
  topic: string;
  partition: number;
  records: number;
  /** 0 without lag; undefined while no waiting record of the partition has been read. */
  seconds: number | undefined;
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
    const key = partitionKey(topic, partition);
    const records = Math.max(0, end - (committed ?? start));
    const position = Math.max(committed ?? start, start);
    const p = this.partitions.get(key);
    if (!p) {
      this.partitions.set(key, { topic, partition, records, committed, position, end, movedAt: now });
      return;
    }
    const wasIdle = waitingRecords(p) === 0;
    const moved = p.committed !== committed;
    if (p.position !== position) {
      p.earlierTs = p.oldest?.timestamp ?? p.earlierTs;
      p.oldest = undefined;
    }
    Object.assign(p, { records, committed, position, end });
    if (moved || (wasIdle && waitingRecords(p) > 0)) p.movedAt = now;
  }

  /** The partitions with lag whose oldest waiting record is not known at their current position, tried longest ago first. */
  waiting(): WaitingPartition[] {
    return [...this.partitions.values()]
      .filter((p) => waitingRecords(p) > 0 && p.oldest?.timestamp === undefined)
      .sort((a, b) => (a.triedAt ?? -1) - (b.triedAt ?? -1))
      .map((p) => ({ topic: p.topic, partition: p.partition, position: p.position, from: p.oldest?.scannedTo ?? p.position }));
  }

  /** A read of the partition's oldest waiting record starts at `now` (whatever it finds, or if it fails). */
  tried(topic: string, partition: number, now: number): void {
    const p = this.partitions.get(partitionKey(topic, partition));
    if (p) p.triedAt = now;
  }

  /**
   * What a read from `from` found for the partition at `position`: the first data record's
   * timestamp, or the offset it reached with only control and aborted records (`next`). Ignored
   * when the group moved on meanwhile.
   */
  readOldest(topic: string, partition: number, position: number, found: { timestamp: number } | { next: number }): void {
    const p = this.partitions.get(partitionKey(topic, partition));
    if (!p || p.position !== position) return;
    p.oldest =
      'timestamp' in found ? { timestamp: found.timestamp, scannedTo: p.oldest?.scannedTo ?? position } : { scannedTo: found.next };
  }

  lags(now: number): GroupPartitionLag[] {
    return [...this.partitions.values()].map((p) => {
      const records = waitingRecords(p);
      const ts = p.oldest?.timestamp ?? p.earlierTs;
      return {
        topic: p.topic,
        partition: p.partition,
        records,
        seconds: records === 0 ? 0 : ts === undefined ? undefined : Math.max(0, (now - ts) / 1000),
        stalled: records > 0 && now - p.movedAt >= this.stallAfterMs,
      };
    });
  }
}

/** The lag in records, 0 once a read showed that only control or aborted records follow the position. */
function waitingRecords(p: GroupPartition): number {
  return p.oldest !== undefined && p.oldest.timestamp === undefined && p.oldest.scannedTo >= p.end ? 0 : p.records;
}
