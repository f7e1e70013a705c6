import { Counter, Gauge, collectDefaultMetrics, type Registry } from 'prom-client';
import type { WindowCompleteness } from './completeness.js';
import { ProductHistogram } from './histogram.js';
import { LATENCY_BUCKETS } from './buckets.js';
import type { ProductProgress } from './progress.js';
import type { GroupLag } from './group-lag.js';
import { LookupMetrics } from './lookup-metrics.js';
import type { ProductConsumers } from './consumer-groups.js';

export { LATENCY_BUCKETS };

/** What a product exposes for the gauges computed at scrape time. */
export interface ProductSignals {
  progress: ProductProgress;
  completeness: WindowCompleteness;
  lastPublishTs?: number;
  lastEventTs?: number;
  inFlight: number;
  /** The record counters of this process, kept here too so the status page reads them synchronously. */
  totals: { consumed: number; published: number; filtered: number; deadLettered: number; rewritten: number };
  /** The group's lag on every input partition, whoever holds it (read from the admin API). */
  groupLag?: GroupLag;
  /** Reads end offsets afresh before the lag gauges are collected (throttled; never blocks a scrape long). */
  beforeScrape?: () => Promise<void>;
  /** While a new major backfills (src/runtime/backfill.ts): records behind, seconds to catch up (null: not known yet). */
  backfill?: { readonly recordsBehind: number; readonly etaSeconds: number | null };
  /** The groups reading the product topic (src/runtime/consumer-discovery.ts); absent with discovery off. */
  consumers?: ProductConsumers;
}

/** How long a scrape waits for fresh end offsets before it answers with the last ones. */
const SCRAPE_REFRESH_WAIT_MS = 2_000;

/**
 * dataprod's metrics, created on the Registry passed in (never the global one) so several
 * workers or tests can live in one process. docs/metrics.md lists them (tested).
 */
export class Metrics {
  readonly consumed: Counter<'product' | 'topic'>;
  readonly published: Counter<'product' | 'topic'>;
  readonly invalid: Counter<'product' | 'reason'>;
  readonly filtered: Counter<'product'>;
  readonly deadLettered: Counter<'product' | 'reason'>;
  readonly dlqPublishErrors: Counter<'product'>;
  readonly processingErrors: Counter<'product' | 'stage'>;
  readonly rebalances: Counter<'product'>;
  readonly qualityWarnings: Counter<'product' | 'rule'>;
  readonly buildInfo: Gauge<'version' | 'product' | 'product_version'>;
  readonly productUp: Gauge<'product' | 'state'>;
  readonly productStatus: Gauge<'product' | 'status'>;
  readonly productSunset: Gauge<'product'>;
  readonly outputRecords: Counter<'product' | 'topic'>;
  readonly rewritten: Counter<'product' | 'topic'>;
  readonly truncatedDeadLetters: Counter<'product'>;
  readonly commitErrors: Counter<'product'>;
  readonly appendToPublish: ProductHistogram;
  readonly eventToPublish: ProductHistogram;
  readonly batchDuration: ProductHistogram;
  /** `dataprod dlq replay` (a one-shot process: it prints them, and writes them with --metrics-file). */
  readonly redrive: Record<'replayed' | 'republished' | 'redeadLettered' | 'parked', Counter<'product'>>;
  /** Lookup tables: entries, size, lag, last update, restore progress, skipped records. */
  readonly lookups: LookupMetrics;
  /** Per product id, read by the gauges below at every scrape. */
  private readonly signals = new Map<string, ProductSignals>();

  constructor(
    readonly registry: Registry,
    options: { processMetrics?: boolean } = {},
  ) {
    const registers = [registry];
    if (options.processMetrics) {
      collectDefaultMetrics({ register: registry, prefix: 'dataprod_' });
      // prom-client names these gauges *_total, which Prometheus reserves for counters
      // (promtool check metrics flags them); they are of little use, so they go.
      for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
        registry.removeSingleMetric(`dataprod_nodejs_${name}`);
      }
    }
    this.consumed = new Counter({
      name: 'dataprod_records_consumed_total',
      help: 'Records read from input topics',
      labelNames: ['product', 'topic'],
      registers,
    });
    this.published = new Counter({
      name: 'dataprod_records_published_total',
      help: 'Records acknowledged on the product topic',
      labelNames: ['product', 'topic'],
      registers,
    });
    this.invalid = new Counter({
      name: 'dataprod_records_invalid_total',
      help: 'Input records that failed decoding, the contract or a quality rule',
      labelNames: ['product', 'reason'],
      registers,
    });
    this.filtered = new Counter({
      name: 'dataprod_records_filtered_total',
      help: 'Records deliberately not published (transform returned null, drop rules)',
      labelNames: ['product'],
      registers,
    });
    this.deadLettered = new Counter({
      name: 'dataprod_dlq_records_total',
      help: 'Records acknowledged on the dead-letter topic',
      labelNames: ['product', 'reason'],
      registers,
    });
    this.dlqPublishErrors = new Counter({
      name: 'dataprod_dlq_publish_errors_total',
      help: 'Failed writes of batches holding dead-letter records',
      labelNames: ['product'],
      registers,
    });
    this.processingErrors = new Counter({
      name: 'dataprod_processing_errors_total',
      help: 'Errors by stage: transform and encode (data), registry and produce (infrastructure)',
      labelNames: ['product', 'stage'],
      registers,
    });
    this.rebalances = new Counter({
      name: 'dataprod_consumer_rebalances_total',
      help: 'Consumer group joins',
      labelNames: ['product'],
      registers,
    });
    this.qualityWarnings = new Counter({
      name: 'dataprod_quality_warnings_total',
      help: 'Quality rules with onFailure: warn that failed (the record was published)',
      labelNames: ['product', 'rule'],
      registers,
    });
    this.buildInfo = new Gauge({
      name: 'dataprod_build_info',
      help: 'Always 1: the dataprod version and each product version',
      labelNames: ['version', 'product', 'product_version'],
      registers,
    });
    this.outputRecords = new Counter({
      name: 'dataprod_output_records_total',
      help: 'Output records acknowledged on the product topic (a transform may emit several per input record)',
      labelNames: ['product', 'topic'],
      registers,
    });
    this.rewritten = new Counter({
      name: 'dataprod_records_rewritten_total',
      help: 'Output and dead-letter records written again for input offsets whose writes this process had already acknowledged (replay after a failed commit or a rebalance)',
      labelNames: ['product', 'topic'],
      registers,
    });
    this.truncatedDeadLetters = new Counter({
      name: 'dataprod_dlq_records_truncated_total',
      help: "Dead letters written with a value prefix only, because the whole record exceeded the dead-letter topic's max.message.bytes",
      labelNames: ['product'],
      registers,
    });
    this.commitErrors = new Counter({
      name: 'dataprod_commit_errors_total',
      help: "Offset commits that failed after their batch's writes were acknowledged (the writes stay counted)",
      labelNames: ['product'],
      registers,
    });
    this.appendToPublish = new ProductHistogram(
      'dataprod_append_to_publish_seconds',
      "Publish acknowledgement minus the source record's broker timestamp",
      LATENCY_BUCKETS,
      registers,
    );
    this.eventToPublish = new ProductHistogram(
      'dataprod_event_to_publish_seconds',
      "Publish acknowledgement minus the output's event-time field (products that declare outputPorts[].eventTime)",
      LATENCY_BUCKETS,
      registers,
    );
    this.batchDuration = new ProductHistogram(
      'dataprod_batch_duration_seconds',
      'One batch: decode, check, transform, produce with acks=all, commit',
      LATENCY_BUCKETS,
      registers,
    );
    const redriveCounter = (name: string, help: string) => new Counter({ name, help, labelNames: ['product'], registers });
    this.redrive = {
      replayed: redriveCounter('dataprod_dlq_replayed_total', 'Dead letters `dataprod dlq replay` ran through the product again'),
      republished: redriveCounter('dataprod_dlq_republished_total', 'Replayed dead letters published to the product topic'),
      redeadLettered: redriveCounter(
        'dataprod_dlq_redeadlettered_total',
        'Replayed dead letters dead-lettered again, with the attempt raised',
      ),
      parked: redriveCounter('dataprod_dlq_parked_total', 'Replayed dead letters dead-lettered again at --max-attempts: parked'),
    };
    const signals = this.signals;
    const perProduct = (name: string, help: string, value: (s: ProductSignals) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['product'],
        registers,
        collect() {
          this.reset();
          for (const [product, s] of signals) {
            const v = value(s);
            if (v !== undefined) this.set({ product }, v);
          }
        },
      });
    perProduct('dataprod_last_publish_timestamp_seconds', 'Wall time of the newest publish acknowledgement', (s) => s.lastPublishTs);
    perProduct(
      'dataprod_last_event_timestamp_seconds',
      'Event time (or, without an eventTime field, source broker time) of the newest published record',
      (s) => s.lastEventTs,
    );
    perProduct(
      'dataprod_window_completeness_ratio',
      'Newest closed window: records with an outcome / records appended upstream (partitions held for the whole window)',
      (s) => s.completeness.ratio,
    );
    perProduct(
      'dataprod_window_appended_records',
      'Records appended upstream in the newest closed window (the one dataprod_window_completeness_ratio judges): 0 means a window without traffic',
      (s) => s.completeness.appended,
    );
    perProduct('dataprod_records_in_flight', 'Records fetched and being processed, outcome not committed yet', (s) => s.inFlight);
    new Gauge({
      name: 'dataprod_source_last_append_timestamp_seconds',
      help: 'Broker timestamp of the newest input record read (exact when lag is 0): an old value with lag 0 is a silent upstream, lag > 0 is our stall',
      labelNames: ['product', 'topic'],
      registers,
      collect() {
        this.reset();
        for (const [product, s] of signals) for (const [topic, ts] of s.progress.lastSeenAppend()) this.set({ product, topic }, ts);
      },
    });
    /** A gauge per input partition, from this worker's own view (progress) or the group's (groupLag). */
    type PartitionLag = { topic: string; partition: number };
    const partitionGauge = <L extends PartitionLag>(
      name: string,
      help: string,
      lags: (s: ProductSignals, now: number) => Iterable<L>,
      value: (lag: L) => number | undefined,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['product', 'topic', 'partition'],
        registers,
        async collect() {
          await freshEnds(signals.values());
          this.reset();
          const now = Date.now();
          for (const [product, s] of signals) {
            for (const lag of lags(s, now)) {
              const v = value(lag);
              if (v !== undefined) this.set({ product, topic: lag.topic, partition: String(lag.partition) }, v);
            }
          }
        },
      });
    const lagGauge = (name: string, help: string, value: (lag: ReturnType<ProductProgress['lags']>[number]) => number | undefined) =>
      partitionGauge(name, help, (s, now) => s.progress.lags(now), value);
    lagGauge('dataprod_consumer_lag_records', 'End offset (last stable offset) minus committed offset', (l) => l.records);
    lagGauge(
      'dataprod_consumer_lag_seconds',
      '0 when caught up, else now minus the broker timestamp of the oldest unprocessed record',
      (l) => l.seconds,
    );
    const groupGauge = (name: string, help: string, value: (lag: ReturnType<GroupLag['lags']>[number]) => number | undefined) =>
      partitionGauge(name, help, (s, now) => s.groupLag?.lags(now) ?? [], value);
    groupGauge(
      'dataprod_group_lag_records',
      "The consumer group's lag on every input partition, whoever holds it; the same on every replica: combine with max by (product, topic, partition), never sum",
      (l) => l.records,
    );
    groupGauge(
      'dataprod_group_partition_stalled',
      '1 when an input partition has lag and the group committed nothing on it for --stall-after-ms, whoever holds it; combine with max across replicas',
      (l) => (l.stalled ? 1 : 0),
    );
    groupGauge(
      'dataprod_group_lag_seconds',
      "The consumer group's lag in seconds on every input partition, whoever holds it: 0 without lag, else now minus the broker timestamp of the oldest waiting record; combine with max",
      (l) => l.seconds,
    );
    this.productStatus = new Gauge({
      name: 'dataprod_product_status',
      help: '1 for the lifecycle status of each product in its descriptor (draft, active, deprecated)',
      labelNames: ['product', 'status'],
      registers,
    });
    this.productSunset = new Gauge({
      name: 'dataprod_product_sunset_timestamp_seconds',
      help: 'Sunset of a deprecated product (midnight UTC of its descriptor sunset day), in seconds since the epoch',
      labelNames: ['product'],
      registers,
    });
    this.productUp = new Gauge({
      name: 'dataprod_product_state',
      help: '1 for the current state of each product worker',
      labelNames: ['product', 'state'],
      registers,
    });
    this.lookups = new LookupMetrics(registers);
    perProduct(
      'dataprod_backfill_records_behind',
      'While the product is backfilling (a new major catching up from the earliest offsets): end offsets minus committed offsets of its input partitions',
      (s) => s.backfill?.recordsBehind,
    );
    perProduct(
      'dataprod_backfill_eta_seconds',
      'While the product is backfilling: seconds to catch up at the net rate since the backfill started (absent until that rate is above 0)',
      (s) => s.backfill?.etaSeconds ?? undefined,
    );
    const consumerGauge = (name: string, help: string, value: (g: ProductConsumers['top'][number]) => number | null) =>
      new Gauge({
        name,
        help,
        labelNames: ['product', 'topic', 'group'],
        registers,
        collect() {
          this.reset();
          for (const [product, s] of signals) {
            for (const g of s.consumers?.top ?? []) {
              const v = value(g);
              if (v !== null) this.set({ product, topic: s.consumers!.topic, group: g.group }, v);
            }
          }
        },
      });
    consumerGauge(
      'dataprod_product_consumer_group_lag_records',
      'Consumer groups with committed offsets on the product topic (top --consumer-groups-max by lag): end offsets minus their committed offsets',
      (g) => g.lagRecords,
    );
    consumerGauge(
      'dataprod_product_consumer_group_last_commit_moved_timestamp_seconds',
      "When a discovery first saw the group's committed offsets on the product topic change (Kafka keeps no commit time)",
      (g) => (g.lastCommitMovedAt === null ? null : g.lastCommitMovedAt / 1000),
    );
    new Gauge({
      name: 'dataprod_product_consumer_groups',
      help: 'Consumer groups with committed offsets on the product topic at the last discovery, shown or not',
      labelNames: ['product', 'topic'],
      registers,
      collect() {
        this.reset();
        for (const [product, s] of signals)
          if (s.consumers?.refreshedAt != null) this.set({ product, topic: s.consumers.topic }, s.consumers.total);
      },
    });
  }

  /** Registers a product's live state for the scrape-time gauges. */
  track(product: string, signals: ProductSignals): void {
    this.signals.set(product, signals);
  }

  signalsOf(product: string): ProductSignals | undefined {
    return this.signals.get(product);
  }
}

/** Runs every product's scrape-time refresh at once, bounded so a slow broker never stalls the scrape. */
async function freshEnds(signals: Iterable<ProductSignals>): Promise<void> {
  const refreshes = [...signals].flatMap((s) => (s.beforeScrape ? [s.beforeScrape().catch(() => undefined)] : []));
  if (refreshes.length === 0) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([Promise.all(refreshes), new Promise((r) => (timer = setTimeout(r, SCRAPE_REFRESH_WAIT_MS)))]);
  clearTimeout(timer);
}
