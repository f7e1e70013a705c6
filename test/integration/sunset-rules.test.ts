/**
 * The sunset ticket of `dataprod rules` under the real Prometheus rule engine: rules generated
 * for the example orders-enriched product made deprecated (sunset 1970-01-21, 20 days after
 * promtool's time 0; successor 2), then `promtool check rules` and `promtool test rules` on
 * test/promtool/lifecycle/sunset.test.yml. The example products themselves have no sunset: their
 * rule file has no lifecycle group (test/integration/promtool.test.ts).
 */
import assert from 'node:assert/strict';
import { copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { requireTool, runTool as run, type RunResult } from '../support/tools.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const SCENARIO = join(repo, 'test', 'promtool', 'lifecycle', 'sunset.test.yml');
const dataprod = (args: string[]) => run(process.execPath, ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), ...args]);
const show = (r: RunResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

describe('the sunset ticket under promtool', () => {
  let dir: string;
  let generated: RunResult;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dataprod-sunset-rules-'));
    // The product keeps its id (sales.orders-enriched): the scenario names its series.
    const product = join(dir, 'orders-enriched');
    cpSync(join(repo, 'products', 'orders-enriched'), product, { recursive: true });
    const file = join(product, 'product.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace(/^status: active$/m, 'status: deprecated\nsunset: "1970-01-21"\nsuccessor: 2'));
    generated = await dataprod(['rules', product, 'products/page-views', '--out', join(dir, 'generated-rules.yml')]);
  });

  after(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('adds one lifecycle group with the ticket, for the deprecated product only', () => {
    assert.equal(generated.code, 0, show(generated));
    const text = readFileSync(join(dir, 'generated-rules.yml'), 'utf8');
    assert.equal(text.match(/- name: dataprod\.[^\n]*\.lifecycle$/gm)?.join(), '- name: dataprod.sales.orders-enriched.lifecycle');
    assert.equal(text.match(/alert: DataprodProductSunsetWithConsumers/g)?.length, 1);
  });

  it('passes promtool check rules and the sunset scenario', async () => {
    requireTool('promtool', 'apt-get install prometheus');
    const check = await run('promtool', ['check', 'rules', join(dir, 'generated-rules.yml')]);
    assert.equal(check.code, 0, show(check));
    copyFileSync(SCENARIO, join(dir, 'sunset.test.yml'));
    const r = await run('promtool', ['test', 'rules', 'sunset.test.yml'], { cwd: dir });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /SUCCESS/);
  });
});
