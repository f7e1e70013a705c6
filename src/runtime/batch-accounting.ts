import type { Logger } from 'pino';
import type { ProductDescriptor } from '../product/types.js';
import type { Metrics, ProductSignals } from '../observability/metrics.js';
import type { HistogramSeries } from '../observability/histogram.js';
import type { BatchTally } from '../pipeline/batch-plan.js';
import type { DlqReason } from '../pipeline/processor.js';

/** Dead letters are expected in a healthy stream: one log summary per interval, not one per batch. */
const DEAD_LETTER_REPORT_MS = 10_000;

/**
 * Step 5 of the batch path (account): counters, latency histograms and freshness from what was
 * acknowledged, never from what was attempted. Called with the tally of the records whose writes
 * were all acknowledged, whether or not their offsets were then committed; replays were already
 * taken out of the tally (planBatch), so for every scrape consumed = published + dead-lettered +
 * filtered, and a product topic grows by output_records + records_rewritten{topic=<it>}.
 */
export class BatchAccounting {
  private readonly appendToPublish: HistogramSeries;
  /** Only for a product whose output port declares eventTime: no idle series for the others. */
  private readonly eventToPublish: HistogramSeries | undefined;
  private readonly product: string;
  private readonly outputTopic: string;
  private readonly unreported = new Map<DlqReason, number>();
  private lastReport = 0;

  constructor(
    private readonly descriptor: ProductDescriptor,
    private readonly metrics: Metrics,
    private readonly signals: ProductSignals,
    private readonly log: Logger,
  ) {
    this.product = descriptor.majorId;
    this.outputTopic = descriptor.output.topic;
    // Series resolved once: observing on them is a bucket search, no label handling per record.
    this.appendToPublish = metrics.appendToPublish.labels({ product: this.product });
    this.eventToPublish = descriptor.output.eventTime === undefined ? undefined : metrics.eventToPublish.labels({ product: this.product });
  }

  /** `ackedAt`: ms since the epoch when the writes were acknowledged. */
  account(topic: string, tally: BatchTally, ackedAt: number): void {
    const { metrics, product: id, signals } = this;
    if (tally.consumed > 0) metrics.consumed.inc({ product: id, topic }, tally.consumed);
    const totals = signals.totals;
    totals.consumed += tally.consumed;
    totals.published += tally.published;
    totals.filtered += tally.filtered;
    totals.deadLettered += tally.deadLettered;
    if (tally.published > 0) {
      metrics.published.inc({ product: id, topic: this.outputTopic }, tally.published);
      metrics.outputRecords.inc({ product: id, topic: this.outputTopic }, tally.outputs);
      let newest = 0;
      for (const ts of tally.publishedAt) this.appendToPublish.observe((ackedAt - ts) / 1000);
      for (const ts of tally.eventTimes) {
        this.eventToPublish?.observe((ackedAt - ts) / 1000);
        if (ts > newest) newest = ts;
      }
      signals.lastPublishTs = ackedAt / 1000;
      if (newest > 0) signals.lastEventTs = Math.max(signals.lastEventTs ?? 0, newest / 1000);
    }
    if (tally.filtered > 0) metrics.filtered.inc({ product: id }, tally.filtered);
    if (tally.truncated > 0) metrics.truncatedDeadLetters.inc({ product: id }, tally.truncated);
    for (const [reason, n] of tally.dlqReasons) metrics.deadLettered.inc({ product: id, reason }, n);
    for (const [reason, n] of tally.invalidReasons) metrics.invalid.inc({ product: id, reason }, n);
    for (const [stage, n] of tally.errorStages) metrics.processingErrors.inc({ product: id, stage }, n);
    for (const [rule, n] of tally.warnings) metrics.qualityWarnings.inc({ product: id, rule }, n);
    for (const [topic, n] of tally.rewritten) {
      metrics.rewritten.inc({ product: id, topic }, n);
      totals.rewritten += n;
    }
    if (tally.dlqReasons.size > 0) this.reportDeadLetters(tally.dlqReasons);
  }

  /**
   * A fetched batch moves the lag's end and pending record. Offsets before its first record that the
   * consumer never handed over (transaction markers, aborted or compacted records) count as appended
   * in a window, so they count as handled too, at the time of the record before them: a marker
   * follows the records it commits.
   */
  fetched(topic: string, partition: number, messages: readonly { offset: string; timestamp: string }[], end: string): void {
    const { progress, completeness } = this.signals;
    const previousTs = progress.lastCommittedTsOf(topic, partition);
    const first = messages[0]!;
    const firstTs = Number(first.timestamp);
    const skipped = progress.onBatch(
      topic,
      partition,
      Number(first.offset),
      firstTs,
      Number(messages[messages.length - 1]!.timestamp),
      Number(end),
    );
    if (skipped > 0) completeness.handledAt(previousTs ?? firstTs, skipped);
  }

  /**
   * The batch's first `records` records are committed, up to `commitOffset` (past them when the
   * consumer filtered out records after the last one): lag and window completeness move on.
   */
  committed(
    topic: string,
    partition: number,
    messages: readonly { offset: string; timestamp: string }[],
    records: number,
    commitOffset: string,
  ): void {
    const { progress, completeness } = this.signals;
    let expected = progress.committedOf(topic, partition);
    let previousTs = progress.lastCommittedTsOf(topic, partition);
    const last = messages[records - 1]!;
    const next = messages[records];
    const committedUpTo = Number(commitOffset);
    progress.onCommit(topic, partition, committedUpTo, Number(last.timestamp), next ? Number(next.timestamp) : undefined);
    for (let i = 0; i < records; i++) {
      const ts = Number(messages[i]!.timestamp);
      const offset = Number(messages[i]!.offset);
      // Skipped offsets between two records of the batch: see fetched().
      if (expected !== undefined && offset > expected) completeness.handledAt(previousTs ?? ts, offset - expected);
      completeness.handledAt(ts);
      expected = offset + 1;
      previousTs = ts;
    }
    if (expected !== undefined && committedUpTo > expected) completeness.handledAt(previousTs!, committedUpTo - expected);
  }

  /** A summary of dead letters by reason, at most every DEAD_LETTER_REPORT_MS (the metrics have the exact numbers). */
  private reportDeadLetters(reasons: Map<DlqReason, number>): void {
    for (const [reason, n] of reasons) this.unreported.set(reason, (this.unreported.get(reason) ?? 0) + n);
    const now = Date.now();
    const first = this.lastReport === 0;
    if (!first && now - this.lastReport < DEAD_LETTER_REPORT_MS) return;
    this.log.warn(
      {
        deadLettered: Object.fromEntries(this.unreported),
        ...(first ? {} : { sinceMs: now - this.lastReport }),
        topic: this.descriptor.deadLetter.topic,
      },
      'records dead-lettered',
    );
    this.unreported.clear();
    this.lastReport = now;
  }
}
