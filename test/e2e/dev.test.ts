/**
 * `dataprod dev` as a product author runs it: against the test stack (KAFKA_BROKERS /
 * SCHEMA_REGISTRY_URL given, as a developer with a stack of their own would), it creates the input
 * topic and registers its contract, serves the status page, restarts the worker when the transform
 * changes (the new transform decides the next record), and on SIGINT stops with exit 0 leaving no
 * process behind. A product with a lookup table (orders-by-tier) gets its table topic created
 * compacted, so its worker starts (it refuses to without the topic).
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Producer } from 'kafkajs';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import type { Stack } from '../../src/devstack/index.js';
import { freePort, waitUntil } from '../../src/devstack/net.js';
import { rawOrder } from '../../src/tools/demo/generators.js';
import { groupProgress } from '../support/kafka.js';
import { copyProductFolder } from '../../src/devstack/product-copy.js';
import { copyProduct, editTransform, readSchema, type ProductCopy } from '../support/products.js';
import { testStack, uniqueName } from '../support/stack.js';
import { connectClients } from '../support/worker.js';

const bin = fileURLToPath(new URL('../../bin/dataprod.js', import.meta.url));
const rawType = avsc.Type.forSchema(readSchema('orders-enriched', 'raw-order.avsc') as avsc.Schema);

/** Processes whose command line names `text` (the product copy's folder is unique to this test). */
const processesNaming = (text: string) =>
  execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.includes(text) && !line.includes('ps -eo'));

/** `dataprod dev <dir>` against the test stack, its status page on a free port, its output collected. */
async function startDev(dir: string, stack: Stack) {
  const port = await freePort();
  const log: string[] = [];
  const child = spawn(process.execPath, [bin, 'dev', dir], {
    env: {
      ...process.env,
      KAFKA_BROKERS: stack.brokers.join(','),
      SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
      DATAPROD_HTTP_HOST: '127.0.0.1',
      DATAPROD_HTTP_PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (c: Buffer) => log.push(c.toString()));
  child.stderr.on('data', (c: Buffer) => log.push(c.toString()));
  return {
    child,
    port,
    exited: once(child, 'exit'),
    text: () => log.join(''),
    /** The status page's catalogue lists the product as running. */
    async running(id: string): Promise<boolean> {
      const res = await fetch(`http://127.0.0.1:${port}/products`).catch(() => undefined);
      if (!res?.ok) return false;
      const { products } = (await res.json()) as { products: { id: string; state: string }[] };
      return products.some((p) => p.id === id && p.state === 'running');
    },
  };
}

describe('dataprod dev', { timeout: 240_000 }, () => {
  let stack: Stack;
  let admin: Admin;
  let producer: Producer;
  let product: ProductCopy;

  before(async () => {
    stack = await testStack();
    ({ admin, producer } = await connectClients(stack));
    product = copyProduct('orders-enriched');
  });

  after(async () => {
    await producer?.disconnect().catch(() => undefined);
    await admin?.deleteTopics({ topics: [product.inputTopic, product.outputTopic, product.dlqTopic] }).catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    product?.remove();
  });

  it('registers the input contract, serves the status page, reloads on a transform change and stops clean', async () => {
    const { child, port, exited, text, running } = await startDev(product.dir, stack);
    const workersStarted = () => (text().match(/worker started \(pid \d+\)/g) ?? []).length;
    /** The worker (first or restarted) runs the product. */
    const pageServed = () => running(product.id);
    const send = async (seq: number) => {
      const id = (await new RegistryClient({ url: stack.schemaRegistryUrl }).latest(product.inputSubject))!.id;
      await producer.send({
        topic: product.inputTopic,
        acks: -1,
        messages: [{ key: `o-${seq}`, value: frame(id, rawType.toBuffer(rawOrder(seq, Date.now(), 'valid'))) }],
      });
    };
    const committed = (n: number) => async () => (await groupProgress(admin, product.group, product.inputTopic)).committed === n;

    try {
      await waitUntil(pageServed, { timeoutMs: 90_000, what: 'the status page of dataprod dev' });
      assert.match(text(), new RegExp(`registered the contract of ${product.inputTopic.replace(/\./g, '\\.')} under`));
      assert.equal((await fetch(`http://127.0.0.1:${port}/`)).headers.get('content-type')?.startsWith('text/html'), true);
      // The first worker publishes a valid order.
      await send(1);
      await waitUntil(committed(1), { timeoutMs: 60_000, what: 'the first order committed' });
      assert.equal((await groupProgress(admin, product.group, product.outputTopic)).end, 1);

      // A transform that filters every order: the restarted worker filters the next one.
      editTransform(product, (source) => source.replace('  if (order.is_test) return null;', '  if (order.is_test || order) return null;'));
      await waitUntil(async () => workersStarted() === 2 && (await pageServed()), { timeoutMs: 90_000, what: 'the restarted worker' });
      await send(2);
      await waitUntil(committed(2), { timeoutMs: 60_000, what: 'the second order committed' });
      assert.equal(
        (await groupProgress(admin, product.group, product.outputTopic)).end,
        1,
        'the edited transform filtered the second order',
      );
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      assert.match(metrics, new RegExp(`dataprod_records_filtered_total\\{product="${product.id}"[^}]*\\} 1\\b`));
    } catch (err) {
      console.error(text().slice(-4000));
      throw err;
    } finally {
      child.kill('SIGINT');
    }
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0, text().slice(-3000));
    assert.match(text(), /\[dev\] stopped/);
    assert.deepEqual(processesNaming(product.dir), [], 'no process of the session is left');
  });

  it('creates the compacted topic of a lookup table, so a product with lookups starts', async () => {
    const lookupTopic = uniqueName('crm.customers');
    const byTier = copyProductFolder(fileURLToPath(new URL('../../products/orders-by-tier', import.meta.url)), 'test-products', {
      edit: (doc) => {
        doc.set('status', 'active');
        doc.setIn(['lookups', 0, 'topic'], lookupTopic);
      },
    });
    const { child, exited, text, running } = await startDev(byTier.dir, stack);
    try {
      // Its (empty) table restored at once, the product processes: running on an empty input.
      await waitUntil(() => running(byTier.id), { timeoutMs: 90_000, what: 'the product with a lookup running under dataprod dev' });
      assert.match(text(), new RegExp(`created lookup topics ${lookupTopic.replace(/\./g, '\\.')} \\(compacted\\)`));
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: 2, name: lookupTopic, configNames: ['cleanup.policy'] }],
      });
      assert.equal(resources[0]!.configEntries[0]!.configValue, 'compact');
    } catch (err) {
      console.error(text().slice(-4000));
      throw err;
    } finally {
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      await admin.deleteTopics({ topics: [lookupTopic, byTier.inputTopic, byTier.outputTopic, byTier.dlqTopic] }).catch(() => undefined);
      byTier.remove();
      assert.equal(code, 0, text().slice(-3000));
    }
  });
});
