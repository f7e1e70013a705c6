import { createRequire } from 'node:module';
import type { KafkaClient } from './client.js';

/**
 * Reads the first data record at or after an offset of a partition, without joining a consumer
 * group: how a replica learns the broker timestamp of the oldest record its group has not
 * committed on a partition it does not hold (the group's lag in seconds). kafkajs reads records
 * only through a consumer group, whose member would fetch every partition continuously and cost a
 * join; one Fetch request (no wait) to the partition's leader costs a round trip. So this uses
 * kafkajs's own cluster and record decoding (kafkajs is pinned at 2.2.4 and patched, and
 * test/integration/group-lag-seconds.test.ts reads through it against the real broker).
 *
 * Read committed: records of open or aborted transactions and control records (transaction
 * markers) are never returned, as the product's consumer never sees them.
 */
export interface RecordPeek {
  /**
   * The first data record at or after `from`, reading at most `maxFetches` fetches, or, when
   * none was found, the offset the read reached: every offset in [from, next) holds a control
   * record or an aborted one (next === from when nothing readable follows `from`). `fetches`:
   * how many it took.
   */
  firstDataRecord(topic: string, partition: number, from: number, maxFetches: number): Promise<PeekResult>;
  /** Closes the connection for good: later reads fail instead of reconnecting. */
  disconnect(): Promise<void>;
}

export type PeekResult = ({ offset: number; timestamp: number } | { next: number }) & { fetches: number };

interface FetchedBatch {
  messages: { offset: string; timestamp: string }[];
  isEmptyIncludingFiltered(): boolean;
  lastOffset(): string;
}

interface Cluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  addTargetTopic(topic: string): Promise<void>;
  refreshMetadata(): Promise<void>;
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>;
  findBroker(query: { nodeId: string }): Promise<{
    fetch(request: unknown): Promise<{ responses: { topicName: string; partitions: { partition: number }[] }[] }>;
  }>;
}

const require = createRequire(import.meta.url);
// kafkajs's decoding of one fetched partition: drops records below the fetch offset, aborted
// transactional records (with the ordering fix of patches/kafkajs+2.2.4.patch) and control records.
const Batch = require('kafkajs/src/consumer/batch') as new (topic: string, fetchedOffset: string, partitionData: unknown) => FetchedBatch;
const READ_COMMITTED = 1;
/** Per fetch: the broker still returns a whole first record batch when it is larger. */
const FETCH_MAX_BYTES = 64 * 1024;

/** A cluster with the client's brokers, TLS, SASL and retry settings (kafkajs keeps its factory private). */
function createCluster(kafka: KafkaClient): Cluster {
  const factory = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster');
  if (!factory)
    throw new Error('kafkajs no longer has its cluster factory: src/kafka/record-peek.ts needs updating for this kafkajs version');
  const create = (kafka as unknown as Record<symbol, (options: object) => Cluster>)[factory]!;
  return create.call(kafka, { allowAutoTopicCreation: false, isolationLevel: READ_COMMITTED });
}

export function createRecordPeek(kafka: KafkaClient): RecordPeek {
  let cluster: Promise<Cluster> | undefined;
  // Once disconnected for good, a read still in flight must not open a new connection (it would
  // outlive the worker and keep its process alive).
  let closed = false;
  const connected = () => {
    if (closed) return Promise.reject(new Error('the record peek is closed'));
    return (cluster ??= (async () => {
      const c = createCluster(kafka);
      await c.connect();
      return c;
    })().catch((err: unknown) => {
      cluster = undefined;
      throw err;
    }));
  };

  const fetchFrom = async (topic: string, partition: number, offset: number): Promise<FetchedBatch> => {
    const c = await connected();
    try {
      await c.addTargetTopic(topic);
      const [nodeId] = Object.keys(c.findLeaderForPartitions(topic, [partition]));
      if (nodeId === undefined) throw new Error(`no leader known for ${topic}[${partition}]`);
      const broker = await c.findBroker({ nodeId });
      const { responses } = await broker.fetch({
        replicaId: -1,
        isolationLevel: READ_COMMITTED,
        maxWaitTime: 0,
        minBytes: 1,
        maxBytes: FETCH_MAX_BYTES,
        topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes: FETCH_MAX_BYTES }] }],
      });
      const data = responses.find((r) => r.topicName === topic)?.partitions.find((p) => p.partition === partition);
      if (!data) throw new Error(`the fetch of ${topic}[${partition}] returned no data for the partition`);
      return new Batch(topic, String(offset), data);
    } catch (err) {
      // A moved leader or a deleted topic: the next read starts from fresh metadata.
      await c.refreshMetadata().catch(() => undefined);
      throw err;
    }
  };

  return {
    async firstDataRecord(topic, partition, from, maxFetches) {
      let next = from;
      let fetches = 0;
      while (fetches < maxFetches) {
        const batch = await fetchFrom(topic, partition, next);
        fetches++;
        const first = batch.messages[0];
        if (first) return { offset: Number(first.offset), timestamp: Number(first.timestamp), fetches };
        // Nothing readable at or after `next` (up to the last stable offset).
        if (batch.isEmptyIncludingFiltered()) break;
        next = Number(batch.lastOffset()) + 1;
      }
      return { next, fetches };
    },
    async disconnect() {
      closed = true;
      const c = cluster;
      cluster = undefined;
      if (c) await (await c.catch(() => undefined))?.disconnect();
    },
  };
}
