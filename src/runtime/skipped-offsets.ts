import type { Logger } from 'pino';
import type { FilteredFetch } from '../kafka/product-consumer.js';
import type { ProductSignals } from '../observability/metrics.js';

/**
 * Moves the group's offset past records the consumer filters out (transaction markers, aborted
 * records), as Java's consumer does with its position. Without it the group keeps 1 record of lag
 * per transaction marker forever: lag in seconds grows without bound behind an idle transactional
 * producer, freshness reads stale and completeness windows are never judged.
 *
 * Safe by construction: the commit is made only when the filtered records begin at or before the
 * partition's committed offset, so every offset it passes held nothing to process; and the
 * partition's next batch waits for it (`settled`), so it never lands after a newer commit.
 */
export class SkippedOffsets {
  private readonly pending = new Map<string, Promise<void>>();

  constructor(
    private readonly signals: ProductSignals,
    private readonly group: {
      /** The group's committed offset, for a partition this worker has not committed on yet. */
      committed(topic: string, partition: number): Promise<number | undefined>;
      commit(offsets: { topic: string; partition: number; offset: string }[]): Promise<void>;
    },
    private readonly log: Logger,
  ) {}

  /** kafkajs reported a fetch it filtered whole (it does not hand such fetches to eachBatch). */
  filtered({ topic, partition, firstOffset, lastOffset }: FilteredFetch): void {
    const key = `${topic}:${partition}`;
    const done = (this.pending.get(key) ?? Promise.resolve()).then(() =>
      this.skip(topic, partition, Number(firstOffset), Number(lastOffset) + 1),
    );
    this.pending.set(key, done);
    void done.finally(() => {
      if (this.pending.get(key) === done) this.pending.delete(key);
    });
  }

  private async skip(topic: string, partition: number, first: number, next: number): Promise<void> {
    const { progress, completeness } = this.signals;
    try {
      const committed = progress.committedOf(topic, partition) ?? (await this.group.committed(topic, partition));
      if (committed === undefined || first > committed || next <= committed) return;
      await this.group.commit([{ topic, partition, offset: String(next) }]);
      // Appended in their window like any record, so handled, at the time of the last committed record.
      completeness.handledAt(progress.lastCommittedTsOf(topic, partition) ?? Date.now(), next - committed);
      progress.onSkipped(topic, partition, next);
      this.log.debug({ topic, partition, offset: next }, 'committed past transaction markers or aborted records');
    } catch (err) {
      // A rebalance (stale generation) or a broker fault: the next filtered fetch or batch commit moves it on.
      this.log.debug({ err, topic, partition, offset: next }, 'could not commit past transaction markers or aborted records');
    }
  }

  /** Resolves once no commit past filtered records is in flight for the partition. */
  settled(topic: string, partition: number): Promise<void> | undefined {
    return this.pending.get(`${topic}:${partition}`);
  }
}
