import type { Admin, KafkaClient, KafkaMessage } from './client.js';

/**
 * Reads a topic once, from a consumer group's committed offsets (or the earliest retained ones) up
 * to the end offsets it had when the read began, then stops: what the dead-letter commands need.
 * Records appended meanwhile (live dead letters, the replay's own writes) are left for the next
 * read. Read read_committed (kafkajs's default), so aborted transactional writes are never seen;
 * a partition whose last offsets are transaction markers is done once the consumer has passed them.
 * One reader per group at a time: a second member would take partitions this read then waits for.
 */

export interface TopicBatch {
  partition: number;
  /** Records below the end offset, in offset order; never empty. */
  messages: KafkaMessage[];
  /** The offset after this batch (past trailing transaction markers, never past the end). */
  nextOffset: string;
  heartbeat(): Promise<void>;
  /** Commits an offset of this partition on the reader's group (outside any transaction). */
  commit(offset: string): Promise<void>;
}

export interface ReadProgress {
  read: number;
  /** Records between the start and end offsets (transaction markers included, so an upper bound). */
  total: number;
}

export interface TopicReadOptions {
  topic: string;
  groupId: string;
  /** Commit the end offsets of the partitions read once every partition is done. */
  commitEnd: boolean;
  sessionTimeoutMs: number;
  onProgress?: (progress: ReadProgress) => void;
}

/** Start and end offset of each partition that has something to read. */
async function bounds(admin: Admin, topic: string, groupId: string): Promise<Map<number, { start: bigint; end: bigint }>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const out = new Map<number, { start: bigint; end: bigint }>();
  for (const p of offsets) {
    const low = BigInt(p.low);
    const end = BigInt(p.high);
    const c = committed?.partitions.find((x) => x.partition === p.partition)?.offset;
    const start = c !== undefined && Number(c) >= 0 && BigInt(c) > low ? BigInt(c) : low;
    if (start < end) out.set(p.partition, { start, end });
  }
  return out;
}

/**
 * Calls `handle` for each batch, one at a time, and resolves with the records read once every
 * partition reached its end. A handler that throws stops the read: the promise rejects with its
 * error, and nothing after the last offset the handler committed is committed.
 */
export async function readTopicOnce(
  kafka: KafkaClient,
  admin: Admin,
  options: TopicReadOptions,
  handle: (batch: TopicBatch) => Promise<void>,
): Promise<ReadProgress> {
  const { topic, groupId } = options;
  const pending = await bounds(admin, topic, groupId);
  const progress: ReadProgress = { read: 0, total: [...pending.values()].reduce((n, b) => n + Number(b.end - b.start), 0) };
  if (pending.size === 0) return progress;
  const ends = new Map([...pending].map(([p, b]) => [p, b.end]));

  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(options.sessionTimeoutMs / 10)),
    retry: { retries: 5 },
  });
  let failed: unknown;
  let settle!: { resolve: () => void; reject: (err: unknown) => void };
  const finished = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const reached = (partition: number, lastOffset: string) => {
    const end = pending.get(partition)?.end;
    if (end === undefined || BigInt(lastOffset) + 1n < end) return;
    pending.delete(partition);
    if (pending.size === 0) settle.resolve();
  };
  // After every batch, control-only ones included: how a partition that ends in markers is done.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.topic === topic && failed === undefined) reached(payload.partition, payload.lastOffset);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) settle.reject(payload.error);
  });

  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, heartbeat, resolveOffset, isRunning, isStale }) => {
        if (failed !== undefined || !isRunning() || isStale()) return;
        const end = ends.get(batch.partition) ?? 0n;
        const messages = batch.messages.filter((m) => BigInt(m.offset) < end);
        const last = BigInt(batch.lastOffset()) + 1n;
        if (messages.length > 0) {
          try {
            await handle({
              partition: batch.partition,
              messages,
              nextOffset: String(last < end ? last : end),
              heartbeat,
              commit: (offset) => consumer.commitOffsets([{ topic, partition: batch.partition, offset }]),
            });
          } catch (err) {
            failed = err;
            consumer.pause([{ topic }]);
            settle.reject(err);
            return;
          }
          progress.read += messages.length;
          options.onProgress?.(progress);
        }
        resolveOffset(batch.lastOffset());
        await heartbeat();
      },
    });
    await finished;
    if (options.commitEnd) {
      await consumer.commitOffsets([...ends].map(([partition, end]) => ({ topic, partition, offset: String(end) })));
    }
    return progress;
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
