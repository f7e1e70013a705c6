/**
 * `sunset` and `successor` in product.yaml: a deprecated product needs a real calendar day, the
 * successor is a later major, both belong to products on their way out; the compiled descriptor
 * carries the sunset as seconds and the successor's topic.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { validateProduct } from '../../../src/product/load.js';

const VALID = fileURLToPath(new URL('../../fixtures/products/valid', import.meta.url));
const roots: string[] = [];
after(() => roots.forEach((d) => rmSync(d, { recursive: true, force: true })));

const descriptor = (lines: string) => `apiVersion: dataprod/v1
kind: DataProduct
id: sales.orders-enriched
name: orders-enriched
domain: sales
version: 1.4.0
team: { name: sales-data }
inputPorts:
  - name: orders
    topic: raw.orders
    contract: { schema: schemas/raw-order.avsc }
outputPorts:
  - name: orders-enriched
    topic: sales.orders-enriched.v1
    schema: schemas/orders-enriched.avsc
${lines}
`;

async function validate(lines: string) {
  const dir = mkdtempSync(join(tmpdir(), 'dataprod-lifecycle-'));
  roots.push(dir);
  cpSync(join(VALID, 'schemas'), join(dir, 'schemas'), { recursive: true });
  writeFileSync(join(dir, 'transform.ts'), 'export default (event: unknown) => event;\n');
  writeFileSync(join(dir, 'product.yaml'), descriptor(lines));
  return validateProduct(dir, { loadTransform: false });
}

const messages = (r: Awaited<ReturnType<typeof validate>>) => r.issues.map((i) => `${i.path}: ${i.message}`);

describe('sunset and successor', () => {
  it('compiles a deprecated product with its sunset (midnight UTC) and successor topic', async () => {
    const r = await validate('status: deprecated\nsunset: 2027-03-31\nsuccessor: 2');
    assert.deepEqual(messages(r), []);
    assert.deepEqual(r.descriptor!.lifecycle, {
      sunset: '2027-03-31',
      sunsetSeconds: Date.UTC(2027, 2, 31) / 1000,
      successor: { major: 2, topic: 'sales.orders-enriched.v2' },
    });
  });

  it('leaves an active product without lifecycle', async () => {
    const r = await validate('status: active');
    assert.equal(r.descriptor!.lifecycle, undefined);
  });

  it('requires a sunset for a deprecated product', async () => {
    assert.deepEqual(messages(await validate('status: deprecated')), [
      'sunset: required with status: deprecated: the day the product stops (YYYY-MM-DD), so its consumers know how long they have',
    ]);
  });

  it('refuses a date that is not one, or not a day of the calendar', async () => {
    assert.match(messages(await validate('status: deprecated\nsunset: next spring'))[0]!, /^sunset: must be a date YYYY-MM-DD/);
    assert.deepEqual(messages(await validate('status: deprecated\nsunset: 2027-02-30')), [
      'sunset: 2027-02-30 is not a day of the calendar; e.g. 2027-03-31',
    ]);
  });

  it('refuses a successor that is not a later major', async () => {
    assert.deepEqual(messages(await validate('status: deprecated\nsunset: 2027-03-31\nsuccessor: 1')), [
      'successor: must be a later major than this one (1): the major whose topic replaces .v1, e.g. 2',
    ]);
    assert.match(
      messages(await validate('status: deprecated\nsunset: 2027-03-31\nsuccessor: v2'))[0]!,
      /^successor: must be the major version number/,
    );
  });

  it('refuses sunset and successor on an active product', async () => {
    assert.deepEqual(messages(await validate('status: active\nsunset: 2027-03-31\nsuccessor: 2')), [
      'sunset: only for a deprecated or retired product; status is active',
      'successor: only for a deprecated or retired product; status is active',
    ]);
  });
});
