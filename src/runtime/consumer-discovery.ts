/**
 * Discovers who reads a product topic, with the admin API only (no consumer joins anything): list
 * the cluster's groups, fetch each one's committed offsets on the topic, keep those that have any,
 * describe them (state, members), and compare with the topic's end offsets for their lag. Runs at
 * start and every `intervalMs`, one discovery at a time. A group whose offsets cannot be read (it
 * is being deleted, its coordinator moves) is left out of that discovery; a discovery that fails
 * whole keeps the last reading (../observability/consumer-groups.ts holds it) and is logged at
 * warn when it follows a success, at debug while failures go on.
 *
 * Cost per discovery: one ListGroups per broker, one OffsetFetch per group in the cluster, one
 * DescribeGroups and one ListOffsets. Every worker replica of a product discovers on its own.
 */
import type { Logger } from 'pino';
import type { Admin } from '../kafka/client.js';
import type { GroupReading, ProductConsumers } from '../observability/consumer-groups.js';

/** Every group with a committed offset on `topic`, with its lag against the end offsets read now. */
export async function readTopicConsumers(admin: Admin, topic: string): Promise<GroupReading[]> {
  const { groups } = await admin.listGroups();
  const readings: GroupReading[] = [];
  for (const { groupId } of groups) {
    const offsets = await admin.fetchOffsets({ groupId, topics: [topic] }).then(
      ([forTopic]) => forTopic,
      () => undefined,
    );
    const committed = new Map<number, number>();
    for (const p of offsets?.partitions ?? []) if (Number(p.offset) >= 0) committed.set(p.partition, Number(p.offset));
    if (committed.size > 0) readings.push({ group: groupId, committed, lagRecords: 0 });
  }
  if (readings.length === 0) return readings;
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
  // State and members are extras: without them the readings still stand.
  const described = new Map(
    (await admin.describeGroups(readings.map((r) => r.group)).catch(() => ({ groups: [] }))).groups.map((g) => [g.groupId, g]),
  );
  for (const r of readings) {
    for (const [partition, offset] of r.committed) r.lagRecords += Math.max(0, (ends.get(partition) ?? offset) - offset);
    const d = described.get(r.group);
    if (d) {
      r.state = d.state;
      r.members = d.members.length;
    }
  }
  return readings;
}

export class ConsumerDiscovery {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private failing = false;

  constructor(
    private readonly admin: Admin,
    private readonly consumers: ProductConsumers,
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.discover();
    this.timer = setInterval(() => void this.discover(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async discover(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      this.consumers.update(Date.now(), await readTopicConsumers(this.admin, this.consumers.topic));
      this.failing = false;
    } catch (err) {
      this.log[this.failing ? 'debug' : 'warn'](
        { err, topic: this.consumers.topic },
        'consumer group discovery failed; the last reading stays',
      );
      this.failing = true;
    } finally {
      this.running = false;
    }
  }
}
