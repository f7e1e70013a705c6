import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config/runtime.js';
import type { ProductDescriptor } from '../config/types.js';
import { registerOutputSchema } from '../contracts/register.js';
import type { RegistryClient } from '../contracts/registry-client.js';
import { SchemaCache } from '../contracts/schema-cache.js';
import { DataprodError } from '../errors.js';
import type { Admin, Consumer, EachBatchPayload, KafkaClient as Kafka, KafkaMessage, Message, Producer } from '../kafka/client.js';
import type { Metrics, ProductSignals } from '../observability/metrics.js';
import { deadLetterMessage } from '../pipeline/dead-letter.js';
import { DEAD_LETTERED, FILTERED, PUBLISHED, type BatchDecision } from '../pipeline/batch.js';
import type { DlqReason } from '../pipeline/processor.js';
import { InlineDecider, SchemaFetchError, sourceRecord, type BatchDecider } from './batch-decider.js';
import type { Transform } from '../transform.js';
import { DlqBreaker } from './dlq-breaker.js';
import type { HistogramSeries } from '../observability/histogram.js';
import { WindowCompleteness } from '../observability/completeness.js';
import { ProductProgress } from '../observability/progress.js';
import { DATAPROD_VERSION } from '../version.js';

export type ProductState = 'starting' | 'running' | 'backing-off' | 'halted' | 'draining' | 'stopped' | 'failed';

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
const DEAD_LETTER_REPORT_MS = 10_000;

/**
 * One product: its own consumer group, the processor, and the I/O around it. Per batch (one
 * partition): at most one await to warm the schema cache, one produce of every output and
 * dead-letter record, then one commit, so offsets never run ahead of acknowledged writes.
 */
export class ProductWorker {
  private stateValue: ProductState = 'starting';
  private consumer: Consumer | undefined;
  private decider: BatchDecider | undefined;
  private outputSchemaId = 0;
  private readonly backoffAttempts = new Map<string, number>();
  private readonly resumeTimers = new Set<NodeJS.Timeout>();
  private readonly pausedForRegistry = new Set<string>();
  private readonly breaker: DlqBreaker;
  private readonly log: Logger;
  private restarts = 0;
  private readonly unreportedDeadLetters = new Map<DlqReason, number>();
  /** Live state read by the scrape-time gauges and the status page. */
  readonly signals: ProductSignals = {
    progress: new ProductProgress(),
    completeness: new WindowCompleteness(COMPLETENESS_WINDOW_MS, Date.now()),
    inFlight: 0,
    totals: { consumed: 0, published: 0, filtered: 0, deadLettered: 0 },
  };
  private assigned = new Set<string>();
  private refreshTimer: NodeJS.Timeout | undefined;
  private refreshing = false;
  private readonly appendToPublish: HistogramSeries;
  private readonly eventToPublish: HistogramSeries;
  private readonly batchDuration: HistogramSeries;
  /** Whether the output port declares eventTime (and so event-to-publish latency is observed). */
  private readonly eventTimed: boolean;
  private lastDeadLetterReport = 0;
  private stateReason = '';

  constructor(
    readonly product: ProductDescriptor,
    private readonly transform: Transform,
    private readonly deps: ProductWorkerDeps,
  ) {
    this.log = deps.logger.child({ product: product.id });
    this.breaker = new DlqBreaker(deps.config.dlqHalt);
    // Series resolved once: observing on them is a bucket search, no label handling per record.
    this.appendToPublish = deps.metrics.appendToPublish.labels({ product: product.id });
    this.eventToPublish = deps.metrics.eventToPublish.labels({ product: product.id });
    this.batchDuration = deps.metrics.batchDuration.labels({ product: product.id });
    deps.metrics.track(product.id, this.signals);
    this.eventTimed = product.outputPorts[0]!.eventTime !== undefined;
  }

  get state(): ProductState {
    return this.stateValue;
  }

  /** Why the product is halted, failed or backing off; empty otherwise. */
  get reason(): string {
    return this.stateReason;
  }

  get schemaIds(): { output: number } {
    return { output: this.outputSchemaId };
  }

  async start(): Promise<void> {
    const { product, deps } = this;
    if (product.status === 'deprecated') {
      this.log.warn({ status: product.status }, 'product is deprecated: consumers should move to its successor');
    }
    await this.checkInputTopics();
    await this.ensureTopics(deps.config.createTopics);

    const registered = await this.ensureOutputSchema();
    this.outputSchemaId = registered;
    await this.checkContracts();

    const options = { outputSchemaId: this.outputSchemaId, maxOutputBytes: deps.config.maxOutputBytes };
    this.decider = new InlineDecider(product, this.transform, deps.registry, options);

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
            { err: { name: error.name, message: error.message }, restart: this.restarts, maxRestarts: deps.config.maxRestarts },
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
      this.signals.completeness.reset(Date.now());
      void this.refreshProgress(true);
      this.log.info({ memberId: event.payload.memberId, assignment: event.payload.memberAssignment }, 'joined the consumer group');
    });
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) {
        this.setState('failed', `consumer crashed: ${event.payload.error.message}`);
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
    this.refreshTimer = setInterval(() => void this.refreshProgress(false), PROGRESS_REFRESH_MS);
    this.refreshTimer.unref();
    deps.metrics.buildInfo.set({ version: DATAPROD_VERSION, product: product.id, product_version: product.version }, 1);
    deps.metrics.productStatus.set({ product: product.id, status: product.status }, 1);
  }

  /** Stops fetching, lets the batch in flight finish (its writes acked and committed), leaves the group. */
  async stop(): Promise<void> {
    clearInterval(this.refreshTimer);
    for (const timer of this.resumeTimers) clearTimeout(timer);
    this.resumeTimers.clear();
    if (this.stateValue !== 'failed') this.setState('draining');
    try {
      await this.consumer?.disconnect();
    } finally {
      await this.decider?.close();
      if (this.stateValue !== 'failed') this.setState('stopped');
    }
  }

  /** Batches of several partitions may be in flight at once (partitionsConsumedConcurrently). */
  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const records = payload.batch.messages.length;
    this.signals.inFlight += records;
    try {
      await this.decideAndPublish(payload);
    } finally {
      this.signals.inFlight -= records;
    }
  }

  private async decideAndPublish({ batch, resolveOffset, heartbeat, isRunning, isStale, commitOffsetsIfNecessary }: EachBatchPayload): Promise<void> {
    const { topic, partition, messages } = batch;
    if (messages.length === 0 || !isRunning() || isStale()) return;
    const first = messages[0]!;
    this.signals.progress.onBatch(topic, partition, Number(first.offset), Number(first.timestamp), Number(messages[messages.length - 1]!.timestamp), Number(batch.highWatermark));
    if (this.stateValue === 'halted' || this.stateValue === 'failed') {
      this.rewind(topic, partition, first);
      return;
    }
    const startedAt = performance.now();
    const product = this.product;

    let decision: BatchDecision;
    try {
      decision = await this.decider!.decide(topic, partition, messages);
    } catch (err) {
      if (!(err instanceof SchemaFetchError)) throw err;
      this.backOff(topic, partition, first, err.cause as Error);
      return;
    }

    const { decided: processed, outcomes, outputs } = decision;
    const deadLetters: Message[] = [];
    const dlqReasons = new Map<DlqReason, number>();
    const invalidReasons = new Map<DlqReason, number>();
    const errorStages = new Map<string, number>();
    const warnings = new Map<string, number>();
    for (const [i, error] of decision.errors) {
      if (outcomes[i] === DEAD_LETTERED) {
        deadLetters.push(deadLetterMessage(sourceRecord(topic, partition, messages[i]!), error, product) as Message);
        bump(dlqReasons, error.reason);
        if (isInputError(error.reason)) bump(invalidReasons, error.reason);
        else bump(errorStages, error.stage);
      } else {
        bump(invalidReasons, error.reason);
      }
    }
    for (const [, rule] of decision.warnings) bump(warnings, rule);
    let filtered = 0;
    let publishedInputs = 0;
    // Source broker times of published records, for the append-to-publish latency.
    const publishedAt: number[] = [];
    for (let i = 0; i < processed; i++) {
      if (outcomes[i] === PUBLISHED) {
        publishedInputs += 1;
        publishedAt.push(Number(messages[i]!.timestamp));
      } else if (outcomes[i] === FILTERED) {
        filtered += 1;
      }
    }
    const stop = decision.stop;

    if (processed > 0 && this.breaker.record(processed, deadLetters.length)) {
      this.halt(topic, partition, first);
      return;
    }

    if (outputs.length > 0 || deadLetters.length > 0) {
      const topicMessages = [];
      if (outputs.length > 0) topicMessages.push({ topic: product.outputPorts[0]!.topic, messages: outputs });
      if (deadLetters.length > 0) topicMessages.push({ topic: product.deadLetter.topic, messages: deadLetters });
      try {
        await this.deps.producer.sendBatch({ topicMessages, acks: -1 });
      } catch (err) {
        this.deps.metrics.processingErrors.inc({ product: product.id, stage: 'produce' });
        if (deadLetters.length > 0) this.deps.metrics.dlqPublishErrors.inc({ product: product.id });
        // Nothing committed: the restarted consumer reads this batch again from the last commit.
          throw err;
      }
    }
    const ackedAt = Date.now();

    if (processed > 0) {
      const last = messages[processed - 1]!.offset;
      // The payload's commit, not consumer.commitOffsets(): kafkajs silently skips the latter once
      // stop() has begun, which would leave the batch a drain just finished uncommitted.
      await commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset: (BigInt(last) + 1n).toString() }] }] });
      resolveOffset(last);
      const next = messages[processed];
      this.signals.progress.onCommit(topic, partition, Number(last) + 1, Number(messages[processed - 1]!.timestamp), next ? Number(next.timestamp) : undefined);
      for (let i = 0; i < processed; i++) this.signals.completeness.handledAt(Number(messages[i]!.timestamp));
    }
    this.backoffAttempts.delete(`${topic}:${partition}`);
    // --max-restarts bounds consecutive failures: a batch that went through resets the count.
    this.restarts = 0;

    const metrics = this.deps.metrics;
    const id = product.id;
    metrics.consumed.inc({ product: id, topic }, processed);
    const totals = this.signals.totals;
    totals.consumed += processed;
    totals.published += publishedInputs;
    totals.filtered += filtered;
    totals.deadLettered += deadLetters.length;
    if (publishedInputs > 0) {
      const outputTopic = product.outputPorts[0]!.topic;
      metrics.published.inc({ product: id, topic: outputTopic }, publishedInputs);
      metrics.outputRecords.inc({ product: id, topic: outputTopic }, outputs.length);
      let newest = 0;
      for (const ts of publishedAt) {
        this.appendToPublish.observe((ackedAt - ts) / 1000);
        if (ts > newest) newest = ts;
      }
      if (this.eventTimed) {
        newest = 0;
        for (const ts of decision.eventTimes) {
          this.eventToPublish.observe((ackedAt - ts) / 1000);
          if (ts > newest) newest = ts;
        }
      }
      this.signals.lastPublishTs = ackedAt / 1000;
      if (newest > 0) this.signals.lastEventTs = Math.max(this.signals.lastEventTs ?? 0, newest / 1000);
    }
    if (filtered > 0) metrics.filtered.inc({ product: id }, filtered);
    for (const [reason, n] of dlqReasons) metrics.deadLettered.inc({ product: id, reason }, n);
    for (const [reason, n] of invalidReasons) metrics.invalid.inc({ product: id, reason }, n);
    for (const [stage, n] of errorStages) metrics.processingErrors.inc({ product: id, stage }, n);
    for (const [rule, n] of warnings) metrics.qualityWarnings.inc({ product: id, rule }, n);
    if (dlqReasons.size > 0) this.reportDeadLetters(dlqReasons);

    this.batchDuration.observe((performance.now() - startedAt) / 1000);
    if (stop?.kind === 'needs-schema') {
      // An id expired from the unknown-id cache mid-batch: pick the rest up on the next fetch.
      this.rewind(topic, partition, messages[stop.index]!);
    } else if (stop?.kind === 'fail') {
      const at = messages[stop.index]!;
      const offset = at.offset;
      this.rewind(topic, partition, at);
      this.pauseAll();
      const { error } = stop;
      this.setState('failed', `invalid input with onInvalid: fail (reason ${error.reason}) at ${topic}[${partition}]@${offset}`);
      this.log.error({ topic, partition, offset, reason: error.reason, rule: error.rule, field: error.field }, this.stateReason);
      this.deps.onFatal(new DataprodError('PRODUCT_HALTED', `${product.id}: ${this.stateReason}`));
    }
    await heartbeat();
  }

  /**
   * End offsets of the held partitions (idle or paused ones get no batches to tell them), the
   * group's committed offsets once after a join, and the judgement of closed completeness windows.
   */
  private async refreshProgress(afterJoin: boolean): Promise<void> {
    if (this.refreshing || this.assigned.size === 0) return;
    this.refreshing = true;
    const { admin } = this.deps;
    const progress = this.signals.progress;
    const topics = this.product.inputPorts.map((p) => p.topic);
    const held = (topic: string, partition: number) => this.assigned.has(`${topic}:${partition}`);
    try {
      if (afterJoin) {
        for (const { topic, partitions } of await admin.fetchOffsets({ groupId: this.product.consumerGroup, topics })) {
          for (const p of partitions) if (held(topic, p.partition) && Number(p.offset) >= 0) progress.setCommitted(topic, p.partition, Number(p.offset));
        }
      }
      for (const topic of topics) {
        for (const p of await admin.fetchTopicOffsets(topic)) if (held(topic, p.partition)) progress.setEnd(topic, p.partition, Number(p.offset));
      }
      await this.judgeWindows(topics, held);
    } catch (err) {
      this.log.debug({ err: { message: (err as Error).message } }, 'progress refresh failed; lag gauges keep their last values');
    } finally {
      this.refreshing = false;
    }
  }

  private async judgeWindows(topics: string[], held: (topic: string, partition: number) => boolean): Promise<void> {
    const { completeness, progress } = this.signals;
    for (const [start, end] of completeness.closable(progress.watermark(Date.now()))) {
      let appended = 0;
      for (const topic of topics) {
        const from = await this.deps.admin.fetchTopicOffsetsByTimestamp(topic, start);
        const to = await this.deps.admin.fetchTopicOffsetsByTimestamp(topic, end);
        for (const f of from) {
          if (!held(topic, f.partition)) continue;
          const t = to.find((x) => x.partition === f.partition);
          if (t) appended += Math.max(0, Number(t.offset) - Number(f.offset));
        }
      }
      const ratio = completeness.judge(start, appended);
      if (ratio < 1) this.log.warn({ windowStart: new Date(start).toISOString(), appended, ratio }, 'window incomplete: fewer outcomes than records appended');
    }
  }

  /**
   * Dead letters are expected in a healthy stream; a warning per batch would drown the log. One
   * summary per interval, with counts by reason (the metrics have the exact numbers).
   */
  private reportDeadLetters(reasons: Map<DlqReason, number>): void {
    for (const [reason, n] of reasons) bump(this.unreportedDeadLetters, reason, n);
    const now = Date.now();
    const first = this.lastDeadLetterReport === 0;
    if (!first && now - this.lastDeadLetterReport < DEAD_LETTER_REPORT_MS) return;
    this.log.warn(
      {
        deadLettered: Object.fromEntries(this.unreportedDeadLetters),
        ...(first ? {} : { sinceMs: now - this.lastDeadLetterReport }),
        topic: this.product.deadLetter.topic,
      },
      'records dead-lettered',
    );
    this.unreportedDeadLetters.clear();
    this.lastDeadLetterReport = now;
  }

  /** Registry unreachable: no dead-letter, no commit; pause this partition and retry later. */
  private backOff(topic: string, partition: number, at: KafkaMessage, err: Error): void {
    const offset = at.offset;
    const key = `${topic}:${partition}`;
    const attempt = (this.backoffAttempts.get(key) ?? 0) + 1;
    this.backoffAttempts.set(key, attempt);
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (attempt - 1));
    this.deps.metrics.processingErrors.inc({ product: this.product.id, stage: 'registry' });
    this.setState('backing-off', err.message);
    this.log.warn({ topic, partition, offset, attempt, retryInMs: delay, err: { code: (err as DataprodError).code, message: err.message } }, 'schema registry unavailable; partition paused');
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

  private setState(state: ProductState, reason = ''): void {
    const metrics = this.deps.metrics;
    metrics.productUp.set({ product: this.product.id, state: this.stateValue }, 0);
    this.stateValue = state;
    this.stateReason = reason;
    metrics.productUp.set({ product: this.product.id, state }, 1);
  }

  private async checkInputTopics(): Promise<void> {
    const existing = new Set(await this.deps.admin.listTopics());
    const missing = this.product.inputPorts.filter((p) => !existing.has(p.topic));
    if (missing.length > 0) {
      throw new DataprodError(
        'CONFIG_INVALID',
        `${this.product.id}: input topic${missing.length > 1 ? 's' : ''} ${missing.map((p) => p.topic).join(', ')} ` +
          `do${missing.length > 1 ? '' : 'es'} not exist on the cluster (inputPorts ${missing.map((p) => p.name).join(', ')}); create ${missing.length > 1 ? 'them' : 'it'} or fix the topic name`,
      );
    }
  }

  /** Output and dead-letter topics, created with as many partitions as the widest input topic. */
  private async ensureTopics(create: boolean): Promise<void> {
    const { admin } = this.deps;
    const existing = new Set(await admin.listTopics());
    const wanted = [this.product.outputPorts[0]!.topic, this.product.deadLetter.topic].filter((t) => !existing.has(t));
    if (wanted.length === 0) return;
    if (!create) {
      throw new DataprodError(
        'CONFIG_INVALID',
        `${this.product.id}: ${wanted.join(' and ')} do${wanted.length > 1 ? '' : 'es'} not exist and --no-create-topics is set; create ${wanted.length > 1 ? 'them' : 'it'} or drop the flag`,
      );
    }
    const metadata = await admin.fetchTopicMetadata({ topics: this.product.inputPorts.map((p) => p.topic) });
    const partitions = Math.max(1, ...metadata.topics.map((t) => t.partitions.length));
    await admin.createTopics({ waitForLeaders: true, topics: wanted.map((topic) => ({ topic, numPartitions: partitions })) });
    this.log.info({ topics: wanted, partitions }, 'created topics');
  }

  private async ensureOutputSchema(): Promise<number> {
    const port = this.product.outputPorts[0]!;
    const { registry, config } = this.deps;
    if (!config.autoRegister) {
      const found = await registry.lookup(port.subject, port.schema);
      if (!found) {
        throw new DataprodError(
          'CONFIG_INVALID',
          `${this.product.id}: ${port.schemaFile} is not registered under ${port.subject}; run \`dataprod register\` or allow --auto-register`,
        );
      }
      return found.id;
    }
    const registration = await registerOutputSchema(registry, this.product, port);
    if (registration.created) this.log.info({ subject: registration.subject, id: registration.id }, 'registered the output schema');
    return registration.id;
  }

  /** Warns when an input port's reader schema cannot read what upstream registered last. */
  private async checkContracts(): Promise<void> {
    for (const port of this.product.inputPorts) {
      const latest = await this.deps.registry.latest(port.contract.subject);
      if (!latest) {
        this.log.warn({ port: port.name, subject: port.contract.subject }, 'the input contract subject is not registered yet');
        continue;
      }
      const probe = new SchemaCache({ schemaById: async () => latest.schema }, new Map([[port.name, port.contract.schema]]));
      await probe.fetch([latest.id]);
      if (probe.resolve(port.name, latest.id)?.kind !== 'ready') {
        this.log.error(
          { port: port.name, subject: port.contract.subject, version: latest.version, id: latest.id },
          'the reader schema cannot read the latest registered writer schema: its records will be dead-lettered as incompatible-writer-schema',
        );
      }
    }
  }
}

const INPUT_REASONS = new Set<DlqReason>(['not-avro', 'truncated-frame', 'tombstone', 'unknown-schema-id', 'incompatible-writer-schema', 'avro-decode', 'contract', 'quality']);

function isInputError(reason: DlqReason): boolean {
  return INPUT_REASONS.has(reason);
}

function bump<K>(map: Map<K, number>, key: K, n = 1): void {
  map.set(key, (map.get(key) ?? 0) + n);
}
