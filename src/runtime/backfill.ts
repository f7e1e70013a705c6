/**
 * A new major's backfill. A product whose consumer group has no committed offset on any input
 * partition when it starts (a new major: its group `dataprod.<id>.v<major>` is new), on inputs
 * that hold records, starts from
 * the earliest retained input offset, like every product, and is `backfilling` until it has caught
 * up with the end offsets seen; then it is `running`. Meanwhile its progress (records behind, the
 * estimated time to catch up) is exported and the generated SLO alerts hold their pages: old
 * records published at full speed are not a latency or freshness incident.
 *
 * Caught up means: on every partition held, the lag is known and is 0 records, or at most
 * CAUGHT_UP_SECONDS behind in time (the oldest unprocessed record was appended that recently). The
 * time bound lets a product whose live input never pauses leave backfill: at a busy partition the
 * lag in records is rarely 0 at the instant it is read, but the records waiting are seconds old.
 *
 * Pure: lags and the clock in, progress out (see ./product-worker.ts for the I/O).
 */
import type { PartitionLag } from '../observability/progress.js';

export const CAUGHT_UP_SECONDS = 10;

export interface BackfillProgress {
  /** Sum over the partitions held of end offset minus committed offset. */
  recordsBehind: number;
  /**
   * Seconds to catch up at the net rate since the backfill started (records behind then minus now,
   * per second, so live input arriving meanwhile counts against it); null until that rate is
   * known and above 0.
   */
  etaSeconds: number | null;
  /** ms since the epoch. */
  startedAt: number;
}

export class Backfill {
  private first: { at: number; behind: number } | undefined;
  private current: BackfillProgress | undefined;

  constructor(private readonly startedAt: number) {}

  /** Progress as of the last observation; undefined until every held partition's lag was known once. */
  get progress(): BackfillProgress | undefined {
    return this.current;
  }

  /**
   * The lags of the held partitions (`held` of them) at a refresh; true once caught up. A partition
   * whose lag is not known yet (no end or committed offset read) keeps the backfill going.
   */
  observe(now: number, lags: readonly PartitionLag[], held: number): boolean {
    if (held === 0 || lags.length < held) return false;
    const behind = lags.reduce((sum, l) => sum + l.records, 0);
    this.first ??= { at: now, behind };
    const elapsedS = (now - this.first.at) / 1000;
    const rate = elapsedS > 0 ? (this.first.behind - behind) / elapsedS : 0;
    this.current = { recordsBehind: behind, etaSeconds: rate > 0 ? behind / rate : null, startedAt: this.startedAt };
    return lags.every((l) => l.records === 0 || (l.seconds !== undefined && l.seconds <= CAUGHT_UP_SECONDS));
  }
}
