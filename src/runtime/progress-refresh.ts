import type { Logger } from 'pino';
import type { ProductDescriptor } from '../product/types.js';
import type { Admin } from '../kafka/client.js';
import type { ProductSignals } from '../observability/metrics.js';
import type { RecordPeek } from '../kafka/record-peek.js';
import type { GroupLag } from '../observability/group-lag.js';
import { missingTopics } from './topic-limits.js';

interface RefreshDeps {
  admin: Admin;
  /** Reads the oldest waiting record of partitions with group lag (their lag in seconds); none: no seconds. */
  peek?: RecordPeek;
  product: ProductDescriptor;
  signals: ProductSignals;
  log: Logger;
}

/**
 * What batches cannot tell the lag and completeness signals: the end offsets of the held
 * partitions (idle or paused ones get no batches), the group's committed offsets (once after a
 * join for this worker's own view, where a partition without one starts at its earliest retained
 * offset, as the consumer does; every time for the group's lag on every partition, whoever holds
 * it, and the timestamp of its oldest waiting record), and the judgement of closed completeness
 * windows. A failed read is logged at debug and
 * leaves the gauges at their last values; the next refresh tries again.
 */
export async function refreshProgress(
  { admin, peek, product, signals, log }: RefreshDeps,
  assigned: ReadonlySet<string>,
  afterJoin: boolean,
): Promise<void> {
  const progress = signals.progress;
  const topics = product.inputPorts.map((p) => p.topic);
  const held = (topic: string, partition: number) => assigned.has(`${topic}:${partition}`);
  let uncommitted: Set<string> | undefined;
  try {
    const groupOffsets = new Map<string, number>();
    if (afterJoin) uncommitted = new Set();
    for (const { topic, partitions } of await admin.fetchOffsets({ groupId: product.consumerGroup, topics })) {
      for (const p of partitions) {
        const committed = Number(p.offset);
        if (committed >= 0) groupOffsets.set(`${topic}:${p.partition}`, committed);
        if (!uncommitted || !held(topic, p.partition)) continue;
        if (committed >= 0) progress.setCommitted(topic, p.partition, committed);
        else uncommitted.add(`${topic}:${p.partition}`);
      }
    }
    const now = Date.now();
    for (const topic of topics) {
      for (const p of await admin.fetchTopicOffsets(topic)) {
        signals.groupLag?.observe(topic, p.partition, groupOffsets.get(`${topic}:${p.partition}`), Number(p.low), Number(p.high), now);
        if (!held(topic, p.partition)) continue;
        if (uncommitted?.has(`${topic}:${p.partition}`)) progress.setCommitted(topic, p.partition, Number(p.low));
        progress.setEnd(topic, p.partition, Number(p.offset));
      }
    }
    if (peek && signals.groupLag) await readOldestWaiting(peek, signals.groupLag, log);
    if (assigned.size > 0) await judgeWindows(admin, signals, topics, held, log);
  } catch (err) {
    log.debug({ err }, 'progress refresh failed; lag gauges keep their last values');
  }
}

/** Fetches per refresh for the group's lag in seconds, and per partition: a refresh stays short behind many aborted records. */
const PEEK_FETCHES_PER_REFRESH = 16;
const PEEK_FETCHES_PER_PARTITION = 4;

/**
 * The oldest waiting record of each partition whose group lag has no age yet (new lag, or a moved
 * committed offset), within the refresh's fetch budget, the partitions tried longest ago first; a
 * partition read only as far as control or aborted records carries on from there at the next
 * refresh.
 */
export async function readOldestWaiting(peek: RecordPeek, groupLag: GroupLag, log: Logger): Promise<void> {
  let budget = PEEK_FETCHES_PER_REFRESH;
  for (const w of groupLag.waiting()) {
    if (budget <= 0) return;
    groupLag.tried(w.topic, w.partition, Date.now());
    // Charged up front, refunded below: a failed read spends its whole share.
    const share = Math.min(budget, PEEK_FETCHES_PER_PARTITION);
    budget -= share;
    try {
      const found = await peek.firstDataRecord(w.topic, w.partition, w.from, share);
      budget += share - found.fetches;
      groupLag.readOldest(w.topic, w.partition, w.position, found);
    } catch (err) {
      // One partition's failed read (a moved leader, a log start that passed the offset) leaves
      // its seconds unknown until the next refresh, not the other partitions' or the windows'.
      log.debug({ err, topic: w.topic, partition: w.partition }, "reading the group's oldest waiting record failed");
    }
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
 * The product's periodic refresh, every `intervalMs`, at once after a group join, and at scrape
 * time (throttled to one per `SCRAPE_MIN_INTERVAL_MS`, so a paused, halted or backing-off product's
 * lag is as fresh as the scrape, and so is the first scrape after a stall): missing topics first
 * (so a deleted input topic, whose offset reads fail, is still seen), then lag, the group's lag and
 * window completeness. One refresh at a time; a replica holding no partition still reads the
 * group's lag.
 */
export class ProgressRefresher {
  private assigned: ReadonlySet<string> = new Set();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private lastStartedAt = 0;
  private stopped = false;

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

  /** For a scrape: a refresh unless one started less than SCRAPE_MIN_INTERVAL_MS ago (then that one). */
  forScrape(): Promise<void> {
    if (this.running) return this.running;
    if (Date.now() - this.lastStartedAt < SCRAPE_MIN_INTERVAL_MS) return Promise.resolve();
    return this.refresh(false);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
    void this.deps.peek?.disconnect().catch(() => undefined);
  }

  private refresh(afterJoin: boolean): Promise<void> {
    // A scrape after stop must not read again (and reopen what stop closed).
    if (this.stopped) return Promise.resolve();
    // A join's refresh must not be skipped: it reads the committed offsets of the new assignment.
    if (this.running) return afterJoin ? this.running.then(() => this.refresh(true)) : this.running;
    this.lastStartedAt = Date.now();
    this.running = this.run(afterJoin).finally(() => (this.running = undefined));
    return this.running;
  }

  private async run(afterJoin: boolean): Promise<void> {
    if (this.assigned.size > 0 && this.hooks.checkTopics()) {
      const missing = await missingTopics(this.deps.admin, productTopics(this.deps.product)).catch(() => []);
      if (missing.length > 0) this.hooks.onMissing(missing);
    }
    await refreshProgress(this.deps, this.assigned, afterJoin);
    this.hooks.after();
  }
}

/** Scrapes closer together than this share one read of the end offsets. */
export const SCRAPE_MIN_INTERVAL_MS = 1_000;
