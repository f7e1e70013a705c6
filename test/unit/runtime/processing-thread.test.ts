import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import avsc from 'avsc';
import { loadProduct } from '../../../src/config/descriptor.js';
import { StaticSchemaSource, type SchemaSource } from '../../../src/contracts/schema-cache.js';
import { frame } from '../../../src/contracts/wire.js';
import { kindOf, rawOrder } from '../../../src/demo/generators.js';
import type { KafkaMessage } from '../../../src/kafka/client.js';
import { InlineDecider, SchemaFetchError } from '../../../src/runtime/batch-decider.js';
import { ThreadDecider } from '../../../src/runtime/processing-thread.js';
import { copyProduct, readSchema } from '../../support/products.js';

const RAW_ID = 5;
const rawSchema = readSchema('orders-enriched', 'raw-order.avsc');
const rawType = avsc.Type.forSchema(rawSchema as avsc.Schema);
const options = { outputSchemaId: 77, maxOutputBytes: 1_000_000 };

function messages(count: number): KafkaMessage[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, seq) => {
    const kind = kindOf(seq);
    const value = kind === 'not-avro' ? Buffer.from(`{"seq":${seq}}`) : frame(seq % 50 === 7 ? 999 : RAW_ID, rawType.toBuffer(rawOrder(seq, now, kind)));
    return { offset: String(100 + seq), timestamp: String(now), key: Buffer.from(`o-${seq}`), value, headers: { seq: Buffer.from(String(seq)) }, attributes: 0 } as KafkaMessage;
  });
}

describe('the processing thread', () => {
  const copies: { remove(): void }[] = [];
  after(() => copies.forEach((c) => c.remove()));
  /** A loaded copy of the example; `transformSource` then replaces its transform file (the thread loads it from there). */
  const product = async (transformSource?: string) => {
    const copy = copyProduct('orders-enriched');
    copies.push(copy);
    const loaded = await loadProduct(copy.dir);
    if (transformSource) writeFileSync(join(copy.dir, 'transform.ts'), transformSource);
    return { ...loaded, topic: copy.inputTopic };
  };

  it('decides a batch exactly as the inline decider does', async () => {
    const { descriptor, transform, topic } = await product();
    const source = new StaticSchemaSource(new Map([[RAW_ID, rawSchema]]));
    const inline = new InlineDecider(descriptor, transform, source, options);
    const deaths: Error[] = [];
    const thread = await ThreadDecider.start({ product: descriptor }, source, (e) => deaths.push(e));
    thread.configure(options);
    try {
      const batch = messages(500);
      const expected = await inline.decide(topic, 1, batch);
      const [actual, again] = await Promise.all([thread.decide(topic, 1, batch), thread.decide(topic, 2, batch.slice(0, 10))]);
      assert.ok(expected.errors.some(([, e]) => e.reason === 'unknown-schema-id'), 'the batch holds an unknown id');
      assert.ok(expected.errors.some(([, e]) => e.reason === 'not-avro'));
      assert.ok(expected.outputs.length > 300);
      assert.deepEqual({ ...actual, outcomes: [...actual.outcomes] }, { ...expected, outcomes: [...expected.outcomes] });
      assert.equal(again.decided, 10);
    } finally {
      await thread.close();
    }
    assert.deepEqual(deaths, [], 'closing is not a death');
  });

  it('turns an unreachable registry into SchemaFetchError, and reads on once it answers', async () => {
    const { descriptor, topic } = await product();
    let up = false;
    const source: SchemaSource = {
      schemaById: async (id) => {
        if (!up) throw Object.assign(new Error('registry down'), { code: 'REGISTRY_UNAVAILABLE' });
        return id === RAW_ID ? rawSchema : undefined;
      },
    };
    const thread = await ThreadDecider.start({ product: descriptor }, source, () => undefined);
    thread.configure(options);
    try {
      const batch = messages(3);
      await assert.rejects(thread.decide(topic, 0, batch), (err: Error) => err instanceof SchemaFetchError && /registry down/.test(err.message));
      up = true;
      assert.equal((await thread.decide(topic, 0, batch)).decided, 3);
    } finally {
      await thread.close();
    }
  });

  it('refuses to start when the transform cannot be loaded, naming the problem', async () => {
    const { descriptor } = await product(`throw new Error('broken at import');\n`);
    await assert.rejects(ThreadDecider.start({ product: descriptor }, new StaticSchemaSource(new Map()), () => undefined), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'TRANSFORM_LOAD_FAILED');
      assert.match(err.message, /transform\.ts failed to import: broken at import/);
      return true;
    });
  });

  it('reports its death and fails the batch in flight and every later one', async () => {
    // A transform that kills its thread from a timer, as a buggy product might.
    const { descriptor, topic } = await product(
      `import { defineTransform } from 'dataprod';\nexport default defineTransform((event: { order_id: string }) => {\n  setTimeout(() => { throw new Error('async bug'); }, 0);\n  return null;\n});\n`,
    );
    const deaths: Error[] = [];
    const thread = await ThreadDecider.start({ product: descriptor }, new StaticSchemaSource(new Map([[RAW_ID, rawSchema]])), (e) => deaths.push(e));
    thread.configure(options);
    try {
      await thread.decide(topic, 0, messages(1)).catch(() => undefined);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(deaths.length, 1);
      assert.match(deaths[0]!.message, /processing thread failed: async bug/);
      await assert.rejects(thread.decide(topic, 0, messages(1)), /async bug/);
    } finally {
      await thread.close();
    }
  });
});
