import { randomUUID } from 'node:crypto';
import type { Admin, KafkaClient, KafkaMessage } from './client.js';

/**
 * Reads a topic once, from a consumer group's committed offsets (or the earliest retained ones) up
 * to the end offsets it had when the read began, then stops: what the dead-letter commands need.
 * Records appended meanwhile (live dead letters, the replay's own writes) are left for the next
 * read. Read read_committed (kafkajs's default), so aborted transactional writes are never seen;
 * a partition whose last offsets are transaction markers is done once the consumer has passed them.
 * One reader per group at a time: a second member would take partitions this read then waits for.
 * A window (ReadWindow) narrows the read to offsets, partitions or a start time; a window that moves
 * the start seeks there, so a read of a large topic fetches only its range: it is for a throwaway
 * group (one of the reader's own that commits nothing), never a group that resumes.
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
  /** Records fetched below the end offsets: with a window, the records in it. */
  read: number;
  /** Records between the start and end offsets (transaction markers included, so an upper bound). */
  total: number;
}

export interface ReadResult extends ReadProgress {
  /** What the read covered: each partition read, from its start to its end offset (exclusive). */
  ranges: { partition: number; from: string; to: string }[];
}

export interface TopicReadOptions {
  topic: string;
  /**
   * The reader's consumer group. `resume`: this group, from its committed offsets, committing the
   * end offsets once every partition is done. `throwaway`: a new group named from this prefix,
   * which commits nothing and is deleted after the read (so it does not clutter the group list).
   */
  group: { resume: string } | { throwaway: string };
  sessionTimeoutMs: number;
  onProgress?: (progress: ReadProgress) => void;
  window?: ReadWindow;
}

/** What to read of the topic, within its retained offsets and its end offsets when the read began. */
export interface ReadWindow {
  /** Only these partitions; every partition when undefined. */
  partitions?: ReadonlySet<number>;
  /** Inclusive first offset of a partition (undefined: from the start). */
  from?: (partition: number) => bigint | undefined;
  /** Exclusive last offset of a partition (undefined: to the end). */
  to?: (partition: number) => bigint | undefined;
  /** Start at each partition's first record with a timestamp at or after this (ms), by the broker's time index. */
  sinceMs?: number;
  /** Start at this group's committed offsets, not the reader group's own (a dry run starts where the replay group is). */
  startGroup?: string;
}

export interface PartitionOffsets {
  partition: number;
  /** Earliest retained offset. */
  low: bigint;
  /** End offset (the next offset to be written). */
  high: bigint;
}

export interface ReadBound {
  start: bigint;
  end: bigint;
}

/**
 * Start and end offset of each partition that has something to read (pure). The start is the
 * latest of the earliest retained offset, the committed one (of the reader's group, or the
 * window's startGroup), the window's `from` and the first offset at or after `sinceMs`
 * (`sinceOffsets`: the broker gives the end offset when no record is that late); the end is the
 * earlier of the end offset and the window's `to`.
 */
export function readBounds(
  offsets: readonly PartitionOffsets[],
  committed: ReadonlyMap<number, bigint>,
  window: ReadWindow = {},
  sinceOffsets: ReadonlyMap<number, bigint> = new Map(),
): Map<number, ReadBound> {
  const out = new Map<number, ReadBound>();
  for (const { partition, low, high } of offsets) {
    if (window.partitions && !window.partitions.has(partition)) continue;
    const starts = [low, committed.get(partition), window.from?.(partition), sinceOffsets.get(partition)];
    const start = starts.reduce<bigint>((max, s) => (s !== undefined && s > max ? s : max), low);
    const to = window.to?.(partition);
    const end = to !== undefined && to < high ? to : high;
    if (start < end) out.set(partition, { start, end });
  }
  return out;
}

/** A window that moves the start away from where the reader's group would begin by itself. */
const seeks = (window: ReadWindow | undefined) =>
  window !== undefined &&
  (window.partitions !== undefined || window.from !== undefined || window.sinceMs !== undefined || window.startGroup !== undefined);

/** The bounds to read, and every partition's end offset (where a partition left out is moved to). */
async function bounds(
  admin: Admin,
  topic: string,
  groupId: string,
  window: ReadWindow | undefined,
): Promise<{ pending: Map<number, ReadBound>; highs: Map<number, bigint> }> {
  const offsets = (await admin.fetchTopicOffsets(topic)).map((p) => ({ partition: p.partition, low: BigInt(p.low), high: BigInt(p.high) }));
  const [committed] = await admin.fetchOffsets({ groupId: window?.startGroup ?? groupId, topics: [topic] });
  const byPartition = new Map(
    (committed?.partitions ?? []).filter((p) => Number(p.offset) >= 0).map((p) => [p.partition, BigInt(p.offset)] as const),
  );
  const since =
    window?.sinceMs === undefined
      ? undefined
      : new Map((await admin.fetchTopicOffsetsByTimestamp(topic, window.sinceMs)).map((p) => [p.partition, BigInt(p.offset)] as const));
  return { pending: readBounds(offsets, byPartition, window, since), highs: new Map(offsets.map((p) => [p.partition, p.high])) };
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
): Promise<ReadResult> {
  const { group } = options;
  const throwaway = 'throwaway' in group;
  if (!throwaway && seeks(options.window)) throw new Error(`a window that moves the start needs a throwaway group, not ${group.resume}`);
  const groupId = throwaway ? `${group.throwaway}.${randomUUID()}` : group.resume;
  try {
    return await readWithGroup(kafka, admin, { ...options, groupId, commitEnd: !throwaway }, handle);
  } finally {
    if (throwaway) await admin.deleteGroups([groupId]).catch(() => undefined);
  }
}

/** readTopicOnce on the group it named: `commitEnd` for a group that resumes. */
async function readWithGroup(
  kafka: KafkaClient,
  admin: Admin,
  options: TopicReadOptions & { groupId: string; commitEnd: boolean },
  handle: (batch: TopicBatch) => Promise<void>,
): Promise<ReadResult> {
  const { topic, groupId } = options;
  const { pending, highs } = await bounds(admin, topic, groupId, options.window);
  const progress: ReadProgress = { read: 0, total: [...pending.values()].reduce((n, b) => n + Number(b.end - b.start), 0) };
  const ranges = [...pending].sort(([a], [b]) => a - b).map(([partition, b]) => ({ partition, from: String(b.start), to: String(b.end) }));
  if (pending.size === 0) return { ...progress, ranges };
  // `pending` loses each partition as it reaches its end; the window stays.
  const window = new Map(pending);

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
  // Seeks are queued on joining, before the first fetch; a partition outside the window is moved
  // to its end so nothing of it is fetched. On a re-join the window starts over: nothing was committed.
  if (seeks(options.window)) {
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      for (const partition of payload.memberAssignment[topic] ?? []) {
        const offset = window.get(partition)?.start ?? highs.get(partition);
        if (offset !== undefined) consumer.seek({ topic, partition, offset: String(offset) });
      }
    });
  }
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
        const { start, end } = window.get(batch.partition) ?? { start: 0n, end: 0n };
        // Counted as fetched, handled only within the window: a read that did not seek shows in `read`.
        let fetched = 0;
        const messages: KafkaMessage[] = [];
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset >= end) break;
          fetched++;
          if (offset >= start) messages.push(m);
        }
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
        }
        if (fetched > 0) {
          progress.read += fetched;
          options.onProgress?.(progress);
        }
        resolveOffset(batch.lastOffset());
        await heartbeat();
      },
    });
    await finished;
    if (options.commitEnd) {
      await consumer.commitOffsets([...window].map(([partition, { end }]) => ({ topic, partition, offset: String(end) })));
    }
    return { ...progress, ranges };
  } finally {
    await consumer.disconnect().catch(() => undefined);
  }
}
