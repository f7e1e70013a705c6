import { ConfigResourceTypes, type Admin } from '../kafka/client.js';
import { BATCH_OVERHEAD_BYTES } from '../pipeline/dead-letter.js';

/** Kafka's default max.message.bytes (1 MiB + the record batch overhead), used until the topic tells. */
const KAFKA_DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/**
 * What the broker accepts on the topics a product writes: each topic's `max.message.bytes` (the
 * largest record batch), read at start and again whenever a write is refused as too large, so a
 * limit changed while running is followed without a restart. Reads are I/O; `batchBytes` is a
 * synchronous lookup for the batch path.
 */
export class TopicLimits {
  private readonly limits = new Map<string, number>();

  constructor(
    private readonly admin: Admin,
    private readonly topics: readonly string[],
  ) {}

  /** The topic's max.message.bytes, as last read. */
  batchBytes(topic: string): number {
    return this.limits.get(topic) ?? KAFKA_DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** The largest send to any of the topics: the smallest limit, less a margin for request framing. */
  sendBytes(): number {
    return Math.max(1, Math.min(...this.topics.map((t) => this.batchBytes(t))) - 1024);
  }

  /**
   * The largest encoded output a product writes: the configured --max-output-bytes, or less when the
   * topic would refuse it (such an output is dead-lettered as too-large instead).
   */
  maxOutputBytes(topic: string, configured: number): number {
    return Math.min(configured, this.batchBytes(topic) - BATCH_OVERHEAD_BYTES - 1024);
  }

  /** Reads every topic's limit; throws what the admin client throws (the caller keeps the old values). */
  async refresh(): Promise<void> {
    const { resources } = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: this.topics.map((name) => ({ type: ConfigResourceTypes.TOPIC, name, configNames: ['max.message.bytes'] })),
    });
    for (const r of resources) {
      const value = Number(r.configEntries.find((e) => e.configName === 'max.message.bytes')?.configValue);
      if (Number.isInteger(value) && value > 0) this.limits.set(r.resourceName, value);
    }
  }
}

/** The topics of the list that do not exist on the cluster now. */
export async function missingTopics(admin: Admin, topics: readonly string[]): Promise<string[]> {
  const existing = new Set(await admin.listTopics());
  return topics.filter((t) => !existing.has(t));
}
