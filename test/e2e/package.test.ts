/**
 * dataprod as a product team gets it: `npm pack`, installed into an empty folder outside the
 * checkout (dependencies from the npm registry or its cache), then `dataprod init` a product
 * repository, install the same tarball there, `validate`, `codegen --check`, `test`, `tsc`, and
 * `run` against the test stack, the output read back with Confluent's Python client. Every child
 * runs without the test runner's `--import tsx`, so TypeScript transforms load through the
 * package's own dependencies, as in a real install.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { waitUntil } from '../../src/devstack/net.js';
import type { Stack } from '../../src/devstack/index.js';
import { groupProgress } from '../support/kafka.js';
import { runPythonScript } from '../support/python-clients.js';
import { testStack, uniqueName } from '../support/stack.js';
import { runTool, type RunResult } from '../support/tools.js';
import { connectClients, workerEnv, type TestClients } from '../support/worker.js';

/** The environment of a user's shell: no tsx preloaded by the test runner. */
const { NODE_OPTIONS: _preload, ...userEnv } = process.env;

const ok = (r: RunResult, what: string) => assert.equal(r.code, 0, `${what} exited ${r.code}\n${r.stdout}\n${r.stderr}`);

describe('the npm package, installed outside the checkout', () => {
  const root = realpathSync(mkdtempSync(join(tmpdir(), 'dataprod-package-')));
  const app = join(root, 'app');
  const repo = join(root, 'repo');
  const name = uniqueName('pkg');
  const domain = 'e2e';
  let tarball: string;
  let clients: TestClients | undefined;
  let stack: Stack;

  const dataprod = (cwd: string, args: string[], env: NodeJS.ProcessEnv = userEnv) =>
    runTool(join(cwd, 'node_modules', '.bin', 'dataprod'), args, { cwd, env, timeoutMs: 120_000 });

  before(async () => {
    // --ignore-scripts: pack the dist/ that `npm test` built (and the kafkajs that `npm ci`
    // patched) instead of rebuilding dist/ under the other test files running beside this one.
    const pack = await runTool('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', root], { env: userEnv });
    ok(pack, 'npm pack');
    const [packed] = JSON.parse(pack.stdout) as { filename: string; size: number; unpackedSize: number; bundled: string[] }[];
    tarball = join(root, packed!.filename);
    assert.deepEqual(packed!.bundled, ['kafkajs']);
    console.error(
      `[package] ${packed!.filename}: ${(packed!.size / 1024).toFixed(0)} kB packed, ${(packed!.unpackedSize / 1024).toFixed(0)} kB unpacked`,
    );

    mkdirSync(app);
    const startedAt = Date.now();
    ok(
      await runTool('npm', ['install', '--no-audit', '--no-fund', '--no-package-lock', tarball], { cwd: app, env: userEnv }),
      'npm install',
    );
    console.error(`[package] installed into an empty folder in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  });

  after(async () => {
    await clients?.close();
    rmSync(root, { recursive: true, force: true });
  });

  it('has the dataprod binary and the public API with its types', async () => {
    const help = await dataprod(app, ['--help']);
    ok(help, 'dataprod --help');
    assert.match(help.stdout, /\binit\b/);
    const api = await runTool(
      process.execPath,
      ['--input-type=module', '-e', "const m = await import('dataprod'); console.log(Object.keys(m).sort().join(','))"],
      {
        cwd: app,
        env: userEnv,
      },
    );
    ok(api, 'import dataprod');
    assert.equal(api.stdout.trim(), 'ConfigError,DataprodError,Decimal,DescriptorError,defineTransform,isTransform');
    assert.ok(existsSync(join(app, 'node_modules', 'dataprod', 'dist', 'index.d.ts')));
    assert.ok(!existsSync(join(app, 'node_modules', 'dataprod', 'src')), 'ships dist/, not the sources');
  });

  it('ships kafkajs with the read_committed fix, and the worker loads that copy', () => {
    // Resolved the way the installed worker resolves it.
    const require = createRequire(join(app, 'node_modules', 'dataprod', 'dist', 'kafka', 'client.js'));
    const file = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
    assert.ok(file.startsWith(join(app, 'node_modules', 'dataprod', 'node_modules', 'kafkajs')), file);
    const filterAbortedMessages = require(file) as (args: {
      messages: { offset: string; batchContext: { producerId: string; inTransaction: boolean; isControlBatch: boolean } }[];
      abortedTransactions: { producerId: string; firstOffset: string }[];
    }) => { offset: string }[];
    // Producers 1 and 2 interleave and both abort; the broker lists the later-begun one first.
    // Unpatched kafkajs walks that list in order and lets offset 10 (producer 1) through.
    const record = (offset: number, producerId: string) => ({
      offset: String(offset),
      key: Buffer.from('k'),
      value: Buffer.from('v'),
      batchContext: { producerId, inTransaction: true, isControlBatch: false },
    });
    const kept = filterAbortedMessages({
      messages: [record(10, '1'), record(11, '2'), record(12, '1'), record(13, '2')],
      abortedTransactions: [
        { producerId: '2', firstOffset: '11' },
        { producerId: '1', firstOffset: '10' },
      ],
    });
    assert.deepEqual(
      kept.map((m) => m.offset),
      [],
    );
  });

  it('init writes a repository that passes validate, codegen --check, test and tsc from the installed package', async () => {
    const init = await dataprod(app, ['init', repo, '--name', name, '--domain', domain, '--owner', 'ana']);
    ok(init, 'dataprod init');
    assert.deepEqual(readdirSync(join(repo, 'products')), [name]);
    // What `npm install` does in the new repository, with this build instead of a published version.
    ok(await runTool('npm', ['install', '--no-audit', '--no-fund', tarball], { cwd: repo, env: userEnv }), 'npm install in the repository');

    const validate = await dataprod(repo, ['validate']);
    ok(validate, 'dataprod validate');
    assert.match(validate.stdout, new RegExp(`✔ products/${name}: ${domain}\\.${name} 1\\.0\\.0 \\(active\\)`));
    ok(await dataprod(repo, ['codegen', '--check']), 'dataprod codegen --check');
    const test = await dataprod(repo, ['test']);
    ok(test, 'dataprod test');
    assert.match(test.stdout, /5 passed, 0 failed/);
    ok(await runTool(join(repo, 'node_modules', '.bin', 'tsc'), ['--noEmit', '-p', repo], { cwd: repo, env: userEnv }), 'tsc --noEmit');
  });

  it("runs the product against Kafka; Confluent's Python client reads every output once", async () => {
    assert.ok(existsSync(join(repo, 'node_modules')), 'the init test installed the repository');
    stack = await testStack();
    clients = await connectClients(stack);
    const input = `raw.${name}`;
    const output = `${domain}.${name}.v1`;
    await clients.admin.createTopics({ waitForLeaders: true, topics: [{ topic: input, numPartitions: 3 }] });
    const schema = JSON.parse(readFileSync(join(repo, 'products', name, 'schemas', `raw-${name}.avsc`), 'utf8')) as avsc.Schema;
    const rawId = await new RegistryClient({ url: stack.schemaRegistryUrl }).register(`${input}-value`, schema as never);
    const type = avsc.Type.forSchema(schema);

    // 40 events: every tenth from the test source (filtered), every tenth + 1 negative (dead-lettered).
    const events = Array.from({ length: 40 }, (_, i) => ({
      id: `e-${i}`,
      source: i % 10 === 0 ? ' TEST ' : ` Source${i % 3} `,
      amount_cents: i % 10 === 1 ? -i : i * 25,
      country: 'PT',
      occurred_at: 1767225600000 + i,
    }));
    await clients.producer.send({
      topic: input,
      acks: -1,
      messages: events.map((e) => ({ key: e.id, value: frame(rawId, type.toBuffer(e)) })),
    });
    const published = events.filter((_, i) => i % 10 > 1);

    const worker = spawn(join(repo, 'node_modules', '.bin', 'dataprod'), ['run'], {
      cwd: repo,
      env: { ...userEnv, ...workerEnv(stack) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const log: string[] = [];
    worker.stdout.on('data', (c: Buffer) => log.push(c.toString()));
    worker.stderr.on('data', (c: Buffer) => log.push(c.toString()));
    const exited = once(worker, 'exit');
    try {
      // The reader may start before the worker created the topic: its "unknown topic" notices are not records.
      const read = (
        await runPythonScript<{ key: string; error?: string; value: { id: string; source: string; amount: number; country: string } }>(
          'confluent_read.py',
          [stack.brokers.join(','), stack.schemaRegistryUrl, output, String(published.length), '90'],
        )
      ).filter((r) => r.error === undefined);
      assert.deepEqual(read.map((r) => r.key).sort(), published.map((e) => e.id).sort());
      for (const r of read) {
        const sent = events.find((e) => e.id === r.key)!;
        assert.deepEqual(
          { id: r.value.id, source: r.value.source, amount: r.value.amount, country: r.value.country },
          { id: sent.id, source: sent.source.trim().toLowerCase(), amount: sent.amount_cents / 100, country: 'PT' },
        );
      }
      // Every input committed; exactly the published events on the product topic and the negative ones in the dead letters.
      const group = `dataprod.${domain}.${name}.v1`;
      await waitUntil(async () => (await groupProgress(clients!.admin, group, input)).committed === events.length, {
        timeoutMs: 60_000,
        what: 'every input committed',
      });
      assert.equal((await groupProgress(clients.admin, group, output)).end, published.length, 'records on the product topic');
      assert.equal((await groupProgress(clients.admin, group, `${domain}.${name}.dlq`)).end, 4, 'dead letters');
    } catch (err) {
      console.error(log.join('').slice(-4000));
      throw err;
    } finally {
      worker.kill('SIGTERM');
    }
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, log.join('').slice(-4000));
  });
});
