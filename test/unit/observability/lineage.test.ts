/**
 * OpenLineage events: the target parser, the event for a failed product, and an emitter whose
 * endpoint is down (nothing thrown, one warning per outage). The integration test
 * test/integration/openlineage.test.ts checks the events a real worker sends.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { loadRuntimeConfig } from '../../../src/config/runtime.js';
import { ConfigError } from '../../../src/errors.js';
import { freePort } from '../../../src/devstack/net.js';
import { LineageEmitter, parseLineageTarget, runEvent } from '../../../src/observability/lineage.js';
import { createLogger } from '../../../src/observability/logger.js';
import { loadProduct } from '../../../src/product/load.js';
import type { ProductDescriptor } from '../../../src/product/types.js';

const productDir = new URL('../../../products/orders-enriched', import.meta.url).pathname;

describe('OpenLineage events', () => {
  let product: ProductDescriptor;
  const dir = mkdtempSync(join(tmpdir(), 'dataprod-lineage-unit-'));
  before(async () => {
    product = (await loadProduct(productDir, { loadTransform: false })).descriptor;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('sends to http(s) endpoints and file: URLs, and refuses anything else naming the option', () => {
    assert.deepEqual(parseLineageTarget('http://marquez:5000/api/v1/lineage'), { kind: 'http', url: 'http://marquez:5000/api/v1/lineage' });
    assert.deepEqual(parseLineageTarget('file:///var/log/lineage.jsonl'), { kind: 'file', path: '/var/log/lineage.jsonl' });
    assert.equal(parseLineageTarget('/var/log/lineage.jsonl'), undefined);
    assert.throws(
      () => loadRuntimeConfig({}, { DATAPROD_OPENLINEAGE_URL: 'kafka://x' }, { need: { kafka: false, registry: false } }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.issues.length === 1 &&
        err.issues[0]!.path === '--openlineage-url (DATAPROD_OPENLINEAGE_URL)' &&
        /neither an http\(s\):\/\/ endpoint nor a file: URL/.test(err.issues[0]!.message),
    );
    const config = loadRuntimeConfig({}, { DATAPROD_OPENLINEAGE_URL: 'file:///tmp/l.jsonl' }, { need: { kafka: false, registry: false } });
    assert.deepEqual(config.openLineage, { target: { kind: 'file', path: '/tmp/l.jsonl' }, namespace: 'dataprod', intervalMs: 60000 });
    assert.equal(loadRuntimeConfig({}, {}, { need: { kafka: false, registry: false } }).openLineage, undefined);
  });

  it('reports a failure as an errorMessage facet and names Kafka datasets kafka://host:port + topic', () => {
    const event = runEvent({
      eventType: 'FAIL',
      eventTime: new Date(0),
      runId: '0190b3a0-0000-7000-8000-000000000000',
      jobNamespace: 'dataprod',
      datasetNamespace: 'kafka://broker-1:9092',
      product,
      counts: { consumed: 10, published: 7, deadLettered: 2 },
      failure: 'TOPIC_WRITE_REFUSED: the product topic refuses our writes',
    }) as { run: { facets: Record<string, Record<string, unknown>> }; inputs: { namespace: string; name: string }[]; eventTime: string };
    assert.equal(event.eventTime, '1970-01-01T00:00:00.000Z');
    assert.equal(event.run.facets.errorMessage!.message, 'TOPIC_WRITE_REFUSED: the product topic refuses our writes');
    assert.equal(
      event.run.facets.errorMessage!._schemaURL,
      'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
    );
    assert.deepEqual(event.inputs[0], {
      namespace: 'kafka://broker-1:9092',
      name: 'raw.orders',
      inputFacets: {
        inputStatistics: {
          _producer: event.run.facets.errorMessage!._producer,
          _schemaURL:
            'https://openlineage.io/spec/facets/1-0-0/InputStatisticsInputDatasetFacet.json#/$defs/InputStatisticsInputDatasetFacet',
          rowCount: 10,
        },
      },
    });
  });

  it('lists the topics of lookup tables among the inputs, without counts', async () => {
    const byTier = (await loadProduct(new URL('../../../products/orders-by-tier', import.meta.url).pathname, { loadTransform: false }))
      .descriptor;
    const event = runEvent({
      eventType: 'RUNNING',
      eventTime: new Date(0),
      runId: '0190b3a0-0000-7000-8000-000000000000',
      jobNamespace: 'dataprod',
      datasetNamespace: 'kafka://broker-1:9092',
      product: byTier,
      counts: { consumed: 10, published: 9, deadLettered: 1 },
    }) as { inputs: { name: string; inputFacets?: unknown }[] };
    assert.deepEqual(
      event.inputs.map((d) => [d.name, d.inputFacets !== undefined]),
      [
        [byTier.inputPorts[0]!.topic, true],
        ['crm.customers', false],
      ],
    );
  });

  it('writes START then COMPLETE or FAIL per product to a file, one JSON per line', async () => {
    const file = join(dir, 'events.jsonl');
    const emitter = new LineageEmitter({
      target: { kind: 'file', path: file },
      jobNamespace: 'ns',
      brokers: ['b:9092'],
      intervalMs: 60_000,
      log: createLogger('fatal'),
    });
    const counts = () => ({ consumed: 1, published: 1, deadLettered: 0 });
    emitter.started({ product, counts, failure: () => undefined });
    emitter.started({ product, counts, failure: () => 'PRODUCT_HALTED: too many dead letters' });
    await emitter.close();
    const events = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { eventType: string; run: { runId: string } });
    assert.deepEqual(
      events.map((e) => e.eventType),
      ['START', 'START', 'COMPLETE', 'FAIL'],
    );
    assert.equal(events[0]!.run.runId, events[2]!.run.runId);
    assert.notEqual(events[0]!.run.runId, events[1]!.run.runId);
  });

  it('an endpoint that is down costs a warning per outage, never an error', async () => {
    const port = await freePort();
    const warnings: string[] = [];
    const log = createLogger(
      'warn',
      new Writable({
        write(chunk: Buffer, _enc, cb) {
          warnings.push(chunk.toString());
          cb();
        },
      }),
    );
    const emitter = new LineageEmitter({
      target: { kind: 'http', url: `http://127.0.0.1:${port}/` },
      jobNamespace: 'ns',
      brokers: ['b:9092'],
      intervalMs: 60_000,
      log,
    });
    emitter.started({ product, counts: () => ({ consumed: 0, published: 0, deadLettered: 0 }), failure: () => undefined });
    await emitter.close();
    assert.equal(warnings.length, 1, warnings.join(''));
    assert.match(warnings[0]!, /could not send an OpenLineage event/);
  });
});
