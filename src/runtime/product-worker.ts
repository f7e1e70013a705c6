import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime.js';
import type { ProductDescriptor } from '../product/types.js';
import type { RegistryClient } from '../contracts/registry-client.js';
import { DataprodError, type ErrorCode } from '../errors.js';
import type { Admin, EachBatchPayload, KafkaClient as Kafka, KafkaMessage, Producer } from '../kafka/client.js';
import type { Metrics, ProductSignals } from '../observability/metrics.js';
import { planBatch, tallyPlan } from '../pipeline/batch-plan.js';
import { BATCH_OVERHEAD_BYTES } from '../pipeline/dead-letter.js';
import { BatchAccounting } from './batch-accounting.js';
import { BatchDecider, SchemaFetchError, sourceRecord } from './batch-decider.js';
import { AtLeastOnceDelivery, ExactlyOnceDelivery, type Delivery, type WriteFailure } from './delivery.js';
import type { Transform } from '../transform.js';
import { DlqBreaker } from './dlq-breaker.js';
import { BackoffTimers } from './backoff-timers.js';
import { preflight } from './preflight.js';
import { createProductConsumer, type ProductConsumer } from '../kafka/product-consumer.js';
import { ProductStatus, type ProductState } from './product-state.js';
import { ProgressRefresher } from './progress-refresh.js';
import { TopicLimits } from './topic-limits.js';
import { BlockedRetry, missingReason } from './blocked-retry.js';
import type { HistogramSeries } from '../observability/histogram.js';
import { WindowCompleteness } from '../observability/completeness.js';
import { ProductProgress } from '../observability/progress.js';
import { DATAPROD_VERSION } from '../version.js';

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
 * One product's lifecycle: its own consumer group, topics, limits and health. Each batch (one
 * partition) goes through the batch path's steps, each with its own failure semantics: decide
 * (BatchDecider) -> summarize (planBatch) -> write and commit (Delivery) -> account
 * (BatchAccounting); offsets never run ahead of acknowledged writes.
 */
export class ProductWorker {
  private consumer: ProductConsumer | undefined;
  private decider: BatchDecider | undefined;
  private delivery: Delivery | undefined;
  private accounting: BatchAccounting | undefined;
  private readonly limits: TopicLimits;
  /** Per input partition: the offset below which this process's writes were acknowledged. */
  private readonly writtenThrough = new Map<string, bigint>();
  /** Each partition waiting for the registry or Kafka. */
  private readonly blocked: BlockedRetry;
  private readonly partitionRetries = new BackoffTimers(500, MAX_BACKOFF_MS);
  private outputSchemaId = 0;
  /** Exactly-once partitions this member was fenced from, paused until the next group join. */
  private readonly pausedForFence = new Set<string>();
  private readonly breaker: DlqBreaker;
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
  private readonly batchDuration: HistogramSeries;

  constructor(
    readonly product: ProductDescriptor,
    private readonly transform: Transform,
    private readonly deps: ProductWorkerDeps,
  ) {
    this.log = deps.logger.child({ product: product.id });
    this.breaker = new DlqBreaker(deps.config.dlqHalt);
    this.status = new ProductStatus(product.id, deps.metrics.productUp, deps.config.stallAfterMs, this.log);
    this.batchDuration = deps.metrics.batchDuration.labels({ product: product.id });
    deps.metrics.track(product.id, this.signals);
    this.limits = new TopicLimits(deps.admin, [product.output.topic, product.deadLetter.topic]);
    this.blocked = new BlockedRetry({
      product,
      admin: deps.admin,
      limits: this.limits,
      status: this.status,
      log: this.log,
      maxDelayMs: MAX_BACKOFF_MS,
      pauseAll: () => this.pauseAll(),
      resumeAll: () => this.consumer?.resume(product.inputPorts.map((p) => ({ topic: p.topic }))),
      rewind: (topic, partition, at) => this.rewind(topic, partition, at),
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
    return this.status.stalled(now, this.signals.progress.lags(now).some((l) => l.records > 0));
  }

  get schemaIds(): { output: number } {
    return { output: this.outputSchemaId };
  }

  async start(): Promise<void> {
    const { product, deps } = this;
    if (product.status === 'deprecated') {
      this.log.warn({ status: product.status }, 'product is deprecated: consumers should move to its successor');
    }
    this.outputSchemaId = await preflight(product, { admin: deps.admin, registry: deps.registry, config: deps.config, log: this.log });

    await this.limits.refresh();
    const outputTopic = product.output.topic;
    // An output the product topic would refuse is dead-lettered as too-large instead.
    const maxOutputBytes = Math.min(deps.config.maxOutputBytes, this.limits.batchBytes(outputTopic) - BATCH_OVERHEAD_BYTES - 1024);
    this.decider = new BatchDecider(product, this.transform, deps.registry, { outputSchemaId: this.outputSchemaId, maxOutputBytes });
    const sendBytes = () => this.limits.sendBytes();
    this.delivery =
      product.delivery === 'exactly-once'
        ? new ExactlyOnceDelivery(deps.kafka, deps.admin, product.consumerGroup, sendBytes, this.log)
        : new AtLeastOnceDelivery(deps.producer, sendBytes);
    this.accounting = new BatchAccounting(product, deps.metrics, this.signals, this.log);

    this.refresher = new ProgressRefresher({ admin: deps.admin, product, signals: this.signals, log: this.log }, PROGRESS_REFRESH_MS, {
      checkTopics: () => this.status.state === 'running' || this.status.state === 'backing-off',
      onMissing: (missing) => this.blocked.block(undefined, missingReason(missing)),
      // Keeps the stall clock moving when nobody asks for health: an idle product is not stalled.
      after: () => void this.stalled(Date.now()),
    });
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
        deps.onFatal(new DataprodError('BROKER_UNAVAILABLE', `${product.id}: ${this.status.reason}`, { cause: error }));
      },
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.consumer = consumer;
    await consumer.start();
    this.status.set('running');
    this.refresher.start();
    deps.metrics.buildInfo.set({ version: DATAPROD_VERSION, product: product.id, product_version: product.version }, 1);
    deps.metrics.productStatus.set({ product: product.id, status: product.status }, 1);
  }

  /** A group join: the new assignment's partitions start afresh (exactly-once claims them again). */
  private joined(assignment: Record<string, number[]>, memberId: string): void {
    this.deps.metrics.rebalances.inc({ product: this.product.id });
    const assigned = new Set(Object.entries(assignment).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)));
    this.signals.progress.retain(assigned);
    this.delivery?.reassigned();
    for (const key of this.pausedForFence) {
      const [topic, partition] = splitKey(key);
      this.consumer?.resume([{ topic, partitions: [partition] }]);
    }
    this.pausedForFence.clear();
    this.signals.completeness.reset(Date.now());
    this.refresher?.joined(assigned);
    this.log.info({ memberId, assignment }, 'joined the consumer group');
  }

  /** Stops fetching, lets the batch in flight finish (its writes acked and committed), leaves the group. */
  async stop(): Promise<void> {
    this.refresher?.stop();
    this.partitionRetries.clear();
    this.blocked.stop();
    if (this.status.state !== 'failed') this.status.set('draining');
    try {
      await this.consumer?.disconnect();
    } finally {
      await this.delivery?.close();
      if (this.status.state !== 'failed') this.status.set('stopped');
    }
  }

  /** Batches of several partitions may be in flight at once (partitionsConsumedConcurrently). */
  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const records = payload.batch.messages.length;
    this.signals.inFlight += records;
    try {
      await this.runBatch(payload);
    } finally {
      this.signals.inFlight -= records;
    }
  }

  private async runBatch({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = batch;
    if (messages.length === 0 || !isRunning() || isStale()) return;
    const first = messages[0]!;
    this.signals.progress.onBatch(topic, partition, Number(first.offset), Number(first.timestamp), Number(messages[messages.length - 1]!.timestamp), Number(batch.highWatermark));
    if (this.status.state === 'halted' || this.status.state === 'failed' || (this.status.state === 'blocked' && !this.blocked.retrying)) {
      this.rewind(topic, partition, first);
      return;
    }
    const startedAt = performance.now();
    const key = `${topic}:${partition}`;

    // Exactly-once: fence the partition's previous owner before deciding anything.
    let claimed: string | undefined;
    try {
      claimed = await this.delivery!.claim(topic, partition);
    } catch (err) {
      this.backOff(topic, partition, first, new DataprodError('BROKER_UNAVAILABLE', `${this.product.id}: cannot open the transactional producer of ${key}`, { cause: err }), 'kafka');
      return;
    }
    if (claimed !== undefined && BigInt(claimed) > BigInt(first.offset)) {
      this.log.info({ topic, partition, from: first.offset, committed: claimed }, 'skipping records the previous owner of the partition committed');
      this.consumer?.seek({ topic, partition, offset: claimed });
      return;
    }

    const sources = messages.map((m) => sourceRecord(topic, partition, m));
    let decision;
    try {
      decision = await this.decider!.decide(sources);
    } catch (err) {
      if (!(err instanceof SchemaFetchError)) throw err;
      this.backOff(topic, partition, first, err.cause as Error, 'registry');
      return;
    }

    const dlqLimit = this.limits.batchBytes(this.product.deadLetter.topic);
    const plan = planBatch(this.product, sources, decision, { deadLetterBatchBytes: dlqLimit }, this.writtenThrough.get(key));
    const planned = tallyPlan(plan);
    if (plan.records > 0 && this.breaker.record(planned.consumed, planned.deadLettered)) {
      const { ratio, windowMs } = this.deps.config.dlqHalt;
      const reason = `more than ${Math.round(ratio * 100)}% of records dead-lettered within ${windowMs / 1000} s; halted instead of dead-lettering everything`;
      this.halt(topic, partition, first, 'halted', reason, { window: this.breaker.snapshot() });
      return;
    }

    const result = await this.delivery!.deliver(plan, commitOffsetsIfNecessary);
    if (result.acknowledged > 0) {
      this.writtenThrough.set(key, BigInt(plan.offsets[result.acknowledged - 1]!) + 1n);
      this.accounting!.account(topic, result.acknowledged === plan.records ? planned : tallyPlan(plan, result.acknowledged), Date.now());
    }
    if (result.failure) {
      await this.onWriteFailure(topic, partition, messages[result.acknowledged]!, result.failure, plan.writes.some((w) => w.topic === plan.deadLetterTopic));
      return;
    }
    if (result.commitError !== undefined) {
      // The writes stay counted; kafkajs rejoins if the member was fenced, and the next commit covers these offsets.
      this.deps.metrics.commitErrors.inc({ product: this.product.id });
      this.log.warn({ topic, partition, err: result.commitError }, 'offset commit failed after the writes were acknowledged; they are counted, and the next commit covers them');
    }
    if (plan.records > 0) resolveOffset(messages[plan.records - 1]!.offset);
    if (plan.records > 0 && result.committed) {
      this.accounting!.committed(topic, partition, messages, plan.records);
      this.status.progressed(Date.now());
    }
    this.partitionRetries.reset(key);
    // --max-restarts bounds consecutive failures: a batch that went through resets the count.
    this.restarts = 0;
    this.batchDuration.observe((performance.now() - startedAt) / 1000);

    const stop = decision.stop;
    if (plan.blocked) {
      const { topic: dlq, bytes, limitBytes } = plan.blocked;
      this.blocked.block({ topic, partition, message: messages[plan.blocked.index]! }, `the dead letter of ${key}@${messages[plan.blocked.index]!.offset} needs ${bytes} bytes without its value and ${dlq} accepts at most ${limitBytes} (max.message.bytes); raise it`);
    } else if (stop?.kind === 'needs-schema') {
      // An id expired from the unknown-id cache mid-batch: pick the rest up on the next fetch.
      this.rewind(topic, partition, messages[stop.index]!);
    } else if (stop?.kind === 'fail') {
      const { error } = stop;
      const at = messages[stop.index]!;
      this.halt(topic, partition, at, 'failed', `invalid input with onInvalid: fail (reason ${error.reason}) at ${topic}[${partition}]@${at.offset}`, { reason: error.reason, rule: error.rule, field: error.field });
      this.deps.onFatal(new DataprodError('STOPPED_ON_INVALID_RECORD', `${this.product.id}: ${this.status.reason}`));
    } else if (this.status.state === 'blocked' && this.blocked.retrying) {
      this.blocked.succeeded();
    } else if (this.status.state === 'backing-off' && this.partitionRetries.pending === 0) {
      this.status.set('running');
    }
    await heartbeat();
  }

  /**
   * A write that did not go through. Nothing past the first unacknowledged record is committed; the
   * partition reads again from there, so what was acknowledged is not written twice.
   */
  private async onWriteFailure(topic: string, partition: number, at: KafkaMessage, failure: WriteFailure, hadDeadLetters: boolean): Promise<void> {
    const { metrics } = this.deps;
    const id = this.product.id;
    metrics.processingErrors.inc({ product: id, stage: 'produce' });
    if (hadDeadLetters && (failure.topic === undefined || failure.topic === this.product.deadLetter.topic)) metrics.dlqPublishErrors.inc({ product: id });
    const topicName = failure.topic ?? `${this.product.output.topic} or ${this.product.deadLetter.topic}`;
    switch (failure.kind) {
      case 'fenced':
        // Paused until the next group join, or a zombie would fetch and decide the same batch in a loop.
        this.log.warn({ topic, partition, type: failure.type }, 'fenced by a newer owner of the partition; paused until the group reassigns it');
        this.consumer?.pause([{ topic, partitions: [partition] }]);
        this.pausedForFence.add(`${topic}:${partition}`);
        this.rewind(topic, partition, at);
        return;
      case 'too-large': {
        // A limit lowered while running: read it again and plan the batch anew, unless it did not change.
        const before = failure.topic ? this.limits.batchBytes(failure.topic) : undefined;
        await this.limits.refresh().catch(() => undefined);
        if (failure.topic === this.product.deadLetter.topic && this.limits.batchBytes(failure.topic) !== before) {
          this.log.warn({ topic: failure.topic, maxMessageBytes: this.limits.batchBytes(failure.topic) }, 'the dead-letter topic\'s max.message.bytes changed; planning the batch again');
          this.rewind(topic, partition, at);
          return;
        }
        this.blocked.block({ topic, partition, message: at }, `${topicName} refuses the write: ${failure.type} (max.message.bytes ${failure.topic ? this.limits.batchBytes(failure.topic) : '?'})`);
        return;
      }
      case 'refused':
        this.blocked.block({ topic, partition, message: at }, `${topicName} refuses the write: ${failure.type}`);
        return;
      case 'unavailable':
        this.backOff(topic, partition, at, new DataprodError('BROKER_UNAVAILABLE', `${id}: writing to ${topicName} failed: ${failure.type}`, { cause: failure.cause }), 'kafka');
        return;
    }
  }

  /** Registry unreachable: no dead-letter, no commit; pause this partition and retry later. */
  private backOff(topic: string, partition: number, at: KafkaMessage, err: Error, source: 'registry' | 'kafka'): void {
    // A failed write was counted under stage produce where it failed.
    if (source === 'registry') this.deps.metrics.processingErrors.inc({ product: this.product.id, stage: 'registry' });
    const code = err instanceof DataprodError ? err.code : source === 'registry' ? 'REGISTRY_UNAVAILABLE' : 'BROKER_UNAVAILABLE';
    this.status.set('backing-off', err.message, code);
    this.consumer?.pause([{ topic, partitions: [partition] }]);
    this.rewind(topic, partition, at);
    const { attempt, delayMs } = this.partitionRetries.schedule(`${topic}:${partition}`, () => {
      // Back to running only when no partition waits any more; the next batch may pause it again.
      if (this.status.state === 'backing-off' && this.partitionRetries.pending === 0) this.status.set('running');
      if (this.status.state === 'running' || this.status.state === 'backing-off') this.consumer?.resume([{ topic, partitions: [partition] }]);
    });
    this.log.warn({ topic, partition, offset: at.offset, attempt, retryInMs: delayMs, err }, `${source === 'registry' ? 'schema registry' : 'Kafka'} unavailable; partition paused`);
  }

  /**
   * Stops the product at `at`, commits nothing more: too many dead letters (halted: a bug is not
   * data), or invalid input on an onInvalid: fail port (failed).
   */
  private halt(topic: string, partition: number, at: KafkaMessage, state: 'halted' | 'failed', reason: string, detail: object = {}): void {
    this.status.set(state, reason, state === 'failed' ? 'STOPPED_ON_INVALID_RECORD' : undefined);
    this.log.error({ topic, partition, offset: at.offset, ...detail }, reason);
    this.pauseAll();
    this.rewind(topic, partition, at);
  }

  private pauseAll(): void {
    this.consumer?.pause(this.product.inputPorts.map((p) => ({ topic: p.topic })));
  }

  /** Seeks back to a record not committed yet; it is the oldest pending one for the lag. */
  private rewind(topic: string, partition: number, at: KafkaMessage): void {
    this.consumer?.seek({ topic, partition, offset: at.offset });
    this.signals.progress.onRewind(topic, partition, Number(at.offset), Number(at.timestamp));
  }
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
