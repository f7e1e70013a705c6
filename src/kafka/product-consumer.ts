import type { RuntimeConfig } from '../config/runtime.js';
import type { ProductDescriptor } from '../product/types.js';
import type { EachBatchPayload, KafkaClient } from './client.js';

/** What a product worker does with its consumer: everything else stays inside this file. */
export interface ProductConsumer {
  /** Connects, subscribes to every input topic from the earliest offset, and starts the batch loop. */
  start(): Promise<void>;
  pause(topics: { topic: string; partitions?: number[] }[]): void;
  resume(topics: { topic: string; partitions?: number[] }[]): void;
  seek(position: { topic: string; partition: number; offset: string }): void;
  /** Commits offsets outside a batch (in the group's current generation). */
  commit(offsets: { topic: string; partition: number; offset: string }[]): Promise<void>;
  /** Stops fetching, waits for the batches in flight, leaves the group. */
  disconnect(): Promise<void>;
}

export interface ProductConsumerHandlers {
  /** A failure kafkajs would restart the consumer after; true lets it. */
  onRestart(error: Error): boolean;
  onJoin(assignment: Record<string, number[]>, memberId: string): void;
  /** The consumer crashed and will not be restarted. */
  onCrash(error: Error): void;
  eachBatch(payload: EachBatchPayload): Promise<void>;
  /** A fetch of only transaction markers or aborted records: kafkajs skips it without eachBatch. */
  onFilteredFetch(fetch: FilteredFetch): void;
}

export interface FilteredFetch {
  topic: string;
  partition: number;
  /** First and last offset of the records fetched, all filtered out. */
  firstOffset: string;
  lastOffset: string;
}

/**
 * A product's consumer: its own group, no topic auto-creation, heartbeats at a tenth of the session
 * timeout, manual commits (the batch path commits after its writes), inputs read read_committed
 * (kafkajs's default), batches of up to --partitions-concurrently partitions at once, each of at most
 * --max-partition-fetch-bytes.
 */
export function createProductConsumer(
  kafka: KafkaClient,
  product: ProductDescriptor,
  config: Readonly<RuntimeConfig>,
  handlers: ProductConsumerHandlers,
): ProductConsumer {
  const consumer = kafka.consumer({
    groupId: product.consumerGroup,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: config.maxPartitionFetchBytes,
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(config.sessionTimeoutMs / 10)),
    retry: { retries: 5, restartOnFailure: async (error) => handlers.onRestart(error) },
  });
  consumer.on(consumer.events.GROUP_JOIN, (event) => handlers.onJoin(event.payload.memberAssignment, event.payload.memberId));
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) handlers.onCrash(event.payload.error);
  });
  // kafkajs reports such fetches only through its instrumentation events, as batches of 0 records.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.batchSize === 0 && payload.firstOffset !== null)
      handlers.onFilteredFetch({
        topic: payload.topic,
        partition: payload.partition,
        firstOffset: payload.firstOffset,
        lastOffset: payload.lastOffset,
      });
  });
  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: product.inputPorts.map((p) => p.topic), fromBeginning: true });
      await consumer.run({
        // Batches of different partitions overlap (one waits for its produce acknowledgement while
        // another is decided); kafkajs still hands one partition's batches over one at a time.
        partitionsConsumedConcurrently: config.partitionsConcurrently,
        autoCommit: false,
        eachBatchAutoResolve: false,
        eachBatch: handlers.eachBatch,
      });
    },
    pause: (topics) => consumer.pause(topics),
    resume: (topics) => consumer.resume(topics),
    seek: (position) => consumer.seek(position),
    commit: (offsets) => consumer.commitOffsets(offsets),
    disconnect: () => consumer.disconnect(),
  };
}
