import { randomBytes } from 'node:crypto';
import type { KafkaClient, KafkaMessage } from './client.js';

/** What a lookup table does with the records of its topic. */
export interface TableConsumerHandlers {
  /**
   * Records of one partition, in offset order, and the partition's end offset as the fetch saw it;
   * the next batch of that partition waits for it.
   */
  apply(partition: number, messages: readonly KafkaMessage[], highWatermark: string): Promise<void>;
  /**
   * A partition was read up to `lastOffset`, after `apply` (also for a batch that held only
   * transaction markers or aborted records, which `apply` never sees).
   */
  advanced(partition: number, lastOffset: string, highWatermark: string): void;
  onCrash(error: Error): void;
}

export interface TableConsumer {
  start(): Promise<void>;
  disconnect(): Promise<void>;
}

/**
 * Reads a whole topic, every partition, from the earliest offset: global-table semantics. kafkajs
 * only reads through a consumer group, so each table of each process gets a group of its own
 * (`<prefix>.<random>`): alone in it, it is assigned every partition. It never commits, so the
 * broker forgets the group once it is empty, and a restart reads the topic again from the start.
 */
export function createTableConsumer(
  kafka: KafkaClient,
  topic: string,
  groupPrefix: string,
  handlers: TableConsumerHandlers,
): TableConsumer {
  const consumer = kafka.consumer({
    groupId: `${groupPrefix}.${randomBytes(6).toString('hex')}`,
    allowAutoTopicCreation: false,
    // Alone in its group: no peer to wait for at a join.
    rebalanceTimeout: 10_000,
  });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    handlers.advanced(payload.partition, payload.lastOffset, payload.highWatermark);
  });
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!payload.restart) handlers.onCrash(payload.error);
  });
  return {
    async start() {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        partitionsConsumedConcurrently: 1,
        eachBatch: async ({ batch }) => handlers.apply(batch.partition, batch.messages, batch.highWatermark),
      });
    },
    disconnect: () => consumer.disconnect(),
  };
}
