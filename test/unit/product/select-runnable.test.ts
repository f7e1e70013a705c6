import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProductDescriptor, ProductStatus } from '../../../src/product/types.js';
import { defineTransform } from '../../../src/transform.js';
import { selectRunnable } from '../../../src/product/select.js';

const product = (id: string, status: ProductStatus) => ({
  descriptor: { id, status } as ProductDescriptor,
  transform: defineTransform(() => null),
});

describe('which products run', () => {
  const all = [
    product('a.active', 'active'),
    product('a.draft', 'draft'),
    product('a.deprecated', 'deprecated'),
    product('a.retired', 'retired'),
  ];

  it('runs active and deprecated products, never retired ones, drafts only when asked', () => {
    const normal = selectRunnable(all, false);
    assert.deepEqual(
      normal.run.map((p) => p.descriptor.id),
      ['a.active', 'a.deprecated'],
    );
    assert.deepEqual(normal.skipped, ['a.draft: status draft, runs only with --include-draft', 'a.retired: status retired, never runs']);
    const withDrafts = selectRunnable(all, true);
    assert.deepEqual(
      withDrafts.run.map((p) => p.descriptor.id),
      ['a.active', 'a.draft', 'a.deprecated'],
    );
    assert.deepEqual(withDrafts.skipped, ['a.retired: status retired, never runs']);
  });
});
