import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime.js';
import type { ProductDescriptor } from '../product/types.js';
import type { RegistryClient } from '../contracts/registry-client.js';
import { DataprodError, type ErrorCode } from '../errors.js';
import type { Admin, Consumer, EachBatchPayload, KafkaClient as Kafka, KafkaMessage, Producer } from '../kafka/client.js';
import type { Metrics, ProductSignals } from '../observability/metrics.js';
import { planBatch, tallyPlan } from '../pipeline/batch-plan.js';
import { BATCH_OVERHEAD_BYTES } from '../pipeline/dead-letter.js';
import { BatchAccounting } from './batch-accounting.js';
import { BatchDecider, SchemaFetchError, sourceRecord } from './batch-decider.js';
import { AtLeastOnceDelivery, ExactlyOnceDelivery, type Delivery, type WriteFailure } from './delivery.js';
import type { Transform } from '../transform.js';
import { DlqBreaker } from './dlq-breaker.js';
import { preflight } from './preflight.js';
import { refreshProgress } from './progress-refresh.js';
import { TopicLimits } from './topic-limits.js';
import type { HistogramSeries } from '../observability/histogram.js';
import { WindowCompleteness } from '../observability/completeness.js';
import { ProductProgress } from '../observability/progress.js';
import { DATAPROD_VERSION } from '../version.js';

/**
 * A product worker's state. backing-off: an infrastructure fault (registry, broker), retried by
 * itself; blocked: a topic refuses our writes or is gone (TOPIC_WRITE_REFUSED), retried with
 * back-off until someone fixes it; halted: the dead-letter breaker tripped; failed: it cannot go on.
 */
export type ProductState = 'starting' | 'running' | 'backing-off' | 'blocked' | 'halted' | 'draining' | 'stopped' | 'failed';

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
  private stateValue: ProductState = 'starting';
  private consumer: Consumer | undefined;
  private decider: BatchDecider | undefined;
  private delivery: Delivery | undefined;
  private accounting: BatchAccounting | undefined;
  private readonly limits: TopicLimits;
  /** Per input partition: the offset below which this process's writes were acknowledged. */
  private readonly writtenThrough = new Map<string, bigint>();
  private blockAttempts = 0;
  /** Blocked, and the paused partitions were resumed to try the write again. */
  private retryingBlocked = false;
  private unblockTimer: NodeJS.Timeout | undefined;
  /** Last time the product committed, or had nothing to do: the stall clock. */
  private lastProgressAt = Date.now();
  private stateCode: ErrorCode | undefined;
  private outputSchemaId = 0;
  private readonly backoffAttempts = new Map<string, number>();
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private readonly pausedForRegistry = new Set<string>();
  /** Exactly-once partitions this member was fenced from, paused until the next group join. */
  private readonly pausedForFence = new Set<string>();
  private readonly breaker: DlqBreaker;
  private readonly log: Logger;
  private restarts = 0;
  /** Live state read by the scrape-time gauges and the status page. */
  readonly signals: ProductSignals = {
    progress: new ProductProgress(),
    completeness: new WindowCompleteness(COMPLETENESS_WINDOW_MS, Date.now()),
    inFlight: 0,
    totals: { consumed: 0, published: 0, filtered: 0, deadLettered: 0, rewritten: 0 },
  };
  private assigned = new Set<string>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private readonly batchDuration: HistogramSeries;
  private stateReason = '';

  constructor(
    readonly product: ProductDescriptor,
    private readonly transform: Transform,
    private readonly deps: ProductWorkerDeps,
  ) {
    this.log = deps.logger.child({ product: product.id });
    this.breaker = new DlqBreaker(deps.config.dlqHalt);
    this.batchDuration = deps.metrics.batchDuration.labels({ product: product.id });
    deps.metrics.track(product.id, this.signals);
    this.limits = new TopicLimits(deps.admin, [product.output.topic, product.deadLetter.topic]);
  }

  get state(): ProductState {
    return this.stateValue;
  }

  /** Why the product is halted, blocked, failed or backing off; empty otherwise. */
  get reason(): string {
    return this.stateReason;
  }

  /** The error code of a blocked or failed product. */
  get code(): ErrorCode | undefined {
    return this.stateCode;
  }

  /** Lag > 0 and no commit for --stall-after-ms: whatever the state says, nothing moves. */
  stalled(now: number): boolean {
    const behind = this.signals.progress.lags(now).some((l) => l.records > 0);
    if (!behind) this.lastProgressAt = now;
    return behind && now - this.lastProgressAt > this.deps.config.stallAfterMs;
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
    const inputTopic = new Map(product.inputPorts.map((p) => [p.topic, p.topic]));
    this.accounting = new BatchAccounting(product, (t) => inputTopic.get(t) ?? t, deps.metrics, this.signals, this.log);

    const consumer = deps.kafka.consumer({
      groupId: product.consumerGroup,
      allowAutoTopicCreation: false,
      sessionTimeout: deps.config.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(deps.config.sessionTimeoutMs / 10)),
      retry: {
        retries: 5,
        restartOnFailure: async (error) => {
          this.restarts += 1;
          const again = this.restarts <= deps.config.maxRestarts;
          this.log.error(
            { err: error, restart: this.restarts, maxRestarts: deps.config.maxRestarts },
            again ? 'consumer failed; restarting from the last committed offsets' : 'consumer failed too often; giving up',
          );
          return again;
        },
      },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      deps.metrics.rebalances.inc({ product: product.id });
      this.assigned = new Set(Object.entries(event.payload.memberAssignment).flatMap(([t, ps]) => ps.map((p) => `${t}:${p}`)));
      this.signals.progress.retain(this.assigned);
      this.delivery?.reassigned();
      for (const key of this.pausedForFence) {
        const [t, p] = splitKey(key);
        consumer.resume([{ topic: t, partitions: [p] }]);
      }
      this.pausedForFence.clear();
      this.signals.completeness.reset(Date.now());
      void this.refresh(true);
      this.log.info({ memberId: event.payload.memberId, assignment: event.payload.memberAssignment }, 'joined the consumer group');
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) {
        this.setState('failed', `consumer crashed: ${event.payload.error.message}`, 'BROKER_UNAVAILABLE');
        deps.onFatal(new DataprodError('BROKER_UNAVAILABLE', `${product.id}: ${this.stateReason}`, { cause: event.payload.error }));
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: product.inputPorts.map((p) => p.topic), fromBeginning: true });
    await consumer.run({
      // Batches of different partitions overlap (one waits for its produce acknowledgement while
      // another is decided); kafkajs still hands one partition's batches over one at a time.
      partitionsConsumedConcurrently: deps.config.partitionsConcurrently,
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    this.setState('running');
    this.refreshTimer = setInterval(() => void this.refresh(false), PROGRESS_REFRESH_MS);
    this.refreshTimer.unref();
    deps.metrics.buildInfo.set({ version: DATAPROD_VERSION, product: product.id, product_version: product.version }, 1);
    deps.metrics.productStatus.set({ product: product.id, status: product.status }, 1);
  }

  /** Stops fetching, lets the batch in flight finish (its writes acked and committed), leaves the group. */
  async stop(): Promise<void> {
    clearInterval(this.refreshTimer);
    for (const timer of this.resumeTimers) clearTimeout(timer);
    this.resumeTimers.clear();
    clearTimeout(this.unblockTimer);
    if (this.stateValue !== 'failed') this.setState('draining');
    try {
      await this.consumer?.disconnect();
    } finally {
      await this.delivery?.close();
      if (this.stateValue !== 'failed') this.setState('stopped');
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
    if (this.stateValue === 'halted' || this.stateValue === 'failed' || (this.stateValue === 'blocked' && !this.retryingBlocked)) {
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
      this.halt(topic, partition, first);
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
    if (plan.records > 0) {
      const last = messages[plan.records - 1]!;
      resolveOffset(last.offset);
      if (result.committed) {
        const next = messages[plan.records];
        this.signals.progress.onCommit(topic, partition, Number(last.offset) + 1, Number(last.timestamp), next ? Number(next.timestamp) : undefined);
        for (let i = 0; i < plan.records; i++) this.signals.completeness.handledAt(Number(messages[i]!.timestamp));
        this.lastProgressAt = Date.now();
      }
    }
    this.backoffAttempts.delete(key);
    // --max-restarts bounds consecutive failures: a batch that went through resets the count.
    this.restarts = 0;
    this.batchDuration.observe((performance.now() - startedAt) / 1000);

    const stop = decision.stop;
    if (plan.blocked) {
      const { topic: dlq, bytes, limitBytes } = plan.blocked;
      this.block({ topic, partition, message: messages[plan.blocked.index]! }, `the dead letter of ${key}@${messages[plan.blocked.index]!.offset} needs ${bytes} bytes without its value and ${dlq} accepts at most ${limitBytes} (max.message.bytes); raise it`);
    } else if (stop?.kind === 'needs-schema') {
      // An id expired from the unknown-id cache mid-batch: pick the rest up on the next fetch.
      this.rewind(topic, partition, messages[stop.index]!);
    } else if (stop?.kind === 'fail') {
      const at = messages[stop.index]!;
      const offset = at.offset;
      this.rewind(topic, partition, at);
      this.pauseAll();
      const { error } = stop;
      this.setState('failed', `invalid input with onInvalid: fail (reason ${error.reason}) at ${topic}[${partition}]@${offset}`, 'STOPPED_ON_INVALID_RECORD');
      this.log.error({ topic, partition, offset, reason: error.reason, rule: error.rule, field: error.field }, this.stateReason);
      this.deps.onFatal(new DataprodError('STOPPED_ON_INVALID_RECORD', `${this.product.id}: ${this.stateReason}`));
    } else if ((this.stateValue === 'backing-off' && this.pausedForRegistry.size === 0) || (this.stateValue === 'blocked' && this.retryingBlocked)) {
      // A blocked product runs again once a retry's write went through. A batch that was already in
      // flight when the product blocked does not count: its inputs stay paused until tryUnblock.
      this.retryingBlocked = false;
      this.setState('running');
    }
    if (this.stateValue === 'running') this.blockAttempts = 0;
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
        this.block({ topic, partition, message: at }, `${topicName} refuses the write: ${failure.type} (max.message.bytes ${failure.topic ? this.limits.batchBytes(failure.topic) : '?'})`);
        return;
      }
      case 'refused':
        this.block({ topic, partition, message: at }, `${topicName} refuses the write: ${failure.type}`);
        return;
      case 'unavailable':
        this.backOff(topic, partition, at, new DataprodError('BROKER_UNAVAILABLE', `${id}: writing to ${topicName} failed: ${failure.type}`, { cause: failure.cause }), 'kafka');
        return;
    }
  }

  /**
   * A topic refuses our writes or is gone: stop consuming, commit nothing past `at`, and try again
   * with back-off; the product resumes by itself once the topics exist and the limits were re-read.
   * The other products of the process are not touched.
   */
  private block(at: { topic: string; partition: number; message: KafkaMessage } | undefined, reason: string): void {
    if (this.stateValue !== 'blocked') this.log.error({ topic: at?.topic, partition: at?.partition, offset: at?.message.offset, code: 'TOPIC_WRITE_REFUSED' }, `blocked: ${reason}`);
    this.setState('blocked', reason, 'TOPIC_WRITE_REFUSED');
    this.retryingBlocked = false;
    this.pauseAll();
    if (at) this.rewind(at.topic, at.partition, at.message);
    if (this.unblockTimer) return;
    this.blockAttempts += 1;
    const delay = Math.min(MAX_BACKOFF_MS, 1_000 * 2 ** (this.blockAttempts - 1));
    this.unblockTimer = setTimeout(() => void this.tryUnblock(), delay);
  }

  private async tryUnblock(): Promise<void> {
    this.unblockTimer = undefined;
    if (this.stateValue !== 'blocked') return;
    const missing = await this.missingTopics().catch(() => []);
    if (missing.length > 0) {
      this.block(undefined, `${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist; create ${missing.length > 1 ? 'them' : 'it'} again`);
      return;
    }
    await this.limits.refresh().catch(() => undefined);
    // Still blocked (and 503) while the next batch tries: it unblocks the product if its write goes through, or blocks it again.
    this.log.info({ attempt: this.blockAttempts }, 'retrying the blocked write');
    this.retryingBlocked = true;
    this.consumer?.resume(this.product.inputPorts.map((p) => ({ topic: p.topic })));
  }

  /** The product's input, output and dead-letter topics that do not exist on the cluster. */
  private async missingTopics(): Promise<string[]> {
    const existing = new Set(await this.deps.admin.listTopics());
    const topics = [...this.product.inputPorts.map((p) => p.topic), this.product.output.topic, this.product.deadLetter.topic];
    return topics.filter((t) => !existing.has(t));
  }

  /** Every PROGRESS_REFRESH_MS and after a join: missing topics, then lag and window completeness. */
  private async refresh(afterJoin: boolean): Promise<void> {
    if (this.refreshing || this.assigned.size === 0) return;
    this.refreshing = true;
    try {
      if (this.stateValue === 'running' || this.stateValue === 'backing-off') {
        const missing = await this.missingTopics().catch(() => []);
        if (missing.length > 0) this.block(undefined, `${missing.join(', ')} ${missing.length > 1 ? 'do' : 'does'} not exist any more; create ${missing.length > 1 ? 'them' : 'it'} again`);
      }
      await refreshProgress({ admin: this.deps.admin, product: this.product, signals: this.signals, log: this.log }, this.assigned, afterJoin);
      // Keeps the stall clock moving when nobody asks for health: an idle product is not stalled.
      this.stalled(Date.now());
    } finally {
      this.refreshing = false;
    }
  }

  /** Registry unreachable: no dead-letter, no commit; pause this partition and retry later. */
  private backOff(topic: string, partition: number, at: KafkaMessage, err: Error, source: 'registry' | 'kafka'): void {
    const offset = at.offset;
    const key = `${topic}:${partition}`;
    const attempt = (this.backoffAttempts.get(key) ?? 0) + 1;
    this.backoffAttempts.set(key, attempt);
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (attempt - 1));
    // A failed write was counted under stage produce where it failed.
    if (source === 'registry') this.deps.metrics.processingErrors.inc({ product: this.product.id, stage: 'registry' });
    const code = err instanceof DataprodError ? err.code : source === 'registry' ? 'REGISTRY_UNAVAILABLE' : 'BROKER_UNAVAILABLE';
    this.setState('backing-off', err.message, code);
    this.log.warn({ topic, partition, offset, attempt, retryInMs: delay, err }, `${source === 'registry' ? 'schema registry' : 'Kafka'} unavailable; partition paused`);
    const consumer = this.consumer!;
    consumer.pause([{ topic, partitions: [partition] }]);
    this.rewind(topic, partition, at);
    this.pausedForRegistry.add(key);
    const timer = setTimeout(() => {
      this.resumeTimers.delete(timer);
      this.pausedForRegistry.delete(key);
      // Back to running only when no partition waits any more; the next batch may pause it again.
      if (this.stateValue === 'backing-off' && this.pausedForRegistry.size === 0) this.setState('running');
      if (this.stateValue === 'running' || this.stateValue === 'backing-off') consumer.resume([{ topic, partitions: [partition] }]);
    }, delay);
    this.resumeTimers.add(timer);
  }

  /** Too many dead letters: a bug is not data. Stop here, commit nothing more, report unhealthy. */
  private halt(topic: string, partition: number, at: KafkaMessage): void {
    const offset = at.offset;
    const { ratio, windowMs } = this.deps.config.dlqHalt;
    this.setState(
      'halted',
      `more than ${Math.round(ratio * 100)}% of records dead-lettered within ${windowMs / 1000} s; halted instead of dead-lettering everything`,
    );
    this.log.error({ topic, partition, offset, window: this.breaker.snapshot() }, this.stateReason);
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

  private setState(state: ProductState, reason = '', code?: ErrorCode): void {
    const metrics = this.deps.metrics;
    metrics.productUp.set({ product: this.product.id, state: this.stateValue }, 0);
    if (state !== this.stateValue) this.log.info({ from: this.stateValue, to: state, reason: reason || undefined, code }, 'product state');
    this.stateValue = state;
    this.stateReason = reason;
    this.stateCode = code;
    metrics.productUp.set({ product: this.product.id, state }, 1);
  }
}

function splitKey(key: string): [string, number] {
  const at = key.lastIndexOf(':');
  return [key.slice(0, at), Number(key.slice(at + 1))];
}
