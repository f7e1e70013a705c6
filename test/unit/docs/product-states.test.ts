/**
 * Every product state is shown where states are listed: the states `restoring` (lookups) and
 * `backfilling` (majors) were added by separate branches, and each list was kept by hand. The
 * status page colours each state's badge, docs/metrics.md names each value of
 * `dataprod_product_state`, and docs/runtime.md gives each its health answers.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { statusPage } from '../../../src/observability/status-page.js';
import { PRODUCT_STATES } from '../../../src/runtime/product-state.js';

const doc = (name: string) => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');

describe('product states', () => {
  it('each has a badge colour on the status page', () => {
    const page = statusPage();
    assert.deepEqual(
      PRODUCT_STATES.filter((s) => !new RegExp(`\\.state-${s}[ ,{]`).test(page)),
      [],
    );
  });

  it('each is named in the dataprod_product_state row of docs/metrics.md', () => {
    const row = doc('metrics.md')
      .split('\n')
      .find((l) => l.startsWith('| `dataprod_product_state` |'));
    assert.ok(row);
    assert.deepEqual(
      PRODUCT_STATES.filter((s) => !row.includes(`\`${s}\``)),
      [],
    );
  });

  it('each has its row, with /healthz and /readyz, in the state table of docs/runtime.md', () => {
    const rows = new Set(
      doc('runtime.md')
        .split('\n')
        .map((l) => /^\| `([a-z-]+)` \| [^|]+ \| (200|503) \| (200|503) \|$/.exec(l)?.[1])
        .filter((s) => s !== undefined),
    );
    assert.deepEqual(
      PRODUCT_STATES.filter((s) => !rows.has(s)),
      [],
    );
  });
});
