/** Which products a command works on, by status: one rule for `run`, `rules` and their messages. */
import type { ProductDescriptor } from './types.js';

/**
 * `retired` never runs, `draft` only when asked (--include-draft), `deprecated` and `active` do.
 * Returns the runnable ones and a line per skipped one (`<id>: status retired, never runs`).
 */
export function selectRunnable<T extends { readonly descriptor: Pick<ProductDescriptor, 'id' | 'status'> }>(
  products: readonly T[],
  includeDraft: boolean,
): { run: T[]; skipped: string[] } {
  const run: T[] = [];
  const skipped: string[] = [];
  for (const p of products) {
    const { status, id } = p.descriptor;
    if (status === 'retired') skipped.push(`${id}: status retired, never runs`);
    else if (status === 'draft' && !includeDraft) skipped.push(`${id}: status draft, runs only with --include-draft`);
    else run.push(p);
  }
  return { run, skipped };
}
