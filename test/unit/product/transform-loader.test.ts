import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadTransform } from '../../../src/product/transform-loader.js';
import { DataprodError } from '../../../src/errors.js';
import { isTransform, type TransformContext } from '../../../src/transform.js';

const TRANSFORMS = fileURLToPath(new URL('../../fixtures/products/transforms/', import.meta.url));
const ctx = {} as TransformContext;

const tmpRoots: string[] = [];
after(() => {
  for (const dir of tmpRoots) rmSync(dir, { recursive: true, force: true });
});

async function loadFailure(file: string): Promise<DataprodError> {
  const err = await loadTransform(file).then(
    () => assert.fail(`expected ${file} to fail`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof DataprodError, `expected a DataprodError, got ${String(err)}`);
  assert.equal(err.code, 'TRANSFORM_LOAD_FAILED');
  return err;
}

describe('loadTransform', () => {
  it('returns what defineTransform returned', async () => {
    const t = await loadTransform(join(TRANSFORMS, 'define.ts'));
    assert.ok(isTransform(t));
    assert.deepEqual(t.fn({ n: 1 }, ctx), { n: 2 });
  });

  it('wraps a plain function default export (TypeScript and JavaScript)', async () => {
    for (const file of ['plain.ts', 'plain.js']) {
      const t = await loadTransform(join(TRANSFORMS, file));
      assert.ok(isTransform(t), file);
      assert.deepEqual(t.fn({ n: 3 }, ctx), { n: 6 });
      assert.ok(Object.isFrozen(t));
    }
  });

  it('rejects a module without a default export, naming what it exports', async () => {
    const err = await loadFailure(join(TRANSFORMS, 'no-default.ts'));
    assert.match(err.message, /no-default\.ts has no default export \(it exports only helper\)/);
    assert.match(err.message, /export default defineTransform\(\(event, ctx\) => \.\.\.\)/);
  });

  it('rejects a default export that is a number', async () => {
    const err = await loadFailure(join(TRANSFORMS, 'number.ts'));
    assert.match(err.message, /default export that is a number \(42\), not a transform/);
    assert.match(err.message, /export default defineTransform\(\(event, ctx\) => \.\.\.\)/);
  });

  it('reports a module that throws on import, with the error message and cause', async () => {
    const err = await loadFailure(join(TRANSFORMS, 'throws.ts'));
    assert.match(err.message, /failed to import: boom at import time/);
    assert.ok(err.cause instanceof Error);
  });

  it('reports a syntax error in the module', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dataprod-transform-'));
    tmpRoots.push(dir);
    const file = join(dir, 'transform.mts');
    writeFileSync(file, 'export default (event => {;\n');
    const err = await loadFailure(file);
    assert.match(err.message, /failed to import: .*ERROR/);
  });

  it('rejects an async transform: the hot path has no Promise per record', async () => {
    const err = await loadFailure(join(TRANSFORMS, 'async.ts'));
    assert.match(err.message, /must be synchronous/);
  });

  it('reports a missing file', async () => {
    const err = await loadFailure(join(TRANSFORMS, 'missing.ts'));
    assert.match(err.message, /missing\.ts does not exist/);
  });
});
