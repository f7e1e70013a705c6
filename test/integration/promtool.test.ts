/**
 * The rules of `dataprod rules` under the real Prometheus rule engine: `promtool check rules` on
 * the file generated for the example products, then `promtool test rules` on the scenarios of
 * test/promtool/*.test.yml (synthetic series in, alerts that must fire or stay silent out).
 * The scenarios name their rule file `generated-rules.yml`: each is copied next to the file
 * generated into a temporary folder. promtool comes from Debian's `prometheus` package; without
 * it the tests are skipped, except under CI.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { copyProduct, type ProductCopy } from '../support/products.js';
import { requireTool, runTool as run, type RunResult } from '../support/tools.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const scenarios = join(repo, 'test', 'promtool');
const RULES_FILE = 'generated-rules.yml';
const PROMTOOL_HINT = 'apt-get install prometheus';

/** `dataprod <args>` from the sources (no build needed). */
const dataprod = (args: string[]) => run(process.execPath, ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), ...args]);

const show = (r: RunResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

describe('dataprod rules under promtool', () => {
  let dir: string;
  let rulesFile: string;
  let generated: RunResult;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dataprod-rules-'));
    rulesFile = join(dir, RULES_FILE);
    generated = await dataprod(['rules', 'products/orders-enriched', 'products/page-views', '--out', rulesFile]);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('writes one rule file for the example products, the same as it prints without --out', async () => {
    assert.equal(generated.code, 0, show(generated));
    assert.match(generated.stdout, /^wrote .*generated-rules\.yml: 92 rules in 4 groups for sales\.orders-enriched, web\.page-views$/m);
    const printed = await dataprod(['rules', 'products']);
    assert.equal(printed.code, 0, show(printed));
    // products/ also holds orders-by-tier, a draft (it needs a CRM topic): skipped, and said so.
    assert.equal(printed.stderr, 'skipped sales.orders-by-tier: status draft, runs only with --include-draft\n');
    assert.equal(printed.stdout, readFileSync(rulesFile, 'utf8'));
  });

  it('passes promtool check rules', async () => {
    requireTool('promtool', PROMTOOL_HINT);
    assert.equal(generated.code, 0, show(generated));
    const r = await run('promtool', ['check', 'rules', rulesFile]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /SUCCESS: 92 rules found/);
    assert.doesNotMatch(`${r.stdout}${r.stderr}`, /duplicate|warning/i);
  });

  const files = readdirSync(scenarios)
    .filter((f) => f.endsWith('.test.yml'))
    .sort();

  it('has the scenarios: healthy, page burns, freshness, stall, dead-letter failures, absent metrics', () => {
    for (const f of [
      'healthy',
      'error-rate-burn',
      'latency-burn',
      'freshness',
      'consumer-stalled',
      'dlq-publish-failing',
      'metrics-absent',
      'product-not-running',
      'low-traffic',
      'partition-stalled',
      'backfilling',
    ]) {
      assert.ok(files.includes(`${f}.test.yml`), `test/promtool/${f}.test.yml is missing`);
    }
  });

  for (const file of files) {
    it(`passes promtool test rules ${file}`, async () => {
      requireTool('promtool', PROMTOOL_HINT);
      assert.equal(generated.code, 0, show(generated));
      assert.match(readFileSync(join(scenarios, file), 'utf8'), new RegExp(`^rule_files: \\[${RULES_FILE.replace('.', '\\.')}\\]$`, 'm'));
      copyFileSync(join(scenarios, file), join(dir, file));
      const r = await run('promtool', ['test', 'rules', file], { cwd: dir });
      assert.equal(r.code, 0, show(r));
      assert.match(r.stdout, /SUCCESS/);
    });
  }
});

describe('dataprod rules refuses what it cannot measure', () => {
  let copy: ProductCopy | undefined;
  after(() => copy?.remove());

  it('exits 1 on a latency threshold that is not a histogram bucket, naming the product, the property and the valid values', async () => {
    copy = copyProduct('orders-enriched', (doc) => {
      doc.setIn(['slaProperties', 0, 'value'], 45);
    });
    const r = await dataprod(['rules', copy.dir]);
    assert.equal(r.code, 1, show(r));
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^dataprod rules: .*product\.yaml: 1 problem$/m);
    assert.match(
      r.stderr,
      new RegExp(
        `slaProperties\\[0\\]\\.value: product ${copy.id.replace(/\./g, '\\.')}, latency: 45 s is not a bucket boundary of dataprod_append_to_publish_seconds.*use one of 5ms, .*, 30s, 1m, 2m, 5m, 10m$`,
        'm',
      ),
    );
  });
});
