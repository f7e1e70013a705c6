/**
 * Where the benchmarks live and what they run: the repository root, the bench product
 * (bench/products/orders-wide) and its schemas, private copies of it per run, unique names.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { copyProductFolder, type ProductCopy } from '../../src/devstack/product-copy.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export const BENCH_PRODUCT_DIR = join(repoRoot, 'bench', 'products', 'orders-wide');

export function benchSchema(file: 'raw-order.avsc' | 'orders-enriched.avsc'): Record<string, unknown> {
  return JSON.parse(readFileSync(join(BENCH_PRODUCT_DIR, 'schemas', file), 'utf8')) as Record<string, unknown>;
}

export type BenchProduct = ProductCopy;

/**
 * A copy of the bench product under .cache/bench-products/ with its own name, id, output and
 * dead-letter topics (so its own consumer group), reading the given input topic: several copies
 * can read one seeded topic, each from the start.
 */
export function copyBenchProduct(inputTopic: string): BenchProduct {
  return copyProductFolder(BENCH_PRODUCT_DIR, 'bench-products', { inputTopic });
}

/** A unique suffix for topic, group and folder names. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
