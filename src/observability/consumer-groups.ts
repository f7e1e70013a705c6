/**
 * Who consumes a product: the consumer groups with committed offsets on its product topic, as the
 * last discovery read them (src/runtime/consumer-discovery.ts does the reading), kept to the top N
 * by lag so the `group` label of the metrics stays bounded.
 *
 * Kafka keeps no time with a committed offset (OffsetFetch answers offsets only), so the "last
 * commit" shown is the last commit *seen to move*: the time of the first discovery at which a
 * group's committed offsets differed from the previous discovery's. Unknown (null) until a group
 * has been seen to move once; it is at most one refresh interval later than the real commit.
 *
 * Pure state with the clock passed in. Invariant: `top` holds at most `max` groups, sorted by lag
 * (largest first, then by name); `total` counts every group found, shown or not.
 */

/** One group's reading at a discovery. */
export interface GroupReading {
  group: string;
  /** Committed offset per partition of the product topic, for the partitions the group committed on. */
  committed: ReadonlyMap<number, number>;
  /** Sum over those partitions of end offset minus committed offset (0 when it is ahead of the ends read). */
  lagRecords: number;
  /** The group coordinator's state (Stable, Empty, ...), when described. */
  state?: string;
  /** Members in the group now (0: nobody is connected; its offsets remain). */
  members?: number;
}

export interface ConsumerGroupView {
  group: string;
  lagRecords: number;
  /** ms since the epoch at which its committed offsets were first seen changed; null until seen. */
  lastCommitMovedAt: number | null;
  state: string | null;
  members: number | null;
}

export class ProductConsumers {
  /** Every group found at the last discovery, by name: its offsets and when they last moved. */
  private readonly seen = new Map<string, { offsets: string; movedAt: number | null }>();
  private shown: ConsumerGroupView[] = [];
  private found = 0;
  private at: number | null = null;

  constructor(
    /** The topic whose readers these are. */
    readonly topic: string,
    private readonly max: number,
  ) {}

  /** The top `max` groups by lag. */
  get top(): readonly ConsumerGroupView[] {
    return this.shown;
  }

  /** Groups found at the last discovery, shown or not. */
  get total(): number {
    return this.found;
  }

  /** When the last discovery completed (ms since the epoch); null before the first. */
  get refreshedAt(): number | null {
    return this.at;
  }

  /** A completed discovery: every group that has committed offsets on the topic. */
  update(now: number, readings: readonly GroupReading[]): void {
    const next = new Map<string, { offsets: string; movedAt: number | null }>();
    const views: ConsumerGroupView[] = [];
    for (const r of readings) {
      const offsets = [...r.committed].sort(([a], [b]) => a - b).join(';');
      const before = this.seen.get(r.group);
      const movedAt = before === undefined ? null : before.offsets !== offsets ? now : before.movedAt;
      next.set(r.group, { offsets, movedAt });
      views.push({
        group: r.group,
        lagRecords: r.lagRecords,
        lastCommitMovedAt: movedAt,
        state: r.state ?? null,
        members: r.members ?? null,
      });
    }
    views.sort((a, b) => b.lagRecords - a.lagRecords || (a.group < b.group ? -1 : a.group > b.group ? 1 : 0));
    this.seen.clear();
    for (const [k, v] of next) this.seen.set(k, v);
    this.shown = views.slice(0, this.max);
    this.found = readings.length;
    this.at = now;
  }
}
