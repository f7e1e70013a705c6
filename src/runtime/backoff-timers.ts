/**
 * Exponential back-off, one timer per key (a partition waiting for the registry, a blocked
 * product): the delay doubles from `baseMs` with each attempt up to `maxMs`, a success resets
 * the count, and `clear()` cancels every pending timer (on stop). No clock of its own beyond
 * setTimeout; the callers own what happens when a timer fires.
 */
export class BackoffTimers {
  private readonly attempts = new Map<string, number>();
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly baseMs: number,
    private readonly maxMs: number,
  ) {}

  /** Runs `fire` after this key's next delay, unless a timer for it is pending already. */
  schedule(key: string, fire: () => void): { attempt: number; delayMs: number } {
    const attempt = this.timers.has(key) ? (this.attempts.get(key) ?? 1) : (this.attempts.get(key) ?? 0) + 1;
    const delayMs = Math.min(this.maxMs, this.baseMs * 2 ** (attempt - 1));
    if (!this.timers.has(key)) {
      this.attempts.set(key, attempt);
      this.timers.set(
        key,
        setTimeout(() => {
          this.timers.delete(key);
          fire();
        }, delayMs),
      );
    }
    return { attempt, delayMs };
  }

  /** Timers still waiting to fire. */
  get pending(): number {
    return this.timers.size;
  }

  /** The key went through: its next back-off starts from the base delay again. */
  reset(key: string): void {
    this.attempts.delete(key);
  }

  clear(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }
}
