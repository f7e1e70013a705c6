import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startStack } from '../../../src/devstack/index.js';
import { waitUntil } from '../../../src/devstack/net.js';
import { kafkaUuid } from '../../../src/devstack/kafka.js';

describe('startStack selection', () => {
  it('uses KAFKA_BROKERS and SCHEMA_REGISTRY_URL as given, starting nothing', async () => {
    const stack = await startStack({
      env: { KAFKA_BROKERS: 'a:9092, b:9092', SCHEMA_REGISTRY_URL: 'http://registry:8081/' },
    });
    assert.equal(stack.kind, 'configured');
    assert.deepEqual(stack.brokers, ['a:9092', 'b:9092']);
    assert.equal(stack.schemaRegistryUrl, 'http://registry:8081');
    await stack.stop();
    await stack.stop();
  });

  it('refuses half a configuration, naming the missing variable', async () => {
    await assert.rejects(startStack({ env: { KAFKA_BROKERS: 'a:9092' } }), /SCHEMA_REGISTRY_URL is not/);
    await assert.rejects(startStack({ env: { SCHEMA_REGISTRY_URL: 'http://r' } }), /KAFKA_BROKERS is not/);
  });

  it('refuses an unknown DATAPROD_STACK', async () => {
    await assert.rejects(startStack({ env: { DATAPROD_STACK: 'podman' } }), /must be "local" or "docker"/);
  });
});

describe('waitUntil', () => {
  it('returns once the probe succeeds', async () => {
    let calls = 0;
    await waitUntil(async () => ++calls === 3, { what: 'x', timeoutMs: 5_000, intervalMs: 1 });
    assert.equal(calls, 3);
  });

  it('times out with the last error', async () => {
    await assert.rejects(
      waitUntil(
        async () => {
          throw new Error('connection refused');
        },
        { what: 'thing', timeoutMs: 20, intervalMs: 5 },
      ),
      /thing: not ready after 20 ms \(last error: connection refused\)/,
    );
  });

  it('stops early when the abort reason says so', async () => {
    await assert.rejects(
      waitUntil(async () => false, { what: 'broker', timeoutMs: 5_000, intervalMs: 1, abortReason: () => 'the broker exited' }),
      /broker: the broker exited/,
    );
  });
});

describe('kafkaUuid', () => {
  it('makes 22-character URL-safe ids that never start with "-" (the storage tool would read an option)', () => {
    for (let i = 0; i < 2000; i++) {
      const id = kafkaUuid();
      assert.match(id, /^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    }
  });
});
