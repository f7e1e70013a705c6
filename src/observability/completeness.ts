/**
 * Completeness over closed windows of source time: of the records upstream appended to the
 * partitions this worker holds during a window, the share whose outcome (published,
 * dead-lettered or filtered) this worker has committed. A window is judged once every record
 * appended in it has been handled (the progress watermark passed its end) and only if the worker
 * held the same partitions for the whole window, so a restart or rebalance never reads as loss.
 */
export class WindowCompleteness {
  private readonly handled = new Map<number, number>();
  private judgedUpTo: number;
  private lastRatio: number | undefined;
  private lastAppended: number | undefined;

  constructor(
    private readonly windowMs: number,
    /** Windows starting before this (ms) are never judged: the worker did not hold the partitions then. */
    private since: number,
  ) {
    this.judgedUpTo = this.windowStart(since) + windowMs;
  }

  windowStart(ts: number): number {
    return Math.floor(ts / this.windowMs) * this.windowMs;
  }

  /** A record whose outcome was committed, by its broker timestamp (ms). */
  handledAt(ts: number, n = 1): void {
    const start = this.windowStart(ts);
    this.handled.set(start, (this.handled.get(start) ?? 0) + n);
  }

  /** A new assignment: judging restarts after the next full window. */
  reset(now: number): void {
    this.since = now;
    this.judgedUpTo = this.windowStart(now) + this.windowMs;
    this.handled.clear();
  }

  /** Windows fully handled and not judged yet, oldest first: [start, end) in ms. */
  closable(watermark: number | undefined): [number, number][] {
    if (watermark === undefined) return [];
    const out: [number, number][] = [];
    for (let start = this.judgedUpTo; start + this.windowMs <= watermark; start += this.windowMs) out.push([start, start + this.windowMs]);
    return out;
  }

  /** Records the judgement of one window, given how many records were appended in it. */
  judge(start: number, appended: number): number {
    const handled = this.handled.get(start) ?? 0;
    this.handled.delete(start);
    this.judgedUpTo = Math.max(this.judgedUpTo, start + this.windowMs);
    // An empty window is complete by definition.
    this.lastRatio = appended === 0 ? 1 : handled / appended;
    this.lastAppended = appended;
    return this.lastRatio;
  }

  get ratio(): number | undefined {
    return this.lastRatio;
  }

  /** Records appended in the newest judged window: 0 says its ratio of 1 is of an empty window. */
  get appended(): number | undefined {
    return this.lastAppended;
  }
}
