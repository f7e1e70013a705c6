/**
 * Discovers who reads the product topics of a worker, with the admin API only (no consumer joins anything): list
 * the cluster's groups, fetch each one's committed offsets on the topic, keep those that have any,
 * describe them (state, members), and compare with the topic's end offsets for their lag. Runs at
 * start and every `intervalMs`, one discovery at a time. A group whose offsets cannot be read (it
 * is being deleted, its coordinator moves) is left out of that discovery; a discovery that fails
 * whole keeps the last reading (../observability/consumer-groups.ts holds it) and is logged at
 * warn when it follows a success, at debug while failures go on.
 *
 * One discovery serves every product of a worker. Its cost: one Metadata (topics), one ListGroups
 * per broker, one OffsetFetch per group in the cluster (for all the product topics at once), one
 * DescribeGroups and one ListOffsets per product topic read. Every worker replica discovers on
 * its own.
 */
import type { Logger } from 'pino';
import type { Admin } from '../kafka/client.js';
import type { GroupReading, ProductConsumers } from '../observability/consumer-groups.js';

/**
 * Every group with a committed offset on each of `topics` (the product topics of one worker, read
 * together: one OffsetFetch per group whatever the number of products), with its lag against the
 * end offsets read now. A topic that does not exist (deleted under a blocked product) is skipped,
 * so it cannot fail the others' fetches.
 */
export async function readTopicConsumers(admin: Admin, topics: readonly string[]): Promise<Map<string, GroupReading[]>> {
  const existing = new Set(await admin.listTopics());
  const wanted = topics.filter((t) => existing.has(t));
  const byTopic = new Map<string, GroupReading[]>(topics.map((t) => [t, []]));
  if (wanted.length === 0) return byTopic;
  const { groups } = await admin.listGroups();
  for (const { groupId } of groups) {
    const offsets = await admin.fetchOffsets({ groupId, topics: wanted }).catch(() => []);
    for (const { topic, partitions } of offsets) {
      const committed = new Map<number, number>();
      for (const p of partitions) if (Number(p.offset) >= 0) committed.set(p.partition, Number(p.offset));
      if (committed.size > 0) byTopic.get(topic)?.push({ group: groupId, committed, lagRecords: 0 });
    }
  }
  const readers = [...new Set([...byTopic.values()].flatMap((rs) => rs.map((r) => r.group)))];
  if (readers.length === 0) return byTopic;
  // State and members are extras: without them the readings still stand.
  const described = new Map((await admin.describeGroups(readers).catch(() => ({ groups: [] }))).groups.map((g) => [g.groupId, g]));
  for (const [topic, readings] of byTopic) {
    if (readings.length === 0) continue;
    const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]));
    for (const r of readings) {
      for (const [partition, offset] of r.committed) r.lagRecords += Math.max(0, (ends.get(partition) ?? offset) - offset);
      const d = described.get(r.group);
      if (d) {
        r.state = d.state;
        r.members = d.members.length;
      }
    }
  }
  return byTopic;
}

export class ConsumerDiscovery {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private failing = false;
  private stopped = false;

  constructor(
    private readonly admin: Admin,
    /** One per product of the worker; each is updated with the readers of its own topic. */
    private readonly consumers: readonly ProductConsumers[],
    private readonly intervalMs: number,
    private readonly log: Logger,
  ) {}

  start(): void {
    void this.discover();
    this.timer = setInterval(() => void this.discover(), this.intervalMs);
    this.timer.unref();
  }

  /** No discovery starts after this; one in flight ends without a word (the admin client is closing). */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  private async discover(): Promise<void> {
    if (this.running || this.stopped || this.consumers.length === 0) return;
    this.running = true;
    try {
      const byTopic = await readTopicConsumers(this.admin, [...new Set(this.consumers.map((c) => c.topic))]);
      const now = Date.now();
      for (const c of this.consumers) c.update(now, byTopic.get(c.topic) ?? []);
      this.failing = false;
    } catch (err) {
      if (this.stopped) return;
      this.log[this.failing ? 'debug' : 'warn'](
        { err, topics: this.consumers.map((c) => c.topic) },
        'consumer group discovery failed; the last reading stays',
      );
      this.failing = true;
    } finally {
      this.running = false;
    }
  }
}
