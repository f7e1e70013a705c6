import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime.js';
import { DataprodError } from '../errors.js';
import type { EachBatchPayload, KafkaMessage } from '../kafka/client.js';
import type { ProductConsumer } from '../kafka/product-consumer.js';
import type { HistogramSeries } from '../observability/histogram.js';
import type { Metrics, ProductSignals } from '../observability/metrics.js';
import { planBatch, tallyPlan } from '../pipeline/batch-plan.js';
import type { ProductDescriptor } from '../product/types.js';
import { BackoffTimers } from './backoff-timers.js';
import type { BatchAccounting } from './batch-accounting.js';
import { SchemaFetchError, sourceRecord, type BatchDecider } from './batch-decider.js';
import type { BlockedRetry } from './blocked-retry.js';
import type { Delivery, WriteFailure } from './delivery.js';
import type { DlqBreaker } from './dlq-breaker.js';
import type { ProductStatus } from './product-state.js';
import type { TopicLimits } from './topic-limits.js';

/** What one product's batch path works with; the product worker builds it at start. */
export interface BatchPathParts {
  product: ProductDescriptor;
  config: Readonly<RuntimeConfig>;
  metrics: Metrics;
  log: Logger;
  status: ProductStatus;
  signals: ProductSignals;
  decider: BatchDecider;
  delivery: Delivery;
  accounting: BatchAccounting;
  limits: TopicLimits;
  breaker: DlqBreaker;
  blocked: BlockedRetry;
  batchDuration: HistogramSeries;
  maxBackoffMs: number;
  consumer(): ProductConsumer | undefined;
  /** A batch went through: consecutive-failure counts start again. */
  delivered(): void;
  /** The product cannot go on (onInvalid: fail). */
  onFatal(error: Error): void;
}

/**
 * One product's batch path: each batch of one partition goes through its steps, each with its own
 * failure semantics: decide (BatchDecider) -> summarize (planBatch) -> write and commit
 * (Delivery) -> account (BatchAccounting). Offsets never run ahead of acknowledged writes; a batch
 * that cannot go on is sought back to its first unwritten record, and the partition (or the
 * product) pauses with the state that says why.
 */
export class BatchPath {
  /** Per input partition: the offset below which this process's writes were acknowledged. */
  private readonly writtenThrough = new Map<string, bigint>();
  /** Each partition waiting for the registry or Kafka. */
  private readonly partitionRetries: BackoffTimers;
  /** Exactly-once partitions this member was fenced from, paused until the next group join. */
  private readonly pausedForFence = new Set<string>();

  constructor(private readonly parts: BatchPathParts) {
    this.partitionRetries = new BackoffTimers(500, parts.maxBackoffMs);
  }

  /** A group join: partitions this member was fenced from may be read again. */
  joined(): void {
    for (const key of this.pausedForFence) {
      const [topic, partition] = splitKey(key);
      this.parts.consumer()?.resume([{ topic, partitions: [partition] }]);
    }
    this.pausedForFence.clear();
  }

  stop(): void {
    this.partitionRetries.clear();
  }

  /** Batches of several partitions may be in flight at once (partitionsConsumedConcurrently). */
  async handle(payload: EachBatchPayload): Promise<void> {
    const records = payload.batch.messages.length;
    this.parts.signals.inFlight += records;
    try {
      await this.runBatch(payload);
    } finally {
      this.parts.signals.inFlight -= records;
    }
  }

  private async runBatch({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
    commitOffsetsIfNecessary,
  }: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = batch;
    if (messages.length === 0 || !isRunning() || isStale()) return;
    const first = messages[0]!;
    this.parts.accounting.fetched(topic, partition, messages, batch.highWatermark);
    if (
      this.parts.status.state === 'halted' ||
      this.parts.status.state === 'failed' ||
      (this.parts.status.state === 'blocked' && !this.parts.blocked.retrying)
    ) {
      this.rewind(topic, partition, first);
      return;
    }
    const startedAt = performance.now();
    const key = `${topic}:${partition}`;

    // Exactly-once: fence the partition's previous owner before deciding anything.
    let claimed: string | undefined;
    try {
      claimed = await this.parts.delivery.claim(topic, partition);
    } catch (err) {
      this.backOff(
        topic,
        partition,
        first,
        new DataprodError('BROKER_UNAVAILABLE', `${this.parts.product.majorId}: cannot open the transactional producer of ${key}`, {
          cause: err,
        }),
        'kafka',
      );
      return;
    }
    if (claimed !== undefined && BigInt(claimed) > BigInt(first.offset)) {
      this.parts.log.info(
        { topic, partition, from: first.offset, committed: claimed },
        'skipping records the previous owner of the partition committed',
      );
      this.parts.consumer()?.seek({ topic, partition, offset: claimed });
      return;
    }

    const sources = messages.map((m) => sourceRecord(topic, partition, m));
    let decision;
    try {
      decision = await this.parts.decider.decide(sources);
    } catch (err) {
      if (!(err instanceof SchemaFetchError)) throw err;
      this.backOff(topic, partition, first, err.cause as Error, 'registry');
      return;
    }

    const dlqLimit = this.parts.limits.batchBytes(this.parts.product.deadLetter.topic);
    const plan = planBatch(this.parts.product, sources, decision, { deadLetterBatchBytes: dlqLimit }, this.writtenThrough.get(key));
    // A whole batch planned: its commit also passes the records the consumer filtered out after the
    // last one it handed over (a transaction's marker, aborted records), or they would stay as lag.
    if (plan.records === messages.length && plan.commitOffset !== undefined) {
      const end = BigInt(batch.lastOffset()) + 1n;
      if (end > BigInt(plan.commitOffset)) plan.commitOffset = end.toString();
    }
    const planned = tallyPlan(plan);
    if (plan.records > 0 && this.parts.breaker.record(planned.consumed, planned.deadLettered)) {
      const { ratio, windowMs } = this.parts.config.dlqHalt;
      const reason = `more than ${Math.round(ratio * 100)}% of records dead-lettered within ${windowMs / 1000} s; halted instead of dead-lettering everything`;
      this.halt(topic, partition, first, 'halted', reason, { window: this.parts.breaker.snapshot() });
      return;
    }

    const result = await this.parts.delivery.deliver(plan, commitOffsetsIfNecessary);
    if (result.acknowledged > 0) {
      this.writtenThrough.set(key, BigInt(messages[result.acknowledged - 1]!.offset) + 1n);
      this.parts.accounting.account(
        topic,
        result.acknowledged === plan.records ? planned : tallyPlan(plan, result.acknowledged),
        Date.now(),
      );
    }
    if (result.failure) {
      await this.onWriteFailure(
        topic,
        partition,
        messages[result.acknowledged]!,
        result.failure,
        plan.writes.some((w) => w.topic === plan.deadLetterTopic),
      );
      return;
    }
    if (result.commitError !== undefined) {
      // The writes stay counted; kafkajs rejoins if the member was fenced, and the next commit covers these offsets.
      this.parts.metrics.commitErrors.inc({ product: this.parts.product.majorId });
      this.parts.log.warn(
        { topic, partition, err: result.commitError },
        'offset commit failed after the writes were acknowledged; they are counted, and the next commit covers them',
      );
    }
    if (plan.records > 0) resolveOffset(messages[plan.records - 1]!.offset);
    if (plan.records > 0 && result.committed) {
      this.parts.accounting.committed(topic, partition, messages, plan.records, plan.commitOffset!);
      this.parts.status.progressed(Date.now());
    }
    this.partitionRetries.reset(key);
    this.parts.delivered();
    this.parts.batchDuration.observe((performance.now() - startedAt) / 1000);

    const stop = decision.stop;
    if (plan.blocked) {
      const { topic: dlq, bytes, limitBytes } = plan.blocked;
      this.parts.blocked.block(
        { topic, partition, message: messages[plan.blocked.index]! },
        `the dead letter of ${key}@${messages[plan.blocked.index]!.offset} needs ${bytes} bytes without its value and ${dlq} accepts at most ${limitBytes} (max.message.bytes); raise it`,
      );
    } else if (stop?.kind === 'needs-schema') {
      // An id expired from the unknown-id cache mid-batch: pick the rest up on the next fetch.
      this.rewind(topic, partition, messages[stop.index]!);
    } else if (stop?.kind === 'fail') {
      const { error } = stop;
      const at = messages[stop.index]!;
      this.halt(
        topic,
        partition,
        at,
        'failed',
        `invalid input with onInvalid: fail (reason ${error.reason}) at ${topic}[${partition}]@${at.offset}`,
        { reason: error.reason, rule: error.rule, field: error.field },
      );
      this.parts.onFatal(new DataprodError('STOPPED_ON_INVALID_RECORD', `${this.parts.product.majorId}: ${this.parts.status.reason}`));
    } else if (this.parts.status.state === 'blocked' && this.parts.blocked.retrying) {
      this.parts.blocked.succeeded();
    } else if (this.parts.status.state === 'backing-off' && this.partitionRetries.pending === 0) {
      this.parts.status.set('running');
    }
    await heartbeat();
  }

  /**
   * A write that did not go through. Nothing past the first unacknowledged record is committed; the
   * partition reads again from there, so what was acknowledged is not written twice.
   */
  private async onWriteFailure(
    topic: string,
    partition: number,
    at: KafkaMessage,
    failure: WriteFailure,
    hadDeadLetters: boolean,
  ): Promise<void> {
    const { metrics } = this.parts;
    const id = this.parts.product.majorId;
    metrics.processingErrors.inc({ product: id, stage: 'produce' });
    if (hadDeadLetters && (failure.topic === undefined || failure.topic === this.parts.product.deadLetter.topic))
      metrics.dlqPublishErrors.inc({ product: id });
    const topicName = failure.topic ?? `${this.parts.product.output.topic} or ${this.parts.product.deadLetter.topic}`;
    switch (failure.kind) {
      case 'fenced':
        // Paused until the next group join, or a zombie would fetch and decide the same batch in a loop.
        this.parts.log.warn(
          { topic, partition, type: failure.type },
          'fenced by a newer owner of the partition; paused until the group reassigns it',
        );
        this.parts.consumer()?.pause([{ topic, partitions: [partition] }]);
        this.pausedForFence.add(`${topic}:${partition}`);
        this.rewind(topic, partition, at);
        return;
      case 'too-large': {
        // A limit lowered while running: read it again and plan the batch anew, unless it did not change.
        const before = failure.topic ? this.parts.limits.batchBytes(failure.topic) : undefined;
        await this.parts.limits.refresh().catch(() => undefined);
        if (failure.topic === this.parts.product.deadLetter.topic && this.parts.limits.batchBytes(failure.topic) !== before) {
          this.parts.log.warn(
            { topic: failure.topic, maxMessageBytes: this.parts.limits.batchBytes(failure.topic) },
            "the dead-letter topic's max.message.bytes changed; planning the batch again",
          );
          this.rewind(topic, partition, at);
          return;
        }
        this.parts.blocked.block(
          { topic, partition, message: at },
          `${topicName} refuses the write: ${failure.type} (max.message.bytes ${failure.topic ? this.parts.limits.batchBytes(failure.topic) : '?'})`,
        );
        return;
      }
      case 'refused':
        this.parts.blocked.block({ topic, partition, message: at }, `${topicName} refuses the write: ${failure.type}`);
        return;
      case 'unavailable':
        this.backOff(
          topic,
          partition,
          at,
          new DataprodError('BROKER_UNAVAILABLE', `${id}: writing to ${topicName} failed: ${failure.type}`, { cause: failure.cause }),
          'kafka',
        );
        return;
    }
  }

  /** Registry unreachable: no dead-letter, no commit; pause this partition and retry later. */
  private backOff(topic: string, partition: number, at: KafkaMessage, err: Error, source: 'registry' | 'kafka'): void {
    // A failed write was counted under stage produce where it failed.
    if (source === 'registry') this.parts.metrics.processingErrors.inc({ product: this.parts.product.majorId, stage: 'registry' });
    const code = err instanceof DataprodError ? err.code : source === 'registry' ? 'REGISTRY_UNAVAILABLE' : 'BROKER_UNAVAILABLE';
    this.parts.status.set('backing-off', err.message, code);
    this.parts.consumer()?.pause([{ topic, partitions: [partition] }]);
    this.rewind(topic, partition, at);
    const { attempt, delayMs } = this.partitionRetries.schedule(`${topic}:${partition}`, () => {
      // Back to running only when no partition waits any more; the next batch may pause it again.
      if (this.parts.status.state === 'backing-off' && this.partitionRetries.pending === 0) this.parts.status.set('running');
      if (this.parts.status.processing || this.parts.status.state === 'backing-off')
        this.parts.consumer()?.resume([{ topic, partitions: [partition] }]);
    });
    this.parts.log.warn(
      { topic, partition, offset: at.offset, attempt, retryInMs: delayMs, err },
      `${source === 'registry' ? 'schema registry' : 'Kafka'} unavailable; partition paused`,
    );
  }

  /**
   * Stops the product at `at`, commits nothing more: too many dead letters (halted: a bug is not
   * data), or invalid input on an onInvalid: fail port (failed).
   */
  private halt(topic: string, partition: number, at: KafkaMessage, state: 'halted' | 'failed', reason: string, detail: object = {}): void {
    this.parts.status.set(state, reason, state === 'failed' ? 'STOPPED_ON_INVALID_RECORD' : undefined);
    this.parts.log.error({ topic, partition, offset: at.offset, ...detail }, reason);
    this.pauseAll();
    this.rewind(topic, partition, at);
  }

  pauseAll(): void {
    this.parts.consumer()?.pause(this.parts.product.inputPorts.map((p) => ({ topic: p.topic })));
  }

  /** Seeks back to a record not committed yet; it is the oldest pending one for the lag. */
  rewind(topic: string, partition: number, at: KafkaMessage): void {
    this.parts.consumer()?.seek({ topic, partition, offset: at.offset });
    this.parts.signals.progress.onRewind(topic, partition, Number(at.offset), Number(at.timestamp));
  }
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
