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
}

/**
 * A product's consumer: its own group, no topic auto-creation, heartbeats at a tenth of the session
 * timeout, manual commits (the batch path commits after its writes), inputs read read_committed
 * (kafkajs's default), batches of up to --partitions-concurrently partitions at once.
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
    sessionTimeout: config.sessionTimeoutMs,
    heartbeatInterval: Math.max(500, Math.floor(config.sessionTimeoutMs / 10)),
    retry: { retries: 5, restartOnFailure: async (error) => handlers.onRestart(error) },
  });
  consumer.on(consumer.events.GROUP_JOIN, (event) => handlers.onJoin(event.payload.memberAssignment, event.payload.memberId));
  consumer.on(consumer.events.CRASH, (event) => {
    if (!event.payload.restart) handlers.onCrash(event.payload.error);
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
    disconnect: () => consumer.disconnect(),
  };
}
