/**
 * The status page at `/`, in a real browser (Debian's headless Chromium through playwright-core)
 * against a real worker on the test stack: the catalogue is rendered from /api/status, the
 * numbers and charts move while records flow, a failing poll shows a banner that goes away when
 * polling works again, and the page loads nothing from anywhere but the worker.
 */
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import avsc from 'avsc';
import type { Admin, Producer } from 'kafkajs';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import { loadProduct } from '../../src/product/load.js';
import type { RuntimeConfig } from '../../src/config/runtime.js';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { frame } from '../../src/contracts/wire.js';
import { kindOf, rawOrder } from '../../src/tools/demo/generators.js';
import { waitUntil } from '../../src/devstack/net.js';
import type { StatusSnapshot } from '../../src/observability/http.js';
import { createLogger } from '../../src/observability/logger.js';
import { Worker } from '../../src/runtime/worker.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack } from '../support/stack.js';
import { requireTool } from '../support/tools.js';
import { cleanUpInProcess, connectClients, workerConfig } from '../support/worker.js';

const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);
const SCREENSHOT = join(tmpdir(), 'dataprod-status-page.png');

/** Debian's Chromium, headless, as root (no sandbox) and with nothing reaching for the network. */
function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    timeout: 60_000,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** The number a card shows, e.g. "1,234" -> 1234, "12.5 /s" -> 12.5, "—" -> NaN. */
async function shown(locator: Locator): Promise<number> {
  return Number.parseFloat(((await locator.textContent()) ?? '').replace(/,/g, ''));
}

describe('status page', { timeout: 240_000 }, () => {
  let admin: Admin | undefined;
  let producer: Producer | undefined;
  let browser: Browser | undefined;
  let config: Readonly<RuntimeConfig>;
  const copies: ProductCopy[] = [];
  const workers: Worker[] = [];

  after(async () => {
    await browser?.close().catch(() => undefined);
    await cleanUpInProcess({ workers, copies, admin, producer });
  });

  before(async () => {
    const stack = await testStack();
    ({ admin, producer } = await connectClients(stack));
    config = workerConfig(stack);
  });

  /** One browser for the file, launched by the first test that needs it. */
  async function launched(): Promise<Browser> {
    browser ??= await launchChromium();
    return browser;
  }

  /** A page that fails the test on a script error and records every URL it requests. */
  async function openPage(url: string): Promise<{ page: Page; requests: string[]; errors: string[] }> {
    const page = await browser!.newPage({ viewport: { width: 1280, height: 760 } });
    page.setDefaultTimeout(30_000);
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('pageerror', (err) => errors.push(err.message));
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    await page.goto(url);
    return { page, requests, errors };
  }

  it('lists the product and shows live numbers and charts from a running worker', async () => {
    requireTool('chromium');
    await launched();
    const product = copyProduct('orders-enriched');
    copies.push(product);
    await admin!.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic, numPartitions: 1 }] });
    const rawId = await new RegistryClient({ url: config.registry.url }).register(product.inputSubject, rawSchema);
    const worker = new Worker({ config, products: [await loadProduct(product.dir)], logger: createLogger('warn') });
    workers.push(worker);
    await worker.start();

    // The demo's mix: mostly valid orders, some filtered and some dead-lettered on purpose.
    let seq = 0;
    const produce = async (count: number) => {
      const now = Date.now();
      const messages = Array.from({ length: count }, () => seq++).map((s) => ({
        key: `o-${s}`,
        value: kindOf(s) === 'not-avro' ? Buffer.from(`{"order_id":"o-${s}"}`) : frame(rawId, rawType.toBuffer(rawOrder(s, now))),
      }));
      await producer!.send({ topic: product.inputTopic, acks: -1, messages });
    };
    const status = async () => (await (await fetch(`${worker.controlUrl}/api/status`)).json()) as StatusSnapshot;
    const consumedUpTo = (n: number) =>
      waitUntil(async () => (await status()).products[0]!.counters.consumed === n, {
        what: `the worker to consume ${n} records`,
        timeoutMs: 60_000,
      });

    await produce(100);
    await consumedUpTo(100);

    // Served as one self-contained document: no script, style or image from anywhere else.
    const res = await fetch(`${worker.controlUrl}/`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    const html = await res.text();
    assert.doesNotMatch(html, /(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i);

    const { page, requests, errors } = await openPage(`${worker.controlUrl}/`);
    const card = page.locator(`article[data-product="${product.id}"]`);
    const field = (name: string) => card.locator(`[data-f="${name}"]`);
    await card.waitFor();
    const snapshot = await status();
    const p = snapshot.products[0]!;
    assert.equal(await page.locator('#version').textContent(), snapshot.dataprod);
    assert.equal(await card.getAttribute('aria-labelledby'), await field('name').getAttribute('id'), 'the card is named by its heading');
    assert.equal(await field('name').textContent(), p.name);
    assert.equal(await field('id').textContent(), product.id);
    assert.equal(await field('version').textContent(), '1.0.0');
    assert.equal(await field('status').textContent(), 'active');
    assert.equal(await field('state').textContent(), 'running');
    assert.equal(await field('owners').textContent(), p.owners.join(', '));
    assert.match((await field('owners').textContent())!, /ana\.ribeiro/);
    assert.equal(await field('inputs').textContent(), product.inputTopic);
    assert.equal(await field('output').textContent(), product.outputTopic);
    assert.equal(await field('dlq').textContent(), product.dlqTopic);
    assert.match((await field('purpose').textContent())!, /customer order/);
    assert.ok(await field('reason').isHidden(), 'no reason line while running');
    assert.ok(await page.locator('#empty').isHidden());
    assert.ok(await page.locator('#error').isHidden());

    await waitUntil(async () => (await shown(field('consumed'))) === 100, { what: 'the page to show 100 consumed', timeoutMs: 10_000 });
    assert.equal(await shown(field('published')), p.counters.published);
    assert.equal(await shown(field('deadLettered')), p.counters.deadLettered);
    // Lag is a number (0 when caught up); freshness a duration, or "—" while unknown.
    assert.ok(Number.isFinite(await shown(field('lagRecords'))));
    assert.match((await field('freshness').textContent())!, /^(?:—|\d+(?:\.\d)? (?:s|min))$/);

    // More records while the page is open: the counters and the throughput move without a reload.
    // "—" (NaN) is what a card shows before it has two polls to compute a rate from.
    let peak = 0;
    const sampleThroughput = async () => {
      const rate = await shown(field('throughput'));
      if (Number.isFinite(rate)) peak = Math.max(peak, rate);
    };
    for (let i = 0; i < 10; i++) {
      await produce(30);
      await new Promise((r) => setTimeout(r, 500));
      await sampleThroughput();
    }
    await consumedUpTo(400);
    await waitUntil(
      async () => {
        await sampleThroughput();
        return peak > 0 && (await shown(field('consumed'))) === 400;
      },
      { what: 'the page to show the new records and a throughput above 0', timeoutMs: 15_000 },
    );
    console.error(`[status-page] peak throughput shown ${peak} /s`);
    assert.ok(peak > 0, 'the throughput showed the records flowing');
    assert.equal(await shown(field('published')), (await status()).products[0]!.counters.published);
    assert.ok((await shown(field('deadLetters'))) >= 0);
    // Once the stream stops, the rate falls back to zero.
    await waitUntil(async () => (await field('throughput').textContent()) === '0.0 /s', {
      what: 'the throughput to fall back to 0',
      timeoutMs: 15_000,
    });

    // The charts have collected points, one per poll, and say what they show in text.
    for (const chart of ['throughput', 'lag', 'freshness']) {
      const svg = card.locator(`svg[data-chart="${chart}"]`);
      assert.equal(await svg.getAttribute('role'), 'img');
      assert.ok(await svg.getAttribute('aria-label'), `${chart} has a text alternative`);
    }
    const points = async (chart: string) => Number(await card.locator(`svg[data-chart="${chart}"]`).getAttribute('data-points'));
    assert.ok((await points('throughput')) >= 3, `throughput chart: ${await points('throughput')} points`);
    assert.ok((await points('lag')) >= 3, `lag chart: ${await points('lag')} points`);
    const polyline = (await card.locator('svg[data-chart="throughput"] polyline').getAttribute('points'))!.trim().split(/\s+/);
    assert.equal(polyline.length, await points('throughput'));
    assert.match((await card.locator('svg[data-chart="throughput"]').getAttribute('aria-label'))!, /latest 0\.0 \/s, peak \d/);
    if ((await status()).products[0]!.freshnessSeconds !== null) assert.ok((await points('freshness')) >= 1);

    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    console.error(`[status-page] screenshot: ${SCREENSHOT}`);

    // A failing poll shows the banner (and keeps the last numbers); the next good one clears it.
    await page.route('**/api/status', (route) => route.abort('connectionrefused'));
    await page.locator('#error').waitFor({ state: 'visible', timeout: 10_000 });
    assert.match((await page.locator('#error').textContent())!, /Cannot reach the worker/);
    assert.equal(await page.locator('#error').getAttribute('role'), 'alert');
    assert.equal(await shown(field('consumed')), 400);
    await page.unroute('**/api/status');
    await page.locator('#error').waitFor({ state: 'hidden', timeout: 10_000 });

    const origin = new URL(worker.controlUrl).origin;
    assert.deepEqual(
      requests.filter((u) => new URL(u).origin !== origin && !u.startsWith('data:')),
      [],
      'only the worker is asked',
    );
    // The aborted polls are the only errors the page may log.
    assert.deepEqual(
      errors.filter((e) => !/ERR_CONNECTION_REFUSED|Failed to load resource/.test(e)),
      [],
    );
    await page.close();
  });

  it('says so when the worker runs no products', async () => {
    requireTool('chromium');
    await launched();
    const worker = new Worker({ config, products: [], logger: createLogger('warn') });
    workers.push(worker);
    await worker.start();
    const { page, errors } = await openPage(`${worker.controlUrl}/`);
    await page.locator('#empty').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#empty').textContent(), 'No products.');
    assert.equal(await page.locator('article').count(), 0);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
