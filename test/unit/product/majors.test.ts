/**
 * Two majors of one product side by side (src/product/majors.ts): two folders with the same id
 * and different majors load together, each with its own group, topics and metrics name; the same
 * major twice, or two majors writing one topic, is refused naming both folders and the fix.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { DescriptorError } from '../../../src/errors.js';
import { loadProducts } from '../../../src/product/load.js';
import { defaultDeadLetterTopic, majorIdOf } from '../../../src/product/majors.js';

const VALID = fileURLToPath(new URL('../../fixtures/products/valid/', import.meta.url));

const roots: string[] = [];
after(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

/** A folder of product folders: each a copy of the valid fixture with its descriptor edited. */
function productsFolder(products: Record<string, (doc: ReturnType<typeof parseDocument>) => void>): string {
  const root = mkdtempSync(join(tmpdir(), 'dataprod-majors-'));
  roots.push(root);
  for (const [name, edit] of Object.entries(products)) {
    const dir = join(root, name);
    mkdirSync(dir);
    cpSync(VALID, dir, { recursive: true });
    const doc = parseDocument(readFileSync(join(dir, 'product.yaml'), 'utf8'));
    edit(doc);
    writeFileSync(join(dir, 'product.yaml'), doc.toString());
  }
  return root;
}

const major = (n: number) => (doc: ReturnType<typeof parseDocument>) => {
  doc.set('version', `${n}.0.0`);
  doc.setIn(['outputPorts', 0, 'topic'], `sales.orders-enriched.v${n}`);
};

async function loadError(root: string): Promise<DescriptorError> {
  const err = await loadProducts([root], { loadTransform: false }).then(
    () => undefined,
    (e: unknown) => e,
  );
  assert.ok(err instanceof DescriptorError, `expected a DescriptorError, got ${String(err)}`);
  return err;
}

describe('majors side by side', () => {
  it('names major 1 as before and later majors with .v<major>', () => {
    assert.equal(majorIdOf('sales.orders-enriched', 1), 'sales.orders-enriched');
    assert.equal(majorIdOf('sales.orders-enriched', 0), 'sales.orders-enriched');
    assert.equal(majorIdOf('sales.orders-enriched', 2), 'sales.orders-enriched.v2');
    assert.equal(defaultDeadLetterTopic('sales', 'orders-enriched', 1), 'sales.orders-enriched.dlq');
    assert.equal(defaultDeadLetterTopic('sales', 'orders-enriched', 3), 'sales.orders-enriched.v3.dlq');
  });

  it('loads v1 and v2 of one id together, each with its own group, output topic, dead-letter topic and metrics name', async () => {
    const root = productsFolder({ v1: major(1), v2: major(2) });
    const loaded = await loadProducts([root], { loadTransform: false });
    const [v1, v2] = loaded.map((p) => p.descriptor);
    assert.equal(v1!.id, v2!.id);
    assert.deepEqual(
      [v1, v2].map((d) => [d!.majorId, d!.consumerGroup, d!.output.topic, d!.deadLetter.topic]),
      [
        ['sales.orders-enriched', 'dataprod.sales.orders-enriched.v1', 'sales.orders-enriched.v1', 'sales.orders-enriched.dlq'],
        ['sales.orders-enriched.v2', 'dataprod.sales.orders-enriched.v2', 'sales.orders-enriched.v2', 'sales.orders-enriched.v2.dlq'],
      ],
    );
    // Both read the same input: that is what a backfilling new major does.
    assert.equal(v1!.inputPorts[0]!.topic, v2!.inputPorts[0]!.topic);
  });

  it('refuses the same major of one id twice, naming both folders and the fix', async () => {
    const root = productsFolder({ a: major(1), b: (doc) => doc.set('version', '1.5.0') });
    const err = await loadError(root);
    assert.match(err.file, /b\/product\.yaml$/);
    assert.equal(err.issues.length, 1, JSON.stringify(err.issues));
    assert.equal(err.issues[0]!.path, 'version');
    assert.match(err.issues[0]!.message, /1\.5\.0 is the same major as .*a\/product\.yaml \(1\.0\.0\).*bump version to the next major/);
  });

  it('refuses two majors writing one dead-letter topic, with the fix', async () => {
    const shared = (n: number) => (doc: ReturnType<typeof parseDocument>) => {
      major(n)(doc);
      doc.set('deadLetter', { topic: 'sales.orders-enriched.dlq' });
    };
    const err = await loadError(productsFolder({ v1: shared(1), v2: shared(2) }));
    assert.equal(err.issues.length, 1, JSON.stringify(err.issues));
    assert.match(err.file, /v2\/product\.yaml$/);
    assert.equal(err.issues[0]!.path, 'deadLetter.topic');
    assert.match(
      err.issues[0]!.message,
      /^sales\.orders-enriched\.dlq is also written by sales\.orders-enriched 1\.0\.0 \(deadLetter\.topic of .*v1\/product\.yaml\); every major writes its own topics: remove deadLetter to get sales\.orders-enriched\.v<major>\.dlq/,
    );
  });
});
