import type { Logger } from 'pino';
import { createTransactionalProducer, type Admin, type KafkaClient, type Producer, type Sender } from '../kafka/client.js';
import { chunkWrites, type BatchPlan, type PlannedWrite } from '../pipeline/batch-plan.js';

/**
 * Steps 3 and 4 of the batch path (write, then commit): a plan's records reach their topics and
 * the input offsets they cover are committed, under the product's delivery mode. Failure semantics:
 * - nothing here throws; the result says how far the writes were acknowledged and why they stopped;
 * - a commit is attempted only once every write of the plan is acknowledged;
 * - at-least-once: writes go out in sends of at most one record batch's worth, dead letters of a
 *   send before its outputs (a refused dead-letter topic then leaves that send's outputs unwritten),
 *   and `acknowledged` counts the records whose writes all went through, even if a later send or the
 *   commit failed: they were written, and count as written;
 * - exactly-once: the writes and the offsets are one transaction per batch, on a producer of the
 *   batch's input partition; it commits whole (`acknowledged` = records) or aborts (0).
 */

/** Why writes stopped: what the caller does next depends on the kind only. */
export interface WriteFailure {
  /**
   * too-large: a record batch above the topic's max.message.bytes (re-read the limits, plan again);
   * refused: the broker refuses the topic for good until someone acts (config, authorization, deleted topic);
   * fenced: another member owns this input partition now (exactly-once);
   * unavailable: anything else: back off and retry.
   */
  kind: 'too-large' | 'refused' | 'fenced' | 'unavailable';
  /** The topic the refused send was for, when one send wrote one topic. */
  topic: string | undefined;
  /** The broker's error name (e.g. MESSAGE_TOO_LARGE), or the client error's name. */
  type: string;
  cause: unknown;
}

export interface DeliveryResult {
  /** Records of the plan, from the first, whose writes were all acknowledged. */
  acknowledged: number;
  /** The plan's offsets were committed (with its writes, under exactly-once). */
  committed: boolean;
  failure?: WriteFailure;
  /** At-least-once only: the commit after acknowledged writes failed (they stay written). */
  commitError?: unknown;
}

export type CommitOffsets = (offsets: {
  topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
}) => Promise<void>;

export interface Delivery {
  /**
   * Makes sure this member may write for the partition before a batch is decided. Returns the
   * group's committed offset when ownership was just (re)claimed, so records below it, written by
   * the previous owner, are skipped; undefined otherwise.
   */
  claim(topic: string, partition: number): Promise<string | undefined>;
  deliver(plan: BatchPlan, commit: CommitOffsets): Promise<DeliveryResult>;
  /** The group's assignment changed: per-partition state of the previous one is dropped. */
  reassigned(): void;
  close(): Promise<void>;
}

/** Largest send, in record bytes: below the smallest max.message.bytes of the written topics. */
export type SendBudget = () => number;

/** At-least-once on the process's shared idempotent producer; the consumer commits after the writes. */
export class AtLeastOnceDelivery implements Delivery {
  constructor(
    private readonly producer: Producer,
    private readonly sendBudget: SendBudget,
  ) {}

  async claim(): Promise<undefined> {
    return undefined;
  }

  async deliver(plan: BatchPlan, commit: CommitOffsets): Promise<DeliveryResult> {
    const chunks = chunkWrites(plan.writes, this.sendBudget());
    for (let c = 0; c < chunks.length; c++) {
      const failure = await sendChunk(this.producer, chunks[c]!, plan.deadLetterTopic);
      if (failure) return { acknowledged: chunks[c]![0]!.source, committed: false, failure };
    }
    if (plan.commitOffset === undefined) return { acknowledged: plan.records, committed: false };
    try {
      await commit(offsetsOf(plan));
      return { acknowledged: plan.records, committed: true };
    } catch (err) {
      return { acknowledged: plan.records, committed: false, commitError: err };
    }
  }

  reassigned(): void {}

  async close(): Promise<void> {}
}

/**
 * Exactly-once: one transactional producer per input partition, `<group>.<topic>.<partition>`.
 * kafkajs's sendOffsets carries no group generation (no KIP-447), so a stale member is fenced
 * through the transactional id instead: creating the producer (InitProducerId) bumps the id's epoch
 * and aborts or completes whatever the previous owner had open; only then is the committed offset
 * read, so it includes everything the previous owner committed and nothing it can commit later.
 * A fenced member stops writing for the partition until the group assigns it again.
 */
export class ExactlyOnceDelivery implements Delivery {
  private readonly producers = new Map<string, Promise<Producer>>();
  private readonly fenced = new Set<string>();

  constructor(
    private readonly kafka: KafkaClient,
    private readonly admin: Admin,
    private readonly groupId: string,
    private readonly sendBudget: SendBudget,
    private readonly log: Logger,
  ) {}

  async claim(topic: string, partition: number): Promise<string | undefined> {
    const key = `${topic}:${partition}`;
    if (this.fenced.has(key) || this.producers.has(key)) return undefined;
    const creating = (async () => {
      const producer = createTransactionalProducer(this.kafka, `${this.groupId}.${topic}.${partition}`);
      try {
        await producer.connect();
        // kafkajs sends the transactional InitProducerId (the fence) at the first transaction(), not
        // at connect(); an empty transaction aborted at once sends nothing else.
        const tx = await producer.transaction();
        await tx.abort();
      } catch (err) {
        await producer.disconnect().catch(() => undefined);
        throw err;
      }
      return producer;
    })();
    this.producers.set(key, creating);
    try {
      await creating;
    } catch (err) {
      this.producers.delete(key);
      throw err;
    }
    const [offsets] = await this.admin.fetchOffsets({ groupId: this.groupId, topics: [topic] });
    const committed = offsets?.partitions.find((p) => p.partition === partition)?.offset;
    this.log.info({ topic, partition, committed }, 'claimed the partition for exactly-once writes');
    return committed !== undefined && Number(committed) >= 0 ? committed : undefined;
  }

  async deliver(plan: BatchPlan): Promise<DeliveryResult> {
    const key = `${plan.topic}:${plan.partition}`;
    const entry = this.fenced.has(key) ? undefined : this.producers.get(key);
    const producer = await entry;
    if (!entry || !producer) {
      return { acknowledged: 0, committed: false, failure: { kind: 'fenced', topic: undefined, type: 'NOT_CLAIMED', cause: undefined } };
    }
    if (plan.commitOffset === undefined) return { acknowledged: 0, committed: false };
    const tx = await producer.transaction().catch((err: unknown) => err as Error);
    if (tx instanceof Error) return this.failed(key, entry, producer, classifyWriteError(tx, undefined));
    for (const chunk of chunkWrites(plan.writes, this.sendBudget())) {
      const failure = await sendChunk(tx, chunk, plan.deadLetterTopic);
      if (failure) {
        await tx.abort().catch(() => undefined);
        return this.failed(key, entry, producer, failure);
      }
    }
    try {
      await tx.sendOffsets({ consumerGroupId: this.groupId, topics: offsetsOf(plan).topics });
      await tx.commit();
    } catch (err) {
      await tx.abort().catch(() => undefined);
      return this.failed(key, entry, producer, classifyWriteError(err, undefined));
    }
    return { acknowledged: plan.records, committed: true };
  }

  reassigned(): void {
    this.fenced.clear();
    const old = [...this.producers.values()];
    this.producers.clear();
    for (const p of old) void p.then((producer) => producer.disconnect()).catch(() => undefined);
  }

  async close(): Promise<void> {
    const old = [...this.producers.values()];
    this.producers.clear();
    await Promise.all(old.map((p) => p.then((producer) => producer.disconnect()).catch(() => undefined)));
  }

  /**
   * After a failed transaction the producer is dropped: the next batch claims the partition anew.
   * A group join may have replaced the entry meanwhile: then the new one and its state stay.
   */
  private failed(key: string, entry: Promise<Producer>, producer: Producer, failure: WriteFailure): DeliveryResult {
    void producer.disconnect().catch(() => undefined);
    if (this.producers.get(key) !== entry) return { acknowledged: 0, committed: false, failure };
    this.producers.delete(key);
    if (failure.kind === 'fenced') {
      this.fenced.add(key);
      this.log.warn(
        { partition: key },
        'fenced: another member owns this input partition now; writing nothing for it until the group assigns it again',
      );
    }
    return { acknowledged: 0, committed: false, failure };
  }
}

/**
 * One send per topic, dead letters first: a refused topic is named, and a refused dead-letter
 * topic leaves the chunk's outputs unwritten.
 */
async function sendChunk(sender: Sender, chunk: readonly PlannedWrite[], deadLetterTopic: string): Promise<WriteFailure | undefined> {
  const byTopic = new Map<string, PlannedWrite['record'][]>([[deadLetterTopic, []]]);
  for (const w of chunk) {
    const list = byTopic.get(w.topic);
    if (list) list.push(w.record);
    else byTopic.set(w.topic, [w.record]);
  }
  for (const [topic, messages] of byTopic) {
    if (messages.length === 0) continue;
    try {
      await sender.sendBatch({ topicMessages: [{ topic, messages }], acks: -1 });
    } catch (err) {
      return classifyWriteError(err, topic);
    }
  }
  return undefined;
}

function offsetsOf(plan: BatchPlan) {
  return { topics: [{ topic: plan.topic, partitions: [{ partition: plan.partition, offset: plan.commitOffset! }] }] };
}

const FENCED = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_PRODUCER_ID_MAPPING']);
const TOO_LARGE = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE']);
/** Retriable to the client, but a topic deleted while we write stays missing: the product must block. */
const MISSING = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_ID']);

interface ClientError {
  name?: string;
  type?: string;
  code?: number;
  retriable?: boolean;
  cause?: unknown;
  errors?: unknown[];
}

/**
 * Names a failed send from the Kafka client's error: the innermost broker error type found through
 * `cause` and aggregated `errors`, then its kind. Kafka's PRODUCER_FENCED (code 90) is unknown to
 * kafkajs's table, hence the code check.
 */
export function classifyWriteError(err: unknown, topic: string | undefined): WriteFailure {
  const seen = new Set<unknown>();
  let found: ClientError | undefined;
  const visit = (e: unknown): void => {
    if (!e || typeof e !== 'object' || seen.has(e)) return;
    seen.add(e);
    const ce = e as ClientError;
    if (ce.type !== undefined && (found === undefined || found.type === 'UNKNOWN') && found?.type !== 'PRODUCER_FENCED') found = ce;
    // kafkajs's table lacks PRODUCER_FENCED (90): it reports 'Unknown error code 90'.
    if (ce.code === 90 || (ce.type === 'KAFKAJS_UNKNOWN_ERROR_CODE' && /\berror code 90\b/.test(String((e as Error).message))))
      found = { ...ce, type: 'PRODUCER_FENCED' };
    visit(ce.cause);
    for (const inner of ce.errors ?? []) visit(inner);
  };
  visit(err);
  const type = found?.type ?? (err as ClientError)?.name ?? 'Error';
  let kind: WriteFailure['kind'] = 'unavailable';
  if (FENCED.has(type)) kind = 'fenced';
  else if (TOO_LARGE.has(type)) kind = 'too-large';
  else if (MISSING.has(type) || (found !== undefined && found.retriable === false)) kind = 'refused';
  return { kind, topic, type, cause: err };
}
