import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { validateProduct } from '../../../src/product/load.js';

const EXAMPLE = fileURLToPath(new URL('../../../products/orders-by-tier', import.meta.url));
const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** The example product with its lookups replaced. */
async function issuesWith(lookups: unknown[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'dataprod-lookups-'));
  temps.push(dir);
  cpSync(EXAMPLE, dir, { recursive: true });
  const doc = parseDocument(readFileSync(join(dir, 'product.yaml'), 'utf8'));
  doc.set('lookups', lookups);
  writeFileSync(join(dir, 'product.yaml'), doc.toString());
  const result = await validateProduct(dir, { loadTransform: false });
  return result.issues.map((i) => `${i.path}: ${i.message}`);
}

describe('descriptor lookups', () => {
  it('compiles a lookup with its schema and the memory store by default', async () => {
    const result = await validateProduct(EXAMPLE, { loadTransform: false });
    assert.deepEqual(result.issues, []);
    const [lookup] = result.descriptor!.lookups!;
    assert.equal(lookup!.name, 'customers');
    assert.equal(lookup!.store, 'memory');
    assert.equal((lookup!.schema as { name: string }).name, 'Customer');
    const dir = mkdtempSync(join(tmpdir(), 'dataprod-lookups-'));
    temps.push(dir);
    cpSync(EXAMPLE, dir, { recursive: true });
    const yaml = readFileSync(join(dir, 'product.yaml'), 'utf8').replace('    store: memory\n', '');
    writeFileSync(join(dir, 'product.yaml'), yaml);
    assert.equal((await validateProduct(dir, { loadTransform: false })).descriptor!.lookups![0]!.store, 'memory');
  });

  it('reports every problem at once, each at its path, with the fix', async () => {
    const issues = await issuesWith([
      { name: 'customers', topic: 'crm.customers', schema: 'schemas/customer.avsc' },
      { name: 'customers', topic: 'sales.orders-by-tier.v1', schema: 'schemas/missing.avsc', store: 'redis' },
      { name: 'Bad_Name', topic: 'crm.x', schema: 'schemas/raw-order.avsc', extra: 1 },
    ]);
    assert.deepEqual(issues, [
      'lookups[1].name: duplicate lookup name customers (also lookups[0].name); names must be unique',
      "lookups[1].topic: sales.orders-by-tier.v1 is the topic of outputPorts[0]; a lookup reads a compacted reference topic, not the product's own output",
      issues.find((i) => i.startsWith('lookups[1].schema: schemas/missing.avsc does not exist'))!,
      'lookups[1].store: must be one of: memory, disk (got "redis")',
      issues.find((i) => i.startsWith('lookups[2].name: must be kebab-case'))!,
      'lookups[2].extra: unknown field; allowed fields here: name, topic, schema, store',
    ]);
    assert.equal(issues.length, 6);
  });
});
