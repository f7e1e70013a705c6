/**
 * Trips when dead letters exceed a share of the records processed within a time window, once the
 * window holds enough records to judge. A transform bug dead-letters everything; halting then
 * keeps the records in the input topic for a fixed release instead of burying them in the DLQ.
 */
export class DlqBreaker {
  private readonly buckets: { at: number; records: number; deadLetters: number }[] = [];
  private records = 0;
  private deadLetters = 0;

  constructor(
    private readonly options: { ratio: number; minRecords: number; windowMs: number },
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds a batch; true when the breaker trips. */
  record(records: number, deadLetters: number): boolean {
    const now = this.now();
    this.buckets.push({ at: now, records, deadLetters });
    this.records += records;
    this.deadLetters += deadLetters;
    while (this.buckets.length > 0 && this.buckets[0]!.at <= now - this.options.windowMs) {
      const old = this.buckets.shift()!;
      this.records -= old.records;
      this.deadLetters -= old.deadLetters;
    }
    return this.records >= this.options.minRecords && this.deadLetters / this.records > this.options.ratio;
  }

  snapshot(): { records: number; deadLetters: number } {
    return { records: this.records, deadLetters: this.deadLetters };
  }
}
