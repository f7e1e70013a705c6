import type { Logger } from 'pino';
import type { ProductDescriptor } from '../product/types.js';
import type { Admin } from '../kafka/client.js';
import type { ProductSignals } from '../observability/metrics.js';
import { missingTopics } from './topic-limits.js';

interface RefreshDeps {
  admin: Admin;
  product: ProductDescriptor;
  signals: ProductSignals;
  log: Logger;
}

/**
 * What batches cannot tell the lag and completeness signals: the end offsets of the held
 * partitions (idle or paused ones get no batches), the group's committed offsets once after a
 * join (a partition without one starts at its earliest retained offset, as the consumer does), and
 * the judgement of closed completeness windows. A failed read is logged at debug and leaves the
 * gauges at their last values; the next refresh tries again.
 */
export async function refreshProgress(
  { admin, product, signals, log }: RefreshDeps,
  assigned: ReadonlySet<string>,
  afterJoin: boolean,
): Promise<void> {
  const progress = signals.progress;
  const topics = product.inputPorts.map((p) => p.topic);
  const held = (topic: string, partition: number) => assigned.has(`${topic}:${partition}`);
  let uncommitted: Set<string> | undefined;
  try {
    if (afterJoin) {
      uncommitted = new Set();
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId: product.consumerGroup, topics })) {
        for (const p of partitions) {
          if (!held(topic, p.partition)) continue;
          if (Number(p.offset) >= 0) progress.setCommitted(topic, p.partition, Number(p.offset));
          else uncommitted.add(`${topic}:${p.partition}`);
        }
      }
    }
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        if (!held(topic, p.partition)) continue;
        if (uncommitted?.has(`${topic}:${p.partition}`)) progress.setCommitted(topic, p.partition, Number(p.low));
        progress.setEnd(topic, p.partition, Number(p.offset));
      }
    }
    await judgeWindows(admin, signals, topics, held, log);
  } catch (err) {
    log.debug({ err }, 'progress refresh failed; lag gauges keep their last values');
  }
}

/**
 * Whether the product starts with a backfill (./backfill.ts): its group has no committed offset
 * on any input partition (a new major) and the inputs hold records to catch up on. A new product
 * on empty inputs just runs.
 */
export async function needsBackfill(admin: Admin, product: ProductDescriptor): Promise<boolean> {
  const topics = product.inputPorts.map((p) => p.topic);
  const offsets = await admin.fetchOffsets({ groupId: product.consumerGroup, topics });
  if (offsets.some(({ partitions }) => partitions.some((p) => Number(p.offset) >= 0))) return false;
  for (const topic of topics) if ((await admin.fetchTopicOffsets(topic)).some((p) => Number(p.high) > Number(p.low))) return true;
  return false;
}

/** Closed windows: records appended to the held partitions in the window against outcomes counted. */
async function judgeWindows(
  admin: Admin,
  signals: ProductSignals,
  topics: string[],
  held: (topic: string, partition: number) => boolean,
  log: Logger,
): Promise<void> {
  const { completeness, progress } = signals;
  for (const [start, end] of completeness.closable(progress.watermark(Date.now()))) {
    let appended = 0;
    for (const topic of topics) {
      const from = await admin.fetchTopicOffsetsByTimestamp(topic, start);
      const to = await admin.fetchTopicOffsetsByTimestamp(topic, end);
      for (const f of from) {
        if (!held(topic, f.partition)) continue;
        const t = to.find((x) => x.partition === f.partition);
        if (t) appended += Math.max(0, Number(t.offset) - Number(f.offset));
      }
    }
    const ratio = completeness.judge(start, appended);
    if (ratio < 1)
      log.warn({ windowStart: new Date(start).toISOString(), appended, ratio }, 'window incomplete: fewer outcomes than records appended');
  }
}

/** Every topic a product reads or writes: all must exist for it to run. */
export function productTopics(product: ProductDescriptor): string[] {
  return [...product.inputPorts.map((p) => p.topic), product.output.topic, product.deadLetter.topic];
}

export interface RefreshHooks {
  /** Whether to check that the product's topics exist on this refresh (not while blocked or halted). */
  checkTopics(): boolean;
  onMissing(missing: string[]): void;
  /** After each refresh. */
  after(): void;
}

/**
 * The product's periodic refresh, every `intervalMs` and at once after a group join: missing
 * topics first (so a deleted input topic, whose offset reads fail, is still seen), then lag and
 * window completeness of the held partitions. One refresh at a time.
 */
export class ProgressRefresher {
  private assigned: ReadonlySet<string> = new Set();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  /** A join came while a refresh was running: its refresh runs right after. */
  private joinPending = false;

  constructor(
    private readonly deps: RefreshDeps,
    private readonly intervalMs: number,
    private readonly hooks: RefreshHooks,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.refresh(false), this.intervalMs);
    this.timer.unref();
  }

  joined(assigned: ReadonlySet<string>): void {
    this.assigned = assigned;
    void this.refresh(true);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async refresh(afterJoin: boolean): Promise<void> {
    if (this.running) {
      if (afterJoin) this.joinPending = true;
      return;
    }
    if (this.assigned.size === 0) return;
    this.running = true;
    try {
      if (this.hooks.checkTopics()) {
        const missing = await missingTopics(this.deps.admin, productTopics(this.deps.product)).catch(() => []);
        if (missing.length > 0) this.hooks.onMissing(missing);
      }
      await refreshProgress(this.deps, this.assigned, afterJoin);
      this.hooks.after();
    } finally {
      this.running = false;
      if (this.joinPending) {
        this.joinPending = false;
        void this.refresh(true);
      }
    }
  }
}
