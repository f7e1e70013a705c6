import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Document } from 'yaml';
import { copyExampleProduct, type ProductCopy } from '../../src/devstack/product-copy.js';

export type { ProductCopy } from '../../src/devstack/product-copy.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** An isolated copy of an example product for one test (see copyExampleProduct). */
export function copyProduct(example: 'orders-enriched' | 'page-views', edit?: (doc: Document) => void): ProductCopy {
  return copyExampleProduct(example, 'test-products', edit);
}

export function readSchema(example: 'orders-enriched' | 'page-views', file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(repo, 'products', example, 'schemas', file), 'utf8')) as Record<string, unknown>;
}

/**
 * Rewrites a product copy's transform module in place: `edit` gets its source and returns the new
 * one. Throws when `edit` left it unchanged (an anchor the edit looked for is gone).
 */
export function editTransform(copy: ProductCopy, edit: (source: string) => string): void {
  const file = join(copy.dir, 'transform.ts');
  const before = readFileSync(file, 'utf8');
  const after = edit(before);
  if (after === before) throw new Error(`editTransform: ${file} unchanged; did its source change?`);
  writeFileSync(file, after);
}
