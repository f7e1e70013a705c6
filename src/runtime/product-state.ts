import type { Gauge } from 'prom-client';
import type { Logger } from 'pino';
import type { ErrorCode } from '../errors.js';

/**
 * A product worker's state. restoring: its lookup tables are read up to the end offsets seen at
 * start, no input is processed yet (src/lookups). backfilling: running, but a new major still
 * catching up from the earliest retained input offset (./backfill.ts). backing-off: an
 * infrastructure fault (registry, broker), retried by itself; blocked: a topic refuses our writes
 * or is gone (TOPIC_WRITE_REFUSED), retried with back-off until someone fixes it; halted: the
 * dead-letter breaker tripped; failed: it cannot go on.
 */
export const PRODUCT_STATES = [
  'starting',
  'restoring',
  'running',
  'backfilling',
  'backing-off',
  'blocked',
  'halted',
  'draining',
  'stopped',
  'failed',
] as const;
export type ProductState = (typeof PRODUCT_STATES)[number];

/**
 * A product's state, its reason and code, with one setter that logs every transition and keeps
 * `dataprod_product_state` at 1 for the current state only; and the stall clock health reads.
 */
export class ProductStatus {
  state: ProductState = 'starting';
  /** Why the product is halted, blocked, failed or backing off; empty otherwise. */
  reason = '';
  code: ErrorCode | undefined;
  /** Last time the product committed, or had no lag: the stall clock. */
  private lastProgressAt = Date.now();
  /** A backfill is under way: `running` reads `backfilling` until it ends. */
  private backfill = false;

  constructor(
    private readonly product: string,
    private readonly gauge: Gauge<'product' | 'state'>,
    private readonly stallAfterMs: number,
    private readonly log: Logger,
  ) {}

  set(state: ProductState, reason = '', code?: ErrorCode): void {
    if (state === 'running' && this.backfill) state = 'backfilling';
    this.gauge.set({ product: this.product, state: this.state }, 0);
    if (state !== this.state) this.log.info({ from: this.state, to: state, reason: reason || undefined, code }, 'product state');
    this.state = state;
    this.reason = reason;
    this.code = code;
    this.gauge.set({ product: this.product, state }, 1);
  }

  /** Running or backfilling: fetching and processing records. */
  get processing(): boolean {
    return this.state === 'running' || this.state === 'backfilling';
  }

  /** A new major starts catching up; a back-off or block meanwhile returns to backfilling, not running. */
  beginBackfill(): void {
    this.backfill = true;
    if (this.state === 'running') this.set('running');
  }

  endBackfill(): void {
    this.backfill = false;
    if (this.state === 'backfilling') this.set('running');
  }

  /** A commit went through. */
  progressed(now: number): void {
    this.lastProgressAt = now;
  }

  /** Lag > 0 (`behind`) with no commit for stallAfterMs; no lag resets the clock. */
  stalled(now: number, behind: boolean): boolean {
    if (!behind) this.lastProgressAt = now;
    return behind && now - this.lastProgressAt > this.stallAfterMs;
  }
}
