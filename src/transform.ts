/** What a product's transform sees besides the event. */
export interface TransformContext {
  /** Name of the input port the event came in on. */
  readonly port: string;
  /** The record key as UTF-8 text, or null. */
  readonly key: string | null;
  /** Record headers as UTF-8 text. */
  readonly headers: Readonly<Record<string, string>>;
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** Broker timestamp of the source record, ms since the epoch. */
  readonly timestamp: number;
}

/**
 * The product's logic: one output, several, or null to filter the event out (counted, never
 * silent). It must be synchronous: the hot path has no Promise per record. A throw dead-letters
 * the event with reason `transform`.
 */
export type TransformFn<In, Out> = (event: In, ctx: TransformContext) => Out | readonly Out[] | null;

export const TRANSFORM_BRAND = Symbol.for('dataprod.transform');

export interface Transform<In = unknown, Out = unknown> {
  readonly [TRANSFORM_BRAND]: true;
  // Method syntax on purpose: a Transform<Order, Enriched> is usable where the runtime holds a
  // Transform<unknown, unknown> (it only ever passes events decoded with the port's schema).
  fn(event: In, ctx: TransformContext): Out | readonly Out[] | null;
}

/** `export default defineTransform<In, Out>((event, ctx) => ...)` in a product's transform.ts. */
export function defineTransform<In, Out>(fn: TransformFn<In, Out>): Transform<In, Out> {
  if (typeof fn !== 'function') throw new TypeError('defineTransform expects a function (event, ctx) => output');
  return Object.freeze({ [TRANSFORM_BRAND]: true as const, fn });
}

/** True for what defineTransform returned, whichever copy of this module made it. */
export function isTransform(value: unknown): value is Transform {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as Record<symbol, unknown>)[TRANSFORM_BRAND] === true &&
    typeof (value as { fn?: unknown }).fn === 'function'
  );
}
