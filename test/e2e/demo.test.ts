/**
 * `npm run demo` end to end: both example products run against the stack with synthetic
 * producers, publish and dead-letter, and everything stops cleanly.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { testStack } from '../support/stack.js';

const demo = fileURLToPath(new URL('../../scripts/demo.ts', import.meta.url));

describe('npm run demo', () => {
  it('runs both products, publishes and dead-letters, then stops cleanly', { timeout: 180_000 }, async () => {
    const stack = await testStack();
    const child = spawn(process.execPath, ['--import', 'tsx', demo, '--for', '25', '--http-port', '0', '--rate', '100'], {
      env: { ...process.env, KAFKA_BROKERS: stack.brokers.join(','), SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0, out);
    assert.match(out, /metrics: {3}http:\/\/127\.0\.0\.1:\d+\/metrics/);
    assert.match(out, /sales\.orders-enriched: raw\.orders -> sales\.orders-enriched\.v1/);
    const last = out
      .split('\n')
      .filter((l) => l.includes('orders-enriched: consumed'))
      .at(-1);
    assert.ok(last, `a status line:\n${out}`);
    for (const name of ['orders-enriched', 'page-views']) {
      const m = new RegExp(`${name}: consumed (\\d+), published (\\d+), filtered (\\d+), dead-lettered (\\d+)`).exec(last);
      assert.ok(m, `${name} in ${last}`);
      const [consumed, published, filtered, dlq] = m.slice(1).map(Number) as [number, number, number, number];
      assert.ok(published > 0 && filtered > 0 && dlq > 0, `${name}: ${m[0]}`);
      assert.equal(consumed, published + filtered + dlq, `${name}: every consumed record is accounted for`);
    }
    assert.match(out, /stopped cleanly/);
  });
});
