import type { Logger } from 'pino';
import type { Admin, KafkaMessage } from '../kafka/client.js';
import type { ProductDescriptor } from '../product/types.js';
import { BackoffTimers } from './backoff-timers.js';
import type { ProductStatus } from './product-state.js';
import { productTopics } from './progress-refresh.js';
import { missingTopics, type TopicLimits } from './topic-limits.js';

export interface BlockedRetryHooks {
  product: ProductDescriptor;
  admin: Admin;
  limits: TopicLimits;
  status: ProductStatus;
  log: Logger;
  maxDelayMs: number;
  pauseAll(): void;
  resumeAll(): void;
  rewind(topic: string, partition: number, at: KafkaMessage): void;
}

/**
 * A blocked product (TOPIC_WRITE_REFUSED): a topic refuses its writes or is gone. Its inputs are
 * paused with nothing committed past the record, and a retry with back-off (1 s doubling to the
 * maximum) waits for its topics to exist, reads the limits again and resumes the inputs. The
 * product reads `blocked` (503) while that retry's batch tries, and runs again only once a write
 * goes through (`succeeded`); a batch already in flight when it blocked does not count. The other
 * products of the process are not touched.
 */
export class BlockedRetry {
  private readonly retries: BackoffTimers;
  /** The inputs were resumed to try again: batches run while the product still reads blocked. */
  retrying = false;

  constructor(private readonly hooks: BlockedRetryHooks) {
    this.retries = new BackoffTimers(1_000, hooks.maxDelayMs);
  }

  block(at: { topic: string; partition: number; message: KafkaMessage } | undefined, reason: string): void {
    const { status, log } = this.hooks;
    if (status.state !== 'blocked')
      log.error(
        { topic: at?.topic, partition: at?.partition, offset: at?.message.offset, code: 'TOPIC_WRITE_REFUSED' },
        `blocked: ${reason}`,
      );
    status.set('blocked', reason, 'TOPIC_WRITE_REFUSED');
    this.retrying = false;
    this.hooks.pauseAll();
    if (at) this.hooks.rewind(at.topic, at.partition, at.message);
    this.retries.schedule('blocked', () => void this.retry());
  }

  /** A write of the retry went through: the product runs again, and the next block starts at 1 s. */
  succeeded(): void {
    this.retrying = false;
    this.retries.reset('blocked');
    this.hooks.status.set('running');
  }

  stop(): void {
    this.retries.clear();
  }

  private async retry(): Promise<void> {
    const { status, admin, product, limits, log } = this.hooks;
    if (status.state !== 'blocked') return;
    const missing = await missingTopics(admin, productTopics(product)).catch(() => []);
    if (missing.length > 0) {
      this.block(undefined, missingReason(missing));
      return;
    }
    await limits.refresh().catch(() => undefined);
    log.info('retrying the blocked write');
    this.retrying = true;
    this.hooks.resumeAll();
  }
}

/** The reason of a product blocked by topics that do not exist. */
export function missingReason(missing: readonly string[]): string {
  const many = missing.length > 1;
  return `${missing.join(', ')} ${many ? 'do' : 'does'} not exist any more; create ${many ? 'them' : 'it'} again`;
}
