/**
 * The catalogue `dataprod export` writes, read by the tools of the standards' own authors:
 * datacontract-cli lints every ODCS contract, dataproduct-cli lints every ODPS descriptor and
 * resolves (and lints) the contracts its ports link. A broken copy must fail each, so a lint that
 * passes everything would be caught.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { catalogTools } from '../support/python-clients.js';
import { runTool } from '../support/tools.js';

describe('dataprod export, linted by datacontract-cli and dataproduct-cli', () => {
  const out = mkdtempSync(join(tmpdir(), 'dataprod-catalog-'));
  let bin: string;
  const env = () => ({ ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, NO_COLOR: '1', COLUMNS: '200' });

  before(async () => {
    bin = await catalogTools();
    for (const format of ['odcs', 'odps']) {
      const run = await runTool(process.execPath, ['bin/dataprod.js', 'export', 'products', '--format', format, '--out-dir', out]);
      assert.equal(run.code, 0, run.stdout + run.stderr);
    }
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  const files = (suffix: string) =>
    readdirSync(out)
      .filter((f) => f.endsWith(suffix))
      .sort();

  it('every ODCS contract passes datacontract lint', async () => {
    // products/ holds orders-by-tier too (lookups, a draft): export takes every product, drafts included.
    assert.deepEqual(files('.odcs.yaml'), [
      'sales.orders-by-tier.orders.input.odcs.yaml',
      'sales.orders-by-tier.v1.odcs.yaml',
      'sales.orders-enriched.orders.input.odcs.yaml',
      'sales.orders-enriched.v1.odcs.yaml',
      'web.page-views.clicks.input.odcs.yaml',
      'web.page-views.v1.odcs.yaml',
    ]);
    for (const file of files('.odcs.yaml')) {
      const lint = await runTool(join(bin, 'datacontract'), ['lint', file], { cwd: out, env: env() });
      assert.equal(lint.code, 0, `${file}\n${lint.stdout}${lint.stderr}`);
      assert.match(lint.stdout, /Data contract is valid/);
    }
  });

  it('every ODPS descriptor passes dataproduct lint, its linked contracts found and linted', async () => {
    assert.deepEqual(files('.odps.yaml'), [
      'sales.orders-by-tier.odps.yaml',
      'sales.orders-enriched.odps.yaml',
      'web.page-views.odps.yaml',
    ]);
    for (const file of files('.odps.yaml')) {
      const lint = await runTool(join(bin, 'dataproduct'), ['lint', '--local-references', file], { cwd: out, env: env() });
      assert.equal(lint.code, 0, `${file}\n${lint.stdout}${lint.stderr}`);
      const text = lint.stdout.replace(/\s+/g, ' ');
      assert.match(text, /Data product is valid against ODPS v1\.0\.0/);
      assert.equal((text.match(/is resolvable: Found at/g) ?? []).length, 2, text);
      assert.equal((text.match(/passes datacontract lint/g) ?? []).length, 2, text);
      assert.doesNotMatch(text, /⚠️|❌/);
    }
  });

  it('a contract or descriptor that breaks the standard fails the lint', async () => {
    const contract = readFileSync(join(out, 'web.page-views.v1.odcs.yaml'), 'utf8').replace(
      'logicalType: timestamp',
      'logicalType: instant',
    );
    writeFileSync(join(out, 'broken.yaml'), contract);
    const lintContract = await runTool(join(bin, 'datacontract'), ['lint', 'broken.yaml'], { cwd: out, env: env() });
    assert.notEqual(lintContract.code, 0, lintContract.stdout);

    const product = readFileSync(join(out, 'web.page-views.odps.yaml'), 'utf8').replace(/^ {4}contractId: .*\n/m, '');
    writeFileSync(join(out, 'broken-product.yaml'), product);
    const lintProduct = await runTool(join(bin, 'dataproduct'), ['lint', '--no-resolve-references', 'broken-product.yaml'], {
      cwd: out,
      env: env(),
    });
    assert.notEqual(lintProduct.code, 0, lintProduct.stdout);
  });
});
