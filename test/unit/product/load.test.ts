import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadProduct, validateProduct } from '../../../src/product/load.js';
import { DataprodError, DescriptorError, type ConfigIssue } from '../../../src/errors.js';
import { isTransform } from '../../../src/transform.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/products/', import.meta.url));
const fixture = (name: string) => join(FIXTURES, name);

const tmpRoots: string[] = [];
after(() => {
  for (const dir of tmpRoots) rmSync(dir, { recursive: true, force: true });
});

/** A temporary product folder: the given product.yaml, the valid fixture's schemas, a plain transform. */
function tempProduct(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'dataprod-descriptor-'));
  tmpRoots.push(dir);
  cpSync(join(fixture('valid'), 'schemas'), join(dir, 'schemas'), { recursive: true });
  writeFileSync(join(dir, 'transform.ts'), 'export default (event: unknown) => event;\n');
  writeFileSync(join(dir, 'product.yaml'), yaml);
  return dir;
}

const MINIMAL = `apiVersion: dataprod/v1
kind: DataProduct
id: sales.orders-enriched
name: orders-enriched
domain: sales
version: 1.4.0
status: active
team: { name: sales-data }
inputPorts:
  - name: orders
    topic: raw.orders
    contract: { schema: schemas/raw-order.avsc }
outputPorts:
  - name: orders-enriched
    topic: sales.orders-enriched.v1
    schema: schemas/orders-enriched.avsc
`;

function issueAt(issues: readonly ConfigIssue[], path: string): ConfigIssue {
  const found = issues.find((i) => i.path === path);
  assert.ok(found, `expected an issue at ${path}; got:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
  return found;
}

function assertIssue(issues: readonly ConfigIssue[], path: string, ...fragments: string[]): void {
  const issue = issueAt(issues, path);
  for (const fragment of fragments) {
    assert.ok(issue.message.includes(fragment), `${path}: expected "${fragment}" in "${issue.message}"`);
  }
}

function isDeepFrozen(value: unknown, seen = new Set<unknown>()): boolean {
  if (typeof value !== 'object' || value === null || seen.has(value)) return true;
  seen.add(value);
  if (!Object.isFrozen(value)) return false;
  return Object.values(value).every((v) => isDeepFrozen(v, seen));
}

describe('loadProduct: a valid product', () => {
  it('compiles to the expected frozen descriptor with every default filled in', async () => {
    const dir = fixture('valid');
    const { descriptor: d, transform } = await loadProduct(dir);
    assert.ok(isTransform(transform));

    assert.equal(d.dir, resolve(dir));
    assert.equal(d.file, join(resolve(dir), 'product.yaml'));
    assert.equal(d.id, 'sales.orders-enriched');
    assert.equal(d.version, '1.4.0');
    assert.equal(d.major, 1);
    assert.equal(d.status, 'active');
    assert.equal(d.consumerGroup, 'dataprod.sales.orders-enriched.v1');
    assert.deepEqual(d.description, { purpose: 'Orders with amounts in EUR.', usage: 'Join on order_id.' });
    assert.deepEqual(d.team, { name: 'sales-data', members: [{ username: 'ana', role: 'owner' }] });
    assert.deepEqual(d.support, [{ channel: '#sales-data', url: 'https://chat.example.com/sales-data' }]);
    assert.equal(d.transformFile, join(resolve(dir), 'transform.ts'));
    assert.deepEqual(d.deadLetter, { topic: 'sales.orders-enriched.dlq' });
    assert.equal(d.delivery, 'at-least-once');

    assert.equal(d.inputPorts.length, 1);
    const input = d.inputPorts[0]!;
    assert.equal(input.name, 'orders');
    assert.equal(input.topic, 'raw.orders');
    assert.equal(input.onInvalid, 'dlq');
    assert.equal(input.contract.subject, 'raw.orders-value');
    assert.equal(input.contract.schemaFile, join(resolve(dir), 'schemas/raw-order.avsc'));
    assert.equal((input.contract.schema as { name: string }).name, 'RawOrder');
    assert.deepEqual(input.contract.constraints, [
      { name: 'required-customer_id', property: 'customer_id', check: { op: 'mustNotBeNull', value: true } },
      { name: 'mustMatch-currency', property: 'currency', check: { op: 'mustMatch', value: '^[A-Za-z]{3}$' } },
      { name: 'known-country', property: 'customer.country', check: { op: 'mustBeOneOf', value: ['PT', 'ES', 'FR'] } },
    ]);

    assert.equal(d.outputPorts.length, 1);
    const output = d.outputPorts[0]!;
    assert.equal(output.topic, 'sales.orders-enriched.v1');
    assert.equal(output.subject, 'sales.orders-enriched.v1-value');
    assert.equal(output.key, 'order_id');
    assert.equal(output.compatibility, 'BACKWARD_TRANSITIVE');
    assert.equal(output.schemaFile, join(resolve(dir), 'schemas/orders-enriched.avsc'));
    assert.equal((output.schema as { name: string }).name, 'OrderEnriched');
    assert.deepEqual(output.classification, { customer_email: 'pii', 'shipping.address': 'confidential' });

    assert.deepEqual(d.quality, [
      {
        name: 'amount-non-negative',
        port: 'orders',
        property: 'amount',
        check: { op: 'mustBeGreaterOrEqualTo', value: 0 },
        onFailure: 'dlq',
      },
      { name: 'amount-sane', port: 'orders', property: 'amount', check: { op: 'mustBeBetween', value: [0, 100000] }, onFailure: 'warn' },
    ]);
    assert.deepEqual(d.slaProperties, [
      { property: 'latency', value: 30, unit: 's', objective: 99.5 },
      { property: 'freshness', value: 5, unit: 'm' },
    ]);

    assert.ok(isDeepFrozen(d), 'the descriptor is deep-frozen');
    assert.throws(() => {
      (d.inputPorts as unknown as unknown[]).push({});
    }, TypeError);
  });

  it('fills defaults for a minimal descriptor and accepts a plain-function transform', async () => {
    const { descriptor: d, transform } = await loadProduct(fixture('minimal'));
    assert.equal(d.major, 2);
    assert.equal(d.version, '2.0.0-rc.1');
    assert.equal(d.consumerGroup, 'dataprod.shop.minimal.v2');
    assert.deepEqual(d.description, {});
    assert.deepEqual(d.team, { name: 'shop', members: [] });
    assert.deepEqual(d.support, []);
    assert.deepEqual(d.quality, []);
    assert.deepEqual(d.slaProperties, []);
    assert.deepEqual(d.inputPorts[0]!.contract.constraints, []);
    assert.equal(d.outputPorts[0]!.key, undefined);
    assert.ok(!('key' in d.outputPorts[0]!));
    assert.deepEqual(d.outputPorts[0]!.classification, {});
    // A major after 1 gets its own dead-letter topic and metrics name, so it can run beside the previous major.
    assert.deepEqual(d.deadLetter, { topic: 'shop.minimal.v2.dlq' });
    assert.equal(d.majorId, 'shop.minimal.v2');
    assert.equal(d.delivery, 'at-least-once');
    assert.ok(isTransform(transform));
    assert.deepEqual(transform.fn({ order_id: 'o1', amount: 3 }, {} as never), {
      order_id: 'o1',
      amount_eur: 3,
      customer_email: null,
      shipping: { address: 'n/a' },
    });
  });

  it('does not import the transform when loadTransform is false', async () => {
    const result = await loadProduct(fixture('transform-throws'), { loadTransform: false });
    assert.equal(result.transform, undefined);
    assert.equal(result.descriptor.id, 'shop.throws');
  });

  it('honours explicit subject, onInvalid, compatibility and deadLetter', async () => {
    const dir = tempProduct(
      MINIMAL.replace(
        'contract: { schema: schemas/raw-order.avsc }',
        'contract: { subject: orders-contract, schema: schemas/raw-order.avsc }\n    onInvalid: fail',
      ).replace(
        '    schema: schemas/orders-enriched.avsc\n',
        '    schema: schemas/orders-enriched.avsc\n    compatibility: FULL\ndeadLetter: { topic: sales.dead }\n',
      ),
    );
    const { descriptor: d } = await loadProduct(dir, { loadTransform: false });
    assert.equal(d.inputPorts[0]!.contract.subject, 'orders-contract');
    assert.equal(d.inputPorts[0]!.onInvalid, 'fail');
    assert.equal(d.outputPorts[0]!.compatibility, 'FULL');
    assert.equal(d.outputPorts[0]!.subject, 'sales.orders-enriched.v1-value');
    assert.equal(d.deadLetter.topic, 'sales.dead');
  });
});

describe('delivery', () => {
  it('defaults to at-least-once', async () => {
    const { descriptor: d } = await loadProduct(tempProduct(MINIMAL), { loadTransform: false });
    assert.equal(d.delivery, 'at-least-once');
  });

  it('accepts at-least-once and exactly-once', async () => {
    for (const delivery of ['at-least-once', 'exactly-once'] as const) {
      const { descriptor: d } = await loadProduct(tempProduct(`${MINIMAL}delivery: ${delivery}\n`), { loadTransform: false });
      assert.equal(d.delivery, delivery);
      assert.ok(Object.isFrozen(d));
    }
  });

  it('reports a wrong value with its path and the allowed values, together with the other problems', async () => {
    const yaml = MINIMAL.replace('status: active', 'status: live').concat('delivery: exactly_once\n');
    const { descriptor, issues } = await validateProduct(tempProduct(yaml), { loadTransform: false });
    assert.equal(descriptor, undefined);
    assertIssue(issues, 'delivery', 'must be one of: at-least-once, exactly-once', '"exactly_once"', 'did you mean exactly-once?');
    assertIssue(issues, 'status', 'must be one of: draft, active, deprecated, retired');
    assert.equal(issues.length, 2, issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
    assert.deepEqual(
      issues.map((i) => i.path),
      ['status', 'delivery'],
    );

    const other = await validateProduct(tempProduct(`${MINIMAL}delivery: twice\n`), { loadTransform: false });
    assert.deepEqual(other.issues, [{ path: 'delivery', message: 'must be one of: at-least-once, exactly-once (got "twice")' }]);
    const notString = await validateProduct(tempProduct(`${MINIMAL}delivery: [exactly-once]\n`), { loadTransform: false });
    assertIssue(notString.issues, 'delivery', 'must be one of: at-least-once, exactly-once');
  });

  it('suggests delivery for a misspelt key', async () => {
    const { issues } = await validateProduct(tempProduct(`${MINIMAL}delivry: exactly-once\n`), { loadTransform: false });
    assert.deepEqual(issues, [{ path: 'delivry', message: 'unknown field (did you mean delivery?)' }]);
  });
});

describe('validateProduct: a broken product', () => {
  it('reports every problem at once, with paths and fixes, in file order', async () => {
    const { descriptor, issues } = await validateProduct(fixture('broken'));
    assert.equal(descriptor, undefined);

    assertIssue(issues, 'id', 'must be sales.orders-enriched');
    assertIssue(issues, 'inputPorts[0].contract.constraints[0].mustMatch', 'is not a valid regular expression', 'Unterminated group');
    assertIssue(issues, 'inputPorts[0].onInvalid', 'must be one of: dlq, drop, fail', '"retry"');
    assertIssue(issues, 'inputPorts[1].contract.schema', 'schemas/missing.avsc does not exist');
    assertIssue(issues, 'inputPorts[2].contract.schema', 'schemas/not-json.avsc is not valid JSON: ');
    assertIssue(issues, 'inputPorts[3].contract.schema', 'schemas/not-avro.avsc is not a valid Avro schema: ', 'strang');
    assertIssue(issues, 'inputPort', 'unknown field (did you mean inputPorts?)');
    assertIssue(issues, 'outputPorts[0].topic', 'must end with .v1 because version is 1.4.0');
    assertIssue(issues, 'outputPorts[0].key', 'order_number is not a top-level field', 'order_id, amount_eur, customer_email, shipping');
    assertIssue(issues, 'outputPorts[0].compatibility', 'must be one of: BACKWARD, BACKWARD_TRANSITIVE', 'did you mean BACKWARD?');
    assertIssue(issues, 'outputPorts[0].classification.customer_mail', 'not a field of the output schema', 'did you mean customer_email?');
    assertIssue(issues, 'outputPorts[0].classification.order_id', 'must be one of: pii, confidential, internal, public');
    assertIssue(issues, 'deadLetter.topic', 'must differ from every input and output topic', 'inputPorts[0]');
    assertIssue(
      issues,
      'quality[0].property',
      'amount_eur is not a field of input port orders',
      'did you mean amount?',
      'top-level fields: order_id, customer_id, amount, currency, customer',
    );
    assertIssue(issues, 'quality[1]', 'has 2 operators (mustBeGreaterThan, mustBeLessThan)', 'exactly one');
    assertIssue(issues, 'quality[2].port', 'is required because the product has 4 input ports');
    assertIssue(issues, 'slaProperties[0].value', 'must be greater than 0');
    assertIssue(issues, 'slaProperties[0].objective', 'percentage');

    assert.equal(issues.length, 18, issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
    // Ordered as the paths appear in the file.
    const order = issues.map((i) => i.path);
    assert.ok(order.indexOf('id') < order.indexOf('inputPorts[0].onInvalid'));
    assert.ok(order.indexOf('inputPorts[3].contract.schema') < order.indexOf('inputPort'));
    assert.ok(order.indexOf('inputPort') < order.indexOf('outputPorts[0].topic'));
    assert.ok(order.indexOf('deadLetter.topic') < order.indexOf('quality[0].property'));
    assert.ok(order.indexOf('quality[2].port') < order.indexOf('slaProperties[0].value'));
  });

  it('loadProduct throws a DescriptorError carrying the same issues', async () => {
    const dir = fixture('broken');
    const err = await loadProduct(dir).then(
      () => assert.fail('expected a DescriptorError'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof DescriptorError);
    assert.ok(err instanceof DataprodError);
    assert.equal(err.code, 'DESCRIPTOR_INVALID');
    assert.equal(err.file, join(resolve(dir), 'product.yaml'));
    assert.equal(err.issues.length, 18);
    assert.match(err.message, /18 problems/);
    assert.match(err.message, /outputPorts\[0\]\.topic: must end with \.v1 because version is 1\.4\.0/);
  });

  it('reports a YAML syntax error with line:column', async () => {
    const { issues } = await validateProduct(fixture('yaml-syntax'));
    assert.equal(issues.length, 1);
    assert.equal(issues[0]!.path, 'product.yaml');
    assert.match(issues[0]!.message, /^YAML syntax error at \d+:\d+: /);
    assert.match(issues[0]!.message, /Flow sequence/);
  });

  it('reports duplicate keys as YAML errors', async () => {
    const { issues } = await validateProduct(tempProduct(`${MINIMAL}name: twice\n`));
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.message, /^YAML syntax error at 17:1: Map keys must be unique/);
  });

  it('reports a missing product.yaml', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dataprod-empty-'));
    tmpRoots.push(dir);
    const { issues } = await validateProduct(dir);
    assert.deepEqual(
      issues.map((i) => i.path),
      ['product.yaml'],
    );
    assert.match(issues[0]!.message, /not found in /);
    await assert.rejects(loadProduct(dir), (e: unknown) => e instanceof DescriptorError && e.issues[0]!.path === 'product.yaml');
  });

  it('reports a missing product folder', async () => {
    const { issues } = await validateProduct(join(FIXTURES, 'no-such-product'));
    assert.deepEqual(
      issues.map((i) => i.path),
      ['product.yaml'],
    );
    assert.match(issues[0]!.message, /does not exist/);
  });

  it('reports an empty file and a non-mapping document', async () => {
    assert.match((await validateProduct(tempProduct(''))).issues[0]!.message, /is empty/);
    const { issues } = await validateProduct(tempProduct('- a\n- b\n'));
    assert.deepEqual(issues, [{ path: 'product.yaml', message: 'must be a mapping (got a list)' }]);
  });

  it('reports missing required fields with an example', async () => {
    const { issues } = await validateProduct(tempProduct('apiVersion: dataprod/v2\nkind: DataProduct\nteam: {}\n'), {
      loadTransform: false,
    });
    assertIssue(issues, 'apiVersion', 'must be dataprod/v1');
    assertIssue(issues, 'version', 'is required', 'version: 1.0.0');
    assertIssue(issues, 'inputPorts', 'is required');
    assertIssue(issues, 'team.name', 'is required');
  });

  it('reports a transform that throws on import at path transform', async () => {
    const { descriptor, transform, issues } = await validateProduct(fixture('transform-throws'));
    assert.equal(descriptor, undefined);
    assert.equal(transform, undefined);
    assert.equal(issues.length, 1);
    assertIssue(issues, 'transform', 'transform.ts failed to import', 'lookup table missing');
  });

  it('reports a missing transform file even when not loading it', async () => {
    const dir = tempProduct(`${MINIMAL}transform: src/missing.ts\n`);
    const { issues } = await validateProduct(dir, { loadTransform: false });
    assert.equal(issues.length, 1);
    assertIssue(issues, 'transform', 'src/missing.ts does not exist');
  });

  it('rejects more than one output port with a clear message', async () => {
    const yaml = MINIMAL.replace(
      'outputPorts:\n',
      'outputPorts:\n  - name: other\n    topic: sales.other.v1\n    schema: schemas/orders-enriched.avsc\n',
    );
    const { issues } = await validateProduct(tempProduct(yaml), { loadTransform: false });
    assert.equal(issues.length, 1);
    assertIssue(issues, 'outputPorts', 'only one output port per product is supported for now');
  });

  it('checks names, patterns, operators, ports and nested property paths', async () => {
    const yaml = `apiVersion: dataprod/v1
kind: DataProduct
id: Sales.Orders
name: Orders
domain: sales
version: "1.4"
status: live
team: { name: sales-data, members: [{ username: ana }] }
inputPorts:
  - name: orders
    topic: raw.orders
    contract:
      schema: schemas/raw-order.avsc
      required: [customer.emial]
      constraints:
        - { property: customer.email.domain, mustBe: x }
        - { property: amount }
        - { property: amount, mustBeBetween: [10, 1] }
        - { property: amount, mustBeGreaterOrEqual: 0 }
  - name: orders
    topic: raw.orders
    contract: { schema: schemas/raw-order.avsc }
outputPorts:
  - name: out
    topic: ".."
    schema: schemas/raw-order.avsc
deadLetter: { topic: "raw orders" }
quality:
  - { name: q, port: order, property: amount, mustNotBeNull: false, onFailure: dlx }
  - { name: q, port: orders, property: amount, mustMatch: 5 }
slaProperties:
  - { property: latencyy, value: 1 }
`;
    const { issues } = await validateProduct(tempProduct(yaml), { loadTransform: false });
    assertIssue(issues, 'name', 'must be kebab-case');
    assertIssue(issues, 'version', 'must be a semantic version');
    assertIssue(issues, 'status', 'must be one of: draft, active, deprecated, retired');
    assertIssue(issues, 'team.members[0].role', 'is required');
    assertIssue(issues, 'deadLetter.topic', 'must be a valid Kafka topic name');
    assertIssue(
      issues,
      'inputPorts[0].contract.required[0]',
      'customer.emial is not a field',
      'did you mean customer.email?',
      'customer has no field emial',
    );
    assertIssue(issues, 'inputPorts[0].contract.constraints[0].property', 'customer.email is string, not a record');
    assertIssue(issues, 'inputPorts[0].contract.constraints[1]', 'constraint has no operator; add exactly one of: mustBe,');
    assertIssue(issues, 'inputPorts[0].contract.constraints[2].mustBeBetween', 'min 10 is greater than max 1');
    assertIssue(
      issues,
      'inputPorts[0].contract.constraints[3].mustBeGreaterOrEqual',
      'unknown field (did you mean mustBeGreaterOrEqualTo?)',
    );
    assertIssue(issues, 'inputPorts[1].name', 'duplicate input port name orders');
    assertIssue(issues, 'inputPorts[1].topic', 'raw.orders is already read by inputPorts[0]');
    assertIssue(issues, 'outputPorts[0].topic', 'must not be "." or ".."');
    assertIssue(issues, 'quality[0].port', 'order is not an input port (did you mean orders?)');
    assertIssue(issues, 'quality[0].mustNotBeNull', 'must be true');
    assertIssue(issues, 'quality[0].onFailure', 'must be one of: dlq, drop, warn');
    assertIssue(issues, 'quality[1].name', 'duplicate quality rule name q');
    assertIssue(issues, 'quality[1].mustMatch', 'must be a regular expression as a string');
    assertIssue(
      issues,
      'slaProperties[0].property',
      'must be one of: latency, freshness, completeness, errorRate',
      'did you mean latency?',
    );
    // The id check needs valid name and domain, so it waits until name is fixed.
    assert.equal(
      issues.find((i) => i.path === 'id'),
      undefined,
    );
  });

  it('rejects an output schema that is not a record, and a default DLQ topic that clashes', async () => {
    const dir = tempProduct(
      MINIMAL.replace('topic: raw.orders', 'topic: sales.orders-enriched.dlq').replace(
        'schemas/orders-enriched.avsc',
        'schemas/plain.avsc',
      ),
    );
    writeFileSync(join(dir, 'schemas', 'plain.avsc'), '"string"');
    const { issues } = await validateProduct(dir, { loadTransform: false });
    assertIssue(issues, 'outputPorts[0].schema', 'schemas/plain.avsc is a string schema; an output schema must be an Avro record');
    assertIssue(issues, 'deadLetter', 'sales.orders-enriched.dlq is the topic of inputPorts[0]', 'set deadLetter');
  });

  it('rejects an output topic that is also an input topic', async () => {
    const dir = tempProduct(MINIMAL.replace('topic: raw.orders', 'topic: sales.orders-enriched.v1'));
    const { issues } = await validateProduct(dir, { loadTransform: false });
    assertIssue(issues, 'outputPorts[0].topic', 'must differ from the topic of inputPorts[0]');
  });

  it('reports a nonexistent classification path with bracket notation for dotted keys', async () => {
    const dir = tempProduct(
      MINIMAL.replace(
        '    schema: schemas/orders-enriched.avsc\n',
        '    schema: schemas/orders-enriched.avsc\n    classification: { shipping.street: pii }\n',
      ),
    );
    const { issues } = await validateProduct(dir, { loadTransform: false });
    assertIssue(issues, 'outputPorts[0].classification["shipping.street"]', 'shipping has no field street; its fields: address');
  });
});

describe('validateProduct: SLA properties (what `dataprod rules` would refuse)', () => {
  it('reports an SLA entry that cannot be measured, with its path, and compiles none', async () => {
    const dir = tempProduct(
      `${MINIMAL}slaProperties:\n  - { property: freshness, value: 5, unit: m }\n  - { property: latency, value: 45, unit: s }\n  - { property: completeness, value: 99, unit: fortnights }\n  - { property: freshness, value: 1, unit: h }\n`,
    );
    const { descriptor, issues } = await validateProduct(dir, { loadTransform: false });
    assert.equal(descriptor, undefined);
    assert.deepEqual(
      issues.map((i) => i.path),
      ['slaProperties[1].value', 'slaProperties[2].unit', 'slaProperties[3].property'],
    );
    assertIssue(issues, 'slaProperties[1].value', 'product sales.orders-enriched, latency: 45 s is not a bucket boundary', 'use one of');
    assertIssue(issues, 'slaProperties[2].unit', 'unknown unit "fortnights"');
    assertIssue(issues, 'slaProperties[3].property', 'a second freshness entry (the first is slaProperties[0])');
  });

  it('leaves an entry with a shape problem to the shape check (one issue per mistake)', async () => {
    const dir = tempProduct(`${MINIMAL}slaProperties:\n  - { property: latency, value: 45, objective: 120 }\n`);
    const { issues } = await validateProduct(dir, { loadTransform: false });
    assert.deepEqual(
      issues.map((i) => i.path),
      ['slaProperties[0].objective'],
    );
  });
});

describe('validateProduct: rules checked against the field type', () => {
  const payment = {
    type: 'record',
    name: 'Payment',
    fields: [
      { name: 'order_id', type: 'string' },
      { name: 'amount', type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 } },
      { name: 'note', type: ['null', 'string'], default: null },
      { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
      { name: 'count', type: 'long' },
    ],
  };
  const withRules = (contract: string, quality: string) => {
    const dir = tempProduct(
      MINIMAL.replace('contract: { schema: schemas/raw-order.avsc }', `contract:\n      schema: schemas/payment.avsc\n${contract}`).concat(
        `quality:\n${quality}`,
      ),
    );
    writeFileSync(join(dir, 'schemas', 'payment.avsc'), JSON.stringify(payment));
    return dir;
  };

  it('accepts numeric operators on decimal, long and timestamp fields, mustMatch on strings, required on nullable fields', async () => {
    const dir = withRules(
      '      required: [note]\n      constraints:\n        - { property: order_id, mustMatch: "^o-" }\n',
      '  - { name: a, property: amount, mustBeGreaterOrEqualTo: 0 }\n  - { name: b, property: at, mustBeGreaterThan: 0 }\n  - { name: c, property: count, mustBeBetween: [0, 10] }\n',
    );
    const { issues } = await validateProduct(dir, { loadTransform: false });
    assert.deepEqual(issues, []);
  });

  it('refuses a numeric operator on a string, mustMatch on a decimal and required on a non-nullable field, each with the fix', async () => {
    const dir = withRules(
      '      required: [order_id]\n      constraints:\n        - { property: amount, mustMatch: "^[0-9]+$" }\n',
      '  - { name: a, property: note, mustBeGreaterOrEqualTo: 0 }\n',
    );
    const { issues } = await validateProduct(dir, { loadTransform: false });
    assertIssue(issues, 'inputPorts[0].contract.required[0]', 'order_id is string', 'cannot be null', 'remove it from required');
    assertIssue(
      issues,
      'inputPorts[0].contract.constraints[0].mustMatch',
      'amount is bytes/decimal(12,2)',
      'applies to string, enum and uuid fields',
      'use mustBeBetween',
    );
    assertIssue(issues, 'quality[0].mustBeGreaterOrEqualTo', 'note is null | string', 'apply to int, long, float, double and decimal');
    assert.equal(issues.length, 3, issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  });
});

describe('longs', () => {
  it('defaults to number and accepts bigint', async () => {
    assert.equal((await loadProduct(tempProduct(MINIMAL), { loadTransform: false })).descriptor.longs, 'number');
    assert.equal((await loadProduct(tempProduct(`${MINIMAL}longs: bigint\n`), { loadTransform: false })).descriptor.longs, 'bigint');
  });

  it('reports another value with the allowed ones', async () => {
    const { issues } = await validateProduct(tempProduct(`${MINIMAL}longs: big\n`), { loadTransform: false });
    assertIssue(issues, 'longs', 'must be one of: number, bigint');
  });
});
