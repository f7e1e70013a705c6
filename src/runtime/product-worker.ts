import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime.js';
import type { ProductDescriptor } from '../product/types.js';
import type { RegistryClient } from '../contracts/registry-client.js';
import { DataprodError, type ErrorCode } from '../errors.js';
import type { Admin, KafkaClient as Kafka, Producer } from '../kafka/client.js';
import type { Metrics, ProductSignals } from '../observability/metrics.js';
import { BatchAccounting } from './batch-accounting.js';
import { BatchDecider } from './batch-decider.js';
import { AtLeastOnceDelivery, ExactlyOnceDelivery, type Delivery } from './delivery.js';
import type { Transform } from '../transform.js';
import { DlqBreaker } from './dlq-breaker.js';
import { preflight } from './preflight.js';
import { createProductConsumer, type ProductConsumer } from '../kafka/product-consumer.js';
import { createRecordPeek } from '../kafka/record-peek.js';
import { ProductStatus, type ProductState } from './product-state.js';
import { ProgressRefresher, needsBackfill } from './progress-refresh.js';
import { TopicLimits } from './topic-limits.js';
import { BatchPath } from './batch-path.js';
import { SkippedOffsets } from './skipped-offsets.js';
import { BlockedRetry, missingReason } from './blocked-retry.js';
import { WindowCompleteness } from '../observability/completeness.js';
import { ProductProgress } from '../observability/progress.js';
import { GroupLag } from '../observability/group-lag.js';
import { DATAPROD_VERSION } from '../version.js';
import { productLookupTables, type LookupTables } from '../lookups/tables.js';
import { checkLookupTopics } from '../lookups/preflight.js';
import { Backfill } from './backfill.js';
import { ProductConsumers } from '../observability/consumer-groups.js';

export type { ProductState } from './product-state.js';

export interface ProductWorkerDeps {
  kafka: Kafka;
  producer: Producer;
  admin: Admin;
  registry: RegistryClient;
  config: Readonly<RuntimeConfig>;
  metrics: Metrics;
  logger: Logger;
  /** Called once when the product cannot go on (onInvalid: fail, restarts exhausted). */
  onFatal: (error: Error) => void;
}

const MAX_BACKOFF_MS = 30_000;
const PROGRESS_REFRESH_MS = 5_000;
const COMPLETENESS_WINDOW_MS = 60_000;

/**
 * One product's lifecycle: its own consumer group, topics, limits and health; start-up checks,
 * then its batch path (./batch-path.ts) on every batch, then a drain on stop.
 */
export class ProductWorker {
  private consumer: ProductConsumer | undefined;
  private delivery: Delivery | undefined;
  private readonly limits: TopicLimits;
  private readonly blocked: BlockedRetry;
  private path: BatchPath | undefined;
  private outputSchemaId = 0;
  private readonly status: ProductStatus;
  private readonly log: Logger;
  private restarts = 0;
  /** Live state read by the scrape-time gauges and the status page. */
  readonly signals: ProductSignals = {
    progress: new ProductProgress(),
    completeness: new WindowCompleteness(COMPLETENESS_WINDOW_MS, Date.now()),
    inFlight: 0,
    totals: { consumed: 0, published: 0, filtered: 0, deadLettered: 0, rewritten: 0 },
  };
  private refresher: ProgressRefresher | undefined;
  /** The product's lookup tables (none: an empty set). */
  readonly lookups: LookupTables;
  /** Set while a new major catches up (./backfill.ts); decided once, at start. */
  private backfill: Backfill | undefined;
  private held = 0;

  constructor(
    readonly product: ProductDescriptor,
    private readonly transform: Transform,
    private readonly deps: ProductWorkerDeps,
  ) {
    this.log = deps.logger.child({ product: product.majorId });
    this.signals.groupLag = new GroupLag(deps.config.stallAfterMs);
    this.signals.beforeScrape = () => this.refresher?.forScrape() ?? Promise.resolve();
    this.status = new ProductStatus(product.majorId, deps.metrics.productUp, deps.config.stallAfterMs, this.log);
    deps.metrics.track(product.majorId, this.signals);
    this.lookups = productLookupTables(product, deps, this.log, (error) => {
      this.status.set('failed', error.message, 'BROKER_UNAVAILABLE');
      deps.onFatal(error);
    });
    deps.metrics.lookups.track(product.majorId, () => this.lookups.snapshot());
    // Filled by the worker's consumer group discovery (./consumer-discovery.ts).
    if (deps.config.consumerGroups.max > 0)
      this.signals.consumers = new ProductConsumers(product.output.topic, deps.config.consumerGroups.max);
    this.limits = new TopicLimits(deps.admin, [product.output.topic, product.deadLetter.topic]);
    this.blocked = new BlockedRetry({
      product,
      admin: deps.admin,
      limits: this.limits,
      status: this.status,
      log: this.log,
      maxDelayMs: MAX_BACKOFF_MS,
      pauseAll: () => this.path?.pauseAll(),
      resumeAll: () => this.consumer?.resume(product.inputPorts.map((p) => ({ topic: p.topic }))),
      rewind: (topic, partition, at) => this.path?.rewind(topic, partition, at),
    });
  }

  get state(): ProductState {
    return this.status.state;
  }

  /** Why the product is halted, blocked, failed or backing off; empty otherwise. */
  get reason(): string {
    return this.status.reason;
  }

  /** The error code of a blocked, backing-off or failed product. */
  get code(): ErrorCode | undefined {
    return this.status.code;
  }

  /** Lag > 0 and no commit for --stall-after-ms: whatever the state says, nothing moves. */
  stalled(now: number): boolean {
    return this.status.stalled(
      now,
      this.signals.progress.lags(now).some((l) => l.records > 0),
    );
  }

  get schemaIds(): { output: number } {
    return { output: this.outputSchemaId };
  }

  async start(): Promise<void> {
    const { product, deps } = this;
    if (product.status === 'deprecated') {
      const { sunset, successor } = product.lifecycle ?? {};
      this.log.warn(
        { status: product.status, sunset, successor: successor?.topic },
        `product is deprecated: consumers should move to its successor${successor ? ` ${successor.topic}` : ''} before the sunset on ${sunset}`,
      );
    }
    this.outputSchemaId = await preflight(product, { admin: deps.admin, registry: deps.registry, config: deps.config, log: this.log });
    await checkLookupTopics(product, deps.admin, this.log);
    if (this.lookups.size > 0) {
      // No input record is processed before every table holds what its topic held at start.
      this.status.set('restoring');
      await this.lookups.restore();
    }

    await this.limits.refresh();
    const outputTopic = product.output.topic;
    const maxOutputBytes = this.limits.maxOutputBytes(outputTopic, deps.config.maxOutputBytes);
    const sendBytes = () => this.limits.sendBytes();
    const delivery: Delivery =
      product.delivery === 'exactly-once'
        ? new ExactlyOnceDelivery(deps.kafka, deps.admin, product.consumerGroup, sendBytes, this.log)
        : new AtLeastOnceDelivery(deps.producer, sendBytes);
    this.delivery = delivery;
    this.path = new BatchPath({
      product,
      config: deps.config,
      metrics: deps.metrics,
      log: this.log,
      status: this.status,
      signals: this.signals,
      decider: new BatchDecider(product, this.transform, deps.registry, {
        outputSchemaId: this.outputSchemaId,
        maxOutputBytes,
        lookups: this.lookups,
      }),
      delivery,
      accounting: new BatchAccounting(product, deps.metrics, this.signals, this.log),
      limits: this.limits,
      breaker: new DlqBreaker(deps.config.dlqHalt),
      blocked: this.blocked,
      batchDuration: deps.metrics.batchDuration.labels({ product: product.majorId }),
      maxBackoffMs: MAX_BACKOFF_MS,
      consumer: () => this.consumer,
      // --max-restarts bounds consecutive failures: a batch that went through resets the count.
      delivered: () => (this.restarts = 0),
      onFatal: deps.onFatal,
    });

    const refreshDeps = { admin: deps.admin, peek: createRecordPeek(deps.kafka), product, signals: this.signals, log: this.log };
    this.refresher = new ProgressRefresher(refreshDeps, PROGRESS_REFRESH_MS, {
      checkTopics: () => this.status.processing || this.status.state === 'backing-off',
      onMissing: (missing) => this.blocked.block(undefined, missingReason(missing)),
      after: () => {
        // Keeps the stall clock moving when nobody asks for health: an idle product is not stalled.
        void this.stalled(Date.now());
        this.observeBackfill(Date.now());
      },
    });
    const skipped = new SkippedOffsets(
      this.signals,
      {
        committed: async (topic, partition) => {
          const [offsets] = await deps.admin.fetchOffsets({ groupId: product.consumerGroup, topics: [topic] });
          const offset = Number(offsets?.partitions.find((p) => p.partition === partition)?.offset ?? -1);
          return offset >= 0 ? offset : undefined;
        },
        commit: (offsets) => this.consumer!.commit(offsets),
      },
      this.log,
    );
    const consumer = createProductConsumer(deps.kafka, product, deps.config, {
      onRestart: (error) => {
        this.restarts += 1;
        const again = this.restarts <= deps.config.maxRestarts;
        this.log.error(
          { err: error, restart: this.restarts, maxRestarts: deps.config.maxRestarts },
          again ? 'consumer failed; restarting from the last committed offsets' : 'consumer failed too often; giving up',
        );
        return again;
      },
      onJoin: (assignment, memberId) => this.joined(assignment, memberId),
      onCrash: (error) => {
        this.status.set('failed', `consumer crashed: ${error.message}`, 'BROKER_UNAVAILABLE');
        deps.onFatal(new DataprodError('BROKER_UNAVAILABLE', `${product.majorId}: ${this.status.reason}`, { cause: error }));
      },
      eachBatch: async (payload) => {
        const committing = skipped.settled(payload.batch.topic, payload.batch.partition);
        if (committing) await committing;
        return this.path!.handle(payload);
      },
      onFilteredFetch: (fetch) => skipped.filtered(fetch),
    });
    this.consumer = consumer;
    await this.decideBackfill();
    await consumer.start();
    this.status.set('running');
    this.refresher.start();
    deps.metrics.buildInfo.set({ version: DATAPROD_VERSION, product: product.majorId, product_version: product.version }, 1);
    deps.metrics.productStatus.set({ product: product.majorId, status: product.status }, 1);
    if (product.lifecycle?.sunsetSeconds !== undefined)
      deps.metrics.productSunset.set({ product: product.majorId }, product.lifecycle.sunsetSeconds);
  }

  /** A group join: the new assignment's partitions start afresh (exactly-once claims them again). */
  private joined(assignment: Record<string, number[]>, memberId: string): void {
    this.deps.metrics.rebalances.inc({ product: this.product.majorId });
    const assigned = new Set(Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)));
    this.signals.progress.retain(assigned);
    this.delivery?.reassigned();
    this.path?.joined();
    this.signals.completeness.reset(Date.now());
    this.held = assigned.size;
    this.refresher?.joined(assigned);
    this.log.info({ memberId, assignment }, 'joined the consumer group');
  }

  /**
   * A group without any committed offset, on inputs that hold records, is a new major: it
   * backfills from the earliest offsets. Read before the group is joined, so it never shows
   * running first; a replica that starts once others have committed (or a restart mid-backfill)
   * runs as usual and catches up as any lag.
   */
  private async decideBackfill(): Promise<void> {
    try {
      if (!(await needsBackfill(this.deps.admin, this.product))) return;
    } catch (err) {
      this.log.warn({ err }, 'cannot read the committed offsets of the group: not treated as a backfill');
      return;
    }
    this.backfill = new Backfill(Date.now());
    this.status.beginBackfill();
    this.log.info({ group: this.product.consumerGroup }, 'new consumer group: backfilling from the earliest retained input offsets');
  }

  private observeBackfill(now: number): void {
    if (!this.backfill) return;
    const caughtUp = this.backfill.observe(now, this.signals.progress.lags(now), this.held);
    this.signals.backfill = this.backfill.progress;
    if (!caughtUp) return;
    this.log.info({ startedAt: new Date(this.backfill.progress!.startedAt).toISOString() }, 'backfill caught up');
    this.backfill = undefined;
    this.signals.backfill = undefined;
    this.status.endBackfill();
  }

  /** Records behind and seconds to catch up while backfilling; undefined otherwise. */
  get backfillProgress() {
    return this.backfill?.progress;
  }

  /** Stops fetching, lets the batch in flight finish (its writes acked and committed), leaves the group. */
  async stop(): Promise<void> {
    this.refresher?.stop();
    this.path?.stop();
    this.blocked.stop();
    if (this.status.state !== 'failed') this.status.set('draining');
    try {
      await this.consumer?.disconnect();
    } finally {
      try {
        await this.delivery?.close();
      } finally {
        await this.lookups.stop();
        if (this.status.state !== 'failed') this.status.set('stopped');
      }
    }
  }
}
