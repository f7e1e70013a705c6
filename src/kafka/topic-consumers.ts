/**
 * Who reads a topic: the consumer groups that committed offsets on it, found with the admin API
 * (list groups, fetch each group's offsets on the topic, describe the ones that did). Used by
 * `dataprod check` to warn that a retired product's topic still has readers.
 */
import type { Admin } from 'kafkajs';
import type { KafkaConnection } from '../config/runtime.js';
import { createLogger } from '../observability/logger.js';
import { createKafka } from './client.js';

export interface TopicConsumerGroup {
  group: string;
  /** The group's state as the coordinator says: Stable (members reading), Empty (offsets only), ... */
  state: string;
  members: number;
  /** Partitions of the topic with a committed offset. */
  partitions: number;
}

/** How many groups are asked for offsets at once: one request per group, so a cluster with thousands stays bounded. */
const CONCURRENCY = 16;

/** The consumer groups with committed offsets on `topic`, Stable ones first; `ignore` leaves some out (our own). */
export async function consumerGroupsOn(admin: Admin, topic: string, ignore: readonly string[] = []): Promise<TopicConsumerGroup[]> {
  const { groups } = await admin.listGroups();
  const candidates = groups.filter((g) => (g.protocolType === 'consumer' || g.protocolType === '') && !ignore.includes(g.groupId));
  const reading: { group: string; partitions: number }[] = [];
  for (let i = 0; i < candidates.length; i += CONCURRENCY) {
    const batch = candidates.slice(i, i + CONCURRENCY);
    const offsets = await Promise.all(batch.map((g) => admin.fetchOffsets({ groupId: g.groupId, topics: [topic] })));
    offsets.forEach((topics, j) => {
      const committed = topics.flatMap((t) => t.partitions).filter((p) => Number(p.offset) >= 0).length;
      if (committed > 0) reading.push({ group: batch[j]!.groupId, partitions: committed });
    });
  }
  if (reading.length === 0) return [];
  const { groups: described } = await admin.describeGroups(reading.map((r) => r.group));
  return reading
    .map((r) => {
      const d = described.find((g) => g.groupId === r.group);
      return { group: r.group, state: d?.state ?? 'Unknown', members: d?.members.length ?? 0, partitions: r.partitions };
    })
    .sort((a, b) => Number(b.state === 'Stable') - Number(a.state === 'Stable') || a.group.localeCompare(b.group));
}

/** An admin connection for consumerGroupsOn, for a command that runs once (`dataprod check`); close() when done. */
export async function openTopicReaders(connection: KafkaConnection) {
  const admin = createKafka(connection, createLogger('error')).admin();
  await admin.connect();
  return { consumersOf: (topic: string) => consumerGroupsOn(admin, topic), close: () => admin.disconnect() };
}
