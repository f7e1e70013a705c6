/**
 * The sunset ticket's expression and text (its behaviour under Prometheus is the promtool
 * scenario test/promtool/lifecycle/sunset.test.yml).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateRules } from '../../../src/tools/slo-rules.js';
import { CONSUMER_GROUPS_METRIC, productConsumersExpression, sunsetAlert } from '../../../src/tools/sunset-rules.js';
import type { RulesProduct } from '../../../src/tools/slo-rules.js';

const product = (lifecycle?: RulesProduct['lifecycle']): RulesProduct => ({
  id: 'sales.orders',
  file: '/p/product.yaml',
  version: '1.2.0',
  team: { name: 'sales-data', members: [] },
  support: [],
  slaProperties: [],
  ...(lifecycle ? { lifecycle } : {}),
});

describe('sunsetAlert', () => {
  it('is absent without a sunset', () => {
    assert.equal(sunsetAlert({ name: 'sales.orders' }, 'product="sales.orders"', '', {}), undefined);
    assert.doesNotMatch(generateRules([product()]), /lifecycle|Sunset/);
  });

  it('fires 14 days (1209600 s) before the sunset, only while the consumer expression has groups', () => {
    const lifecycle = { sunset: '2027-03-31', sunsetSeconds: 1806364800 };
    const alert = sunsetAlert({ name: 'sales.orders', lifecycle }, 'product="sales.orders"', 'Owners: x.', {
      product: 'sales.orders',
    })!;
    assert.equal(alert.labels.severity, 'ticket');
    assert.match(
      alert.expr,
      /dataprod_product_sunset_timestamp_seconds\{product="sales\.orders"\}\) - time\(\) < 1209600\nand on \(product\)\n/,
    );
    assert.ok(alert.expr.endsWith(`${productConsumersExpression('product="sales.orders"')} > 0`));
    assert.ok(productConsumersExpression('product="x"').includes(`${CONSUMER_GROUPS_METRIC}{product="x"}`));
    assert.match(alert.annotations.description!, /stops on 2027-03-31.*move to its successor before the sunset\. Owners: x\.$/);
  });

  it('names the successor topic and lands in its own group of the rule file', () => {
    const text = generateRules([product({ sunset: '2027-03-31', successor: { major: 2, topic: 'sales.orders.v2' } })]);
    assert.match(text, /- name: dataprod\.sales\.orders\.lifecycle\n\s+rules:\n\s+- alert: DataprodProductSunsetWithConsumers/);
    assert.match(text, /move to sales\.orders\.v2 before the sunset/);
  });

  it('names the major that goes when it is not the first (v2 deprecated for v3)', () => {
    const v2 = { ...product({ sunset: '2027-03-31' }), version: '2.1.0', majorId: 'sales.orders.v2' };
    const text = generateRules([v2]);
    assert.match(text, /- name: dataprod\.sales\.orders\.v2\.lifecycle\n/);
    assert.match(text, /summary: "?sales\.orders\.v2: sunset on 2027-03-31 and still read"?\n/);
    assert.match(text, /description: "?sales\.orders\.v2 is deprecated/);
  });
});
