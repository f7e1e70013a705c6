/**
 * How far a table's consumer has read, per partition, as pure state (no I/O, clock passed in).
 *
 * Invariants: `restored` turns true once every partition's position reached the end offset seen
 * at start (`targets`), and stays true. Lag in records is the newest known end offset minus the
 * position. Lag in seconds is 0 when caught up, else now minus the broker time of the newest
 * record applied: an upper bound of how stale the table is, since the records after it are newer.
 */
export interface PartitionEnd {
  partition: number;
  /** End offset (high watermark) when the table started. */
  high: string;
  /** Earliest retained offset. */
  low: string;
}

export class TableProgress {
  /** Next offset to apply, per partition. */
  private readonly positions = new Map<number, bigint>();
  private readonly targets = new Map<number, bigint>();
  private readonly lows = new Map<number, bigint>();
  private readonly ends = new Map<number, bigint>();
  private restoredFlag = false;
  /** Records to apply before the table is restored, counted at start. */
  readonly restoreTotal: number;
  /** Broker time (ms) of the newest record applied. */
  lastRecordTs: number | undefined;
  /** Wall time (ms) of the newest change applied. */
  lastUpdateAt: number | undefined;

  constructor(partitions: readonly PartitionEnd[]) {
    let total = 0n;
    for (const p of partitions) {
      const high = BigInt(p.high);
      const low = BigInt(p.low);
      this.targets.set(p.partition, high);
      this.ends.set(p.partition, high);
      this.positions.set(p.partition, low);
      this.lows.set(p.partition, low);
      total += high - low;
    }
    this.restoreTotal = Number(total);
    this.check();
  }

  get restored(): boolean {
    return this.restoredFlag;
  }

  /**
   * A batch of `partition` was read up to `lastOffset` (applied, skipped, or only control records)
   * and the broker said its end is `highWatermark`.
   */
  advanced(partition: number, lastOffset: string, highWatermark: string): void {
    const next = BigInt(lastOffset) + 1n;
    if (next > (this.positions.get(partition) ?? 0n)) this.positions.set(partition, next);
    this.fetched(partition, highWatermark);
    this.check();
  }

  /** A fetch of `partition` saw its end at `highWatermark` (before its records are applied: a stuck batch shows as lag). */
  fetched(partition: number, highWatermark: string): void {
    const high = BigInt(highWatermark);
    if (high > (this.ends.get(partition) ?? 0n)) this.ends.set(partition, high);
  }

  /** A change was applied from a record appended at `recordTs`, at wall time `now`. */
  updated(recordTs: number, now: number): void {
    if (this.lastRecordTs === undefined || recordTs > this.lastRecordTs) this.lastRecordTs = recordTs;
    this.lastUpdateAt = now;
  }

  /** Next offset of `partition` to apply. */
  position(partition: number): bigint {
    return this.positions.get(partition) ?? 0n;
  }

  /** Records read towards the restore target so far (at most restoreTotal). */
  restoredRecords(): number {
    let done = 0n;
    for (const [partition, target] of this.targets) {
      const position = this.positions.get(partition) ?? 0n;
      const low = this.lows.get(partition) ?? 0n;
      if (position > low) done += (position < target ? position : target) - low;
    }
    return Math.min(this.restoreTotal, Number(done));
  }

  lagRecords(): number {
    let lag = 0n;
    for (const [partition, end] of this.ends) {
      const position = this.positions.get(partition) ?? 0n;
      if (end > position) lag += end - position;
    }
    return Number(lag);
  }

  lagSeconds(now: number): number {
    if (this.lagRecords() === 0) return 0;
    return this.lastRecordTs === undefined ? 0 : Math.max(0, (now - this.lastRecordTs) / 1000);
  }

  private check(): void {
    if (this.restoredFlag) return;
    for (const [partition, target] of this.targets) if ((this.positions.get(partition) ?? 0n) < target) return;
    this.restoredFlag = true;
  }
}
