import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { findProductDirs } from '../../../src/product/discover.js';
import { DataprodError } from '../../../src/errors.js';

describe('findProductDirs', () => {
  let root: string;
  const cwd = process.cwd();

  before(() => {
    root = mkdtempSync(join(tmpdir(), 'dataprod-discover-'));
    for (const name of ['b-product', 'a-product', 'not-a-product']) mkdirSync(join(root, 'products', name), { recursive: true });
    writeFileSync(join(root, 'products', 'a-product', 'product.yaml'), 'kind: DataProduct\n');
    writeFileSync(join(root, 'products', 'b-product', 'product.yaml'), 'kind: DataProduct\n');
    writeFileSync(join(root, 'products', 'README.md'), 'not a folder\n');
    mkdirSync(join(root, 'empty'));
    writeFileSync(join(root, 'file.txt'), 'x\n');
  });

  after(() => {
    process.chdir(cwd);
    rmSync(root, { recursive: true, force: true });
  });

  it('expands a folder of products into its product subfolders, sorted and absolute', () => {
    assert.deepEqual(findProductDirs([join(root, 'products')]), [join(root, 'products', 'a-product'), join(root, 'products', 'b-product')]);
  });

  it('accepts a product folder itself, and deduplicates', () => {
    const a = join(root, 'products', 'a-product');
    assert.deepEqual(findProductDirs([a, join(root, 'products'), `${a}/`]), [a, join(root, 'products', 'b-product')]);
  });

  it('resolves relative paths and defaults to ./products', () => {
    process.chdir(root);
    try {
      assert.deepEqual(findProductDirs([]), [join(root, 'products', 'a-product'), join(root, 'products', 'b-product')]);
      assert.deepEqual(findProductDirs(['products/b-product']), [join(root, 'products', 'b-product')]);
    } finally {
      process.chdir(cwd);
    }
  });

  it('throws CONFIG_INVALID naming every path that is neither', () => {
    assert.throws(
      () => findProductDirs([join(root, 'empty'), join(root, 'missing'), join(root, 'file.txt'), join(root, 'products')]),
      (err: unknown) => {
        assert.ok(err instanceof DataprodError);
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.match(err.message, /empty: is neither a product folder/);
        assert.match(err.message, /missing: does not exist/);
        assert.match(err.message, /file\.txt: is not a folder/);
        return true;
      },
    );
  });

  it('finds the test fixtures', () => {
    const dirs = findProductDirs([new URL('../../fixtures/products', import.meta.url).pathname]);
    const names = dirs.map((d) => d.split('/').pop());
    assert.deepEqual(names, ['broken', 'logical-types', 'minimal', 'transform-throws', 'valid', 'yaml-syntax']);
  });
});
