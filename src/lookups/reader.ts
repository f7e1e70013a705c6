/**
 * The read side of lookup tables as the processor sees it: synchronous, by table name and key.
 * The worker's tables (./tables.ts) and the fixtures of `dataprod test` (./fixtures.ts) both are one.
 */
export interface LookupReader {
  /** The current value, or undefined; throws on a table name the product does not declare. */
  get(name: string, key: string): unknown;
}

/** Thrown by `ctx.requireLookup` when the key is missing: the processor dead-letters the record as `lookup-miss`. */
export class LookupMissError extends Error {
  constructor(readonly lookup: string) {
    super(`lookup ${lookup}: required key not found`);
    this.name = 'LookupMissError';
  }
}

/** The error of `ctx.lookup` with a table name the product does not declare: a bug in the transform. */
export function unknownLookup(name: string, declared: readonly string[]): Error {
  return new Error(
    `no lookup named ${JSON.stringify(name)}; ` +
      (declared.length > 0
        ? `lookups: ${declared.join(', ')}`
        : 'this product declares no lookups (add one under lookups: in product.yaml)'),
  );
}

/** The reader of a product without lookups. */
export const NO_LOOKUPS: LookupReader = {
  get(name) {
    throw unknownLookup(name, []);
  },
};

/** `ctx.lookup` and `ctx.requireLookup` for a context built by hand for a product without lookups (both throw). */
export const WITHOUT_LOOKUPS = {
  lookup: (name: string): unknown => NO_LOOKUPS.get(name, ''),
  requireLookup: (name: string): unknown => NO_LOOKUPS.get(name, ''),
};
