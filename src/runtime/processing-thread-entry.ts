/**
 * The processing thread of one product (see processing-thread.ts): loads the transform, then
 * decides each batch it is sent, asking the main thread for writer schemas it lacks.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadTransform } from '../config/transform-loader.js';
import type { AvroSchema } from '../config/types.js';
import { decideBatch, warmSchemas } from '../pipeline/batch.js';
import { buildProcessor } from './batch-decider.js';
import { packDecision, unpackRecords } from './batch-transfer.js';
import { errorShape, type FromThread, type ThreadStart, type ToThread } from './processing-thread.js';

const port = parentPort!;
const { product } = workerData as ThreadStart;
const post = (message: FromThread, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let nextRequest = 1;
const schemaRequests = new Map<number, { resolve: (schema: AvroSchema | undefined) => void; reject: (err: Error) => void }>();
const source = {
  schemaById(schemaId: number): Promise<AvroSchema | undefined> {
    const request = nextRequest++;
    return new Promise((resolve, reject) => {
      schemaRequests.set(request, { resolve, reject });
      post({ type: 'schema-request', request, schemaId });
    });
  },
};

try {
  const transform = await loadTransform(product.transformFile);
  let built: ReturnType<typeof buildProcessor> | undefined;

  port.on('message', (message: ToThread) => {
    if (message.type === 'configure') {
      built = buildProcessor(product, transform, source, message.options);
      return;
    }
    if (message.type === 'schema') {
      const waiter = schemaRequests.get(message.request);
      schemaRequests.delete(message.request);
      if (!waiter) return;
      if (message.error) waiter.reject(Object.assign(new Error(message.error.message), message.error));
      else waiter.resolve(message.schema as AvroSchema | undefined);
      return;
    }
    const { id, topic, partition } = message;
    if (!built) {
      post({ type: 'failed', id, error: errorShape(new Error('the processing thread was asked to decide before it was configured')) });
      return;
    }
    const { schemas, processor, eventTime } = built;
    const records = unpackRecords(message, topic, partition);
    warmSchemas(schemas, records).then(
      () => {
        try {
          const { packed, transfer } = packDecision(decideBatch(processor, records, eventTime));
          post({ type: 'decision', id, decision: packed }, transfer);
        } catch (err) {
          post({ type: 'failed', id, error: errorShape(err) });
        }
      },
      (err: unknown) => post({ type: 'schema-fetch-failed', id, error: errorShape(err) }),
    );
  });
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'start-failed', error: errorShape(err) });
}
