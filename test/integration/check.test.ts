/**
 * `dataprod check` as a real child process, on a product in a git repository made in a temporary
 * folder and against the real schema registry: v1 committed on main and registered; a breaking
 * v2 change refused (exit 1, naming the field, the reason and the fix) against the git ref and
 * against the registry, until the major is bumped; a transitive mode catching a change against an
 * older commit; an upstream writer schema our reader cannot resolve; the descriptor changes
 * consumers care about.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach, describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { registerOutputSchema } from '../../src/contracts/register.js';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import type { Stack } from '../../src/devstack/index.js';
import type { ProductReport } from '../../src/evolution/check.js';
import { loadProduct } from '../../src/product/index.js';
import { copyProduct, readSchema } from '../support/products.js';
import { testStack } from '../support/stack.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(repo, 'bin', 'dataprod.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `dataprod <args>` run in `cwd`, with the test runner's `--import tsx` taken out. */
function dataprod(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CliResult> {
  const childEnv = { ...env };
  const nodeOptions = (childEnv.NODE_OPTIONS ?? '').replace(/--import[= ]tsx\b/g, '').trim();
  if (nodeOptions) childEnv.NODE_OPTIONS = nodeOptions;
  else delete childEnv.NODE_OPTIONS;
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [bin, ...args], { cwd, env: childEnv, timeout: 60_000, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      if (err && typeof (err as { code?: unknown }).code !== 'number') reject(err);
      else resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const show = (r: CliResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

describe('dataprod check against a git ref and the real registry', () => {
  let stack: Stack;
  let registry: RegistryClient;
  let root: string;
  let dir: string;
  let outputTopic: string;
  let inputSubject: string;
  let env: NodeJS.ProcessEnv;
  const subjects: string[] = [];

  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, stdio: 'pipe' }).toString();
  const schemaFile = () => join(dir, 'schemas', 'orders-enriched.avsc');
  const readOutput = () => JSON.parse(readFileSync(schemaFile(), 'utf8')) as { fields: Record<string, unknown>[] };
  const writeOutput = (schema: unknown) => writeFileSync(schemaFile(), JSON.stringify(schema, null, 2) + '\n');
  function editDescriptor(edit: (doc: ReturnType<typeof parseDocument>) => void): void {
    const doc = parseDocument(readFileSync(join(dir, 'product.yaml'), 'utf8'));
    edit(doc);
    writeFileSync(join(dir, 'product.yaml'), doc.toString());
  }
  /** The v2 change: one field without a default (breaking), one with (compatible). */
  function addFields(): void {
    const schema = readOutput();
    schema.fields.push({ name: 'coupon_code', type: 'string' });
    schema.fields.push({ name: 'gift_note', type: ['null', 'string'], default: null });
    writeOutput(schema);
  }
  const check = (...args: string[]) => dataprod(['check', dir, ...args], root, env);

  before(async () => {
    stack = await testStack();
    registry = new RegistryClient({ url: stack.schemaRegistryUrl });
    const copy = copyProduct('orders-enriched');
    root = mkdtempSync(join(tmpdir(), 'dataprod-check-repo-'));
    dir = join(root, 'products', basename(copy.dir));
    cpSync(copy.dir, dir, { recursive: true });
    copy.remove();
    outputTopic = copy.outputTopic;
    inputSubject = copy.inputSubject;
    subjects.push(`${outputTopic}-value`, inputSubject);
    git('init', '-q', '-b', 'main');
    git('config', 'user.email', 'ci@example.com');
    git('config', 'user.name', 'ci');
    git('add', '.');
    git('commit', '-qm', 'v1');
    env = { ...process.env, SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl };
    delete env.KAFKA_BROKERS;
    // v1 is live: its output schema registered, and upstream's writer schema under the input subject.
    // (registerOutputSchema is what `dataprod register` does; the temporary repo cannot import the transform's `dataprod`.)
    const { descriptor } = await loadProduct(dir, { loadTransform: false });
    await registerOutputSchema(registry, descriptor, descriptor.output);
    await registry.register(inputSubject, readSchema('orders-enriched', 'raw-order.avsc'));
  });

  // Each test starts from the working tree of main's latest commit.
  beforeEach(() => git('checkout', '-q', '--', '.'));

  after(async () => {
    for (const s of subjects) {
      for (const q of ['', '?permanent=true'])
        await fetch(`${stack.schemaRegistryUrl.replace(/\/+$/, '')}/subjects/${encodeURIComponent(s)}${q}`, { method: 'DELETE' }).catch(
          () => undefined,
        );
    }
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it('passes an unchanged product against main and against the registry, upstream writers included', async () => {
    const git = await check('--against', 'main');
    assert.equal(git.code, 0, show(git));
    assert.match(git.stdout, /no breaking change/);
    assert.match(git.stdout, /no schema change/);
    assert.match(git.stdout, /the reader schema resolves all 1 registered writer version\b/);
    const reg = await check('--against', 'registry');
    assert.equal(reg.code, 0, show(reg));
    assert.match(reg.stdout, new RegExp(`1 registered version of ${outputTopic.replace(/\./g, '\\.')}-value`));
  });

  it('refuses a field added without a default, naming the field, the reason and the fix', async () => {
    addFields();
    const next = outputTopic.replace(/\.v1$/, '.v2');
    for (const against of ['main', 'registry']) {
      const r = await check('--against', against);
      assert.equal(r.code, 1, show(r));
      assert.match(r.stdout, /✖ .* 1 breaking change without a major bump/);
      assert.match(
        r.stdout,
        /coupon_code +added without default +BREAKING +field-added-without-default: .*fix: give coupon_code a default/,
      );
      assert.match(r.stdout, /gift_note +added with default null +compatible/);
      assert.ok(r.stdout.includes(`the topic becomes ${next}`), show(r));
    }
    const json = await check('--against', 'main', '--json');
    assert.equal(json.code, 1, show(json));
    const [report] = JSON.parse(json.stdout) as ProductReport[];
    assert.equal(report!.failed, true);
    assert.deepEqual(
      report!.outputs[0]!.changes.map((c) => [c.path, c.breaking, c.reason ?? null]),
      [
        ['coupon_code', true, 'field-added-without-default'],
        ['gift_note', false, null],
      ],
    );
  });

  it('accepts the same change once the major is bumped (a new topic)', async () => {
    addFields();
    editDescriptor((doc) => {
      doc.set('version', '2.0.0');
      doc.setIn(['outputPorts', 0, 'topic'], outputTopic.replace(/\.v1$/, '.v2'));
    });
    const g = await check('--against', 'main');
    assert.equal(g.code, 0, show(g));
    assert.match(g.stdout, /1\.0\.0 -> 2\.0\.0: 1 breaking change, allowed by the new major/);
    assert.match(g.stdout, /coupon_code +added without default +breaking \(new major\)/);
    const r = await check('--against', 'registry');
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /nothing registered under .*\.v2-value \(a first version or a new major\)/);
  });

  it('compares with every version reachable from the ref under a transitive mode', async () => {
    // main gets a second version that adds gift_note with a default; dropping the default now
    // reads fine against main's latest but not against v1, which had no gift_note at all.
    const schema = readOutput();
    schema.fields.push({ name: 'gift_note', type: 'string', default: '' });
    writeOutput(schema);
    git('commit', '-qam', 'v1.1: gift_note');
    delete schema.fields[schema.fields.length - 1]!.default;
    writeOutput(schema);
    const r = await check('--against', 'main');
    assert.equal(r.code, 1, show(r));
    assert.match(r.stdout, /compared with 2 versions reachable from main \(\w+\) in v1 \(git history\)/);
    assert.match(r.stdout, /gift_note +added without default +BREAKING \(vs commit \w+\)/);
  });

  it('reports the descriptor changes consumers care about, without failing on them', async () => {
    editDescriptor((doc) => {
      doc.setIn(['outputPorts', 0, 'classification', 'customer_id'], 'pii');
      doc.set('quality', []);
      doc.setIn(['slaProperties', 0, 'value'], 120);
      doc.set('status', 'deprecated');
      doc.set('sunset', '2027-03-31');
      doc.set('successor', 2);
    });
    const r = await check('--against', 'main');
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /customer_id is newly classified pii/);
    assert.match(r.stdout, /quality rule shipping-cost-non-negative \(shipping_cost\) is removed/);
    assert.match(r.stdout, /the latency SLA is loosened: was 99\.5% of records published within 30s.*now .*within 2m/);
    assert.match(r.stdout, /status changes from active to deprecated/);
    assert.match(r.stdout, /sunset: the product stops on 2027-03-31; its successor is .*\.v2/);
  });

  it('fails when upstream registered a writer schema our reader cannot resolve', async () => {
    await registry.setCompatibility(inputSubject, 'NONE');
    const raw = readSchema('orders-enriched', 'raw-order.avsc') as { fields: { name: string }[] };
    await registry.register(inputSubject, { ...raw, fields: raw.fields.filter((f) => f.name !== 'currency') });
    const r = await check('--against', 'main');
    assert.equal(r.code, 1, show(r));
    assert.match(r.stdout, /1 of 2 registered writer versions cannot be read/);
    assert.match(r.stdout, /registry version 2 \(id \d+\): currency: a reader of the new schema finds no currency in old data/);
  });

  it('says what is wrong with --against', async () => {
    const missing = await dataprod(['check', dir], root, env);
    assert.equal(missing.code, 1, show(missing));
    assert.match(missing.stderr, /--against: required: a git ref/);
    const bad = await check('--against', 'no-such-branch');
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stderr, /--against no-such-branch: no such git ref/);
  });
});
