/**
 * `dataprod export`: how a descriptor maps to ODCS and ODPS, on the example products (the
 * integration test catalog-tools.test.ts lints the same files with datacontract-cli and
 * dataproduct-cli).
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { before, describe, it } from 'node:test';
import { loadProduct } from '../../../src/product/load.js';
import type { ProductDescriptor } from '../../../src/product/types.js';
import { exportDocuments } from '../../../src/tools/export/index.js';

const productDir = (name: string) => fileURLToPath(new URL(`../../../products/${name}`, import.meta.url));

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('dataprod export', () => {
  let orders: ProductDescriptor;
  let views: ProductDescriptor;
  before(async () => {
    orders = (await loadProduct(productDir('orders-enriched'), { loadTransform: false })).descriptor;
    views = (await loadProduct(productDir('page-views'), { loadTransform: false })).descriptor;
  });

  it('writes one ODCS contract for the output port and one per input port, named by their ids', () => {
    assert.deepEqual(
      [...exportDocuments(orders, 'odcs').keys()],
      ['sales.orders-enriched.v1.odcs.yaml', 'sales.orders-enriched.orders.input.odcs.yaml'],
    );
    assert.deepEqual([...exportDocuments(orders, 'odps').keys()], ['sales.orders-enriched.odps.yaml']);
  });

  it('maps the output schema: key, classification, optional fields, logical types, enums', () => {
    const contract = exportDocuments(views, 'odcs').get('web.page-views.v1.odcs.yaml') as Doc;
    assert.equal(contract.apiVersion, 'v3.1.0');
    assert.equal(contract.status, 'active');
    const [object] = contract.schema as Doc[];
    assert.equal(object!.physicalName, 'web.page-views.v1');
    const byName = new Map((object!.properties as Doc[]).map((p) => [p.name as string, p]));
    assert.deepEqual(
      { primaryKey: byName.get('view_id')!.primaryKey, required: byName.get('view_id')!.required },
      { primaryKey: true, required: true },
    );
    assert.equal(byName.get('client_ip')!.classification, 'pii');
    assert.equal(byName.get('utm_source')!.required, false);
    assert.equal(byName.get('viewed_at')!.logicalType, 'timestamp');
    assert.equal(byName.get('viewed_at')!.physicalType, 'long/timestamp-millis');

    const ordersContract = exportDocuments(orders, 'odcs').get('sales.orders-enriched.v1.odcs.yaml') as Doc;
    const channel = (ordersContract.schema[0].properties as Doc[]).find((p) => p.name === 'channel')!;
    assert.deepEqual([channel.logicalType, channel.physicalType], ['string', 'enum']);
    assert.match(channel.description as string, /One of WEB, MOBILE_APP, MARKETPLACE, STORE\./);
  });

  it('names the documents of a second major apart from the first, so exporting both writes both', () => {
    const v2 = {
      ...orders,
      version: '2.0.0',
      majorId: 'sales.orders-enriched.v2',
      output: { ...orders.output, topic: 'sales.orders-enriched.v2' },
    };
    assert.deepEqual(
      [...exportDocuments(v2 as ProductDescriptor, 'odcs').keys()],
      ['sales.orders-enriched.v2.odcs.yaml', 'sales.orders-enriched.v2.orders.input.odcs.yaml'],
    );
    assert.deepEqual([...exportDocuments(v2 as ProductDescriptor, 'odps').keys()], ['sales.orders-enriched.v2.odps.yaml']);
    const odps = exportDocuments(v2 as ProductDescriptor, 'odps').get('sales.orders-enriched.v2.odps.yaml') as Doc;
    assert.deepEqual(
      [odps.id, odps.version, odps.inputPorts[0].contractId],
      ['sales.orders-enriched', '2.0.0', 'sales.orders-enriched.v2.orders.input'],
    );
  });

  it('keeps only the support channels with a url in ODPS, which requires one', () => {
    const mixed = {
      ...orders,
      support: [{ channel: '#sales-data' }, { channel: 'wiki', url: 'https://wiki.example.com/x' }],
    } as ProductDescriptor;
    const odps = exportDocuments(mixed, 'odps').get('sales.orders-enriched.odps.yaml') as Doc;
    assert.deepEqual(odps.support, [{ channel: 'wiki', url: 'https://wiki.example.com/x' }]);
    const chatOnly = { ...orders, support: [{ channel: '#sales-data' }] } as ProductDescriptor;
    assert.equal('support' in exportDocuments(chatOnly, 'odps').get('sales.orders-enriched.odps.yaml')!, false);
  });

  it('keeps the precision and scale of a decimal (issue 12 decimals are exact; ODCS has no field for them)', () => {
    const port = views.outputPorts[0]!;
    const schema = {
      type: 'record',
      name: 'Price',
      fields: [
        { name: 'view_id', type: 'string' },
        { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
        { name: 'rate', type: { type: 'fixed', name: 'Rate', size: 8, logicalType: 'decimal', precision: 18 } },
      ],
    };
    const priced = { ...views, outputPorts: [{ ...port, schema }], output: { ...port, schema } } as ProductDescriptor;
    const contract = exportDocuments(priced, 'odcs').get('web.page-views.v1.odcs.yaml') as Doc;
    const byName = new Map((contract.schema[0].properties as Doc[]).map((p) => [p.name as string, p]));
    assert.deepEqual(
      ['amount', 'rate'].map((n) => [byName.get(n)!.logicalType, byName.get(n)!.physicalType]),
      [
        ['number', 'bytes/decimal(12,2)'],
        ['number', 'fixed/decimal(18,0)'],
      ],
    );
  });

  it('carries quality rules and contract constraints as dataprod checks, and every SLA', () => {
    const contract = exportDocuments(orders, 'odcs').get('sales.orders-enriched.v1.odcs.yaml') as Doc;
    const checks = contract.schema[0].quality as Doc[];
    assert.deepEqual(
      checks.map((c) => [c.name, c.engine, c.implementation]),
      [
        [
          'shipping-cost-non-negative',
          'dataprod',
          { port: 'orders', property: 'shipping_cost', mustBeGreaterOrEqualTo: 0, onFailure: 'dlq' },
        ],
        // `required: [customer_email]` of the input contract is a mustNotBeNull constraint.
        ['required-customer_email', 'dataprod', { port: 'orders', property: 'customer_email', mustNotBeNull: true, onFailure: 'dlq' }],
        ['currency-iso-code', 'dataprod', { port: 'orders', property: 'currency', mustMatch: '^[A-Za-z]{3}$', onFailure: 'dlq' }],
      ],
    );
    assert.deepEqual(
      (contract.slaProperties as Doc[]).map((s) => [s.property, s.value, s.unit]),
      [
        ['latency', 30, 's'],
        ['freshness', 5, 'm'],
        ['completeness', 99.9, 'percent'],
        ['errorRate', 1, 'percent'],
      ],
    );
    assert.match((contract.slaProperties as Doc[])[0]!.description as string, /^99\.5% /);
    assert.deepEqual(contract.team, {
      name: 'sales-data',
      members: [
        { username: 'ana.ribeiro', role: 'owner' },
        { username: 'jonas.berg', role: 'data-engineer' },
      ],
    });
  });

  it('links the ODPS ports to the exported contracts', () => {
    const product = exportDocuments(orders, 'odps').get('sales.orders-enriched.odps.yaml') as Doc;
    assert.equal(product.apiVersion, 'v1.0.0');
    assert.deepEqual(
      (product.inputPorts as Doc[]).map((p) => p.contractId),
      ['sales.orders-enriched.orders.input'],
    );
    assert.equal(product.outputPorts[0].contractId, 'sales.orders-enriched.v1');
    assert.deepEqual(product.outputPorts[0].inputContracts, [{ id: 'sales.orders-enriched.orders.input', version: '1.0.0' }]);
    assert.equal(product.team.members[0].role, 'owner');
  });
});
