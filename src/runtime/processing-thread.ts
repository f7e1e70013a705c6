import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { ProductDescriptor } from '../config/types.js';
import type { SchemaSource } from '../contracts/schema-cache.js';
import { DataprodError } from '../errors.js';
import type { KafkaMessage } from '../kafka/client.js';
import type { BatchDecision } from '../pipeline/batch.js';
import { SchemaFetchError, type BatchDecider, type DeciderOptions } from './batch-decider.js';
import { packRecords, unpackDecision, type PackedDecision } from './batch-transfer.js';

const YOUNG_GENERATION_MB = 16;

/** What the processing thread is started with; its DeciderOptions follow with `configure`. */
export interface ThreadStart {
  product: ProductDescriptor;
}

/** An error as it crosses threads: enough to rebuild what the registry client threw. */
export interface ErrorShape {
  name: string;
  message: string;
  code?: string;
}

export type ToThread =
  | { type: 'configure'; options: DeciderOptions }
  | { type: 'decide'; id: number; topic: string; partition: number; bytes: Uint8Array; table: Float64Array }
  | { type: 'schema'; request: number; schema?: unknown; error?: ErrorShape };

export type FromThread =
  | { type: 'ready' }
  | { type: 'start-failed'; error: ErrorShape }
  | { type: 'decision'; id: number; decision: PackedDecision }
  | { type: 'schema-fetch-failed'; id: number; error: ErrorShape }
  | { type: 'failed'; id: number; error: ErrorShape }
  | { type: 'schema-request'; request: number; schemaId: number };

export function errorShape(err: unknown): ErrorShape {
  const e = err instanceof Error ? err : new Error(String(err));
  const code = (e as { code?: unknown }).code;
  return { name: e.name, message: e.message, ...(typeof code === 'string' ? { code } : {}) };
}

function rebuild(shape: ErrorShape): Error {
  const err = shape.code ? new DataprodError(shape.code as never, shape.message) : new Error(shape.message);
  err.name = shape.name;
  return err;
}

/**
 * How to start the entry module next to this one: the compiled JavaScript in dist/ as it is; when
 * running from source (tests, benchmarks under tsx), through tsx, whose loader a new thread does
 * not inherit.
 */
function entryPoint(): { file: string; eval: boolean } {
  const js = new URL('./processing-thread-entry.js', import.meta.url);
  if (existsSync(fileURLToPath(js))) return { file: fileURLToPath(js), eval: false };
  const ts = new URL('./processing-thread-entry.ts', import.meta.url).href;
  return { file: `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(ts)}); });`, eval: true };
}

/**
 * Decides batches on a thread of their own: Avro decoding, the checks, the transform and Avro
 * encoding leave the thread that runs kafkajs, so fetching, producing and committing one batch
 * overlap with deciding the next. One thread per product: the transform keeps a single instance,
 * as inline. Writer schemas are still fetched through this (the main) thread's registry client.
 */
export class ThreadDecider implements BatchDecider {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (d: BatchDecision) => void; reject: (e: Error) => void }>();
  private dead: Error | undefined;
  private closing = false;

  private constructor(
    private readonly worker: Worker,
    private readonly source: SchemaSource,
    private readonly onDeath: (error: Error) => void,
  ) {
    worker.on('message', (message: FromThread) => this.receive(message));
    worker.on('error', (err) => this.die(new DataprodError('PRODUCT_HALTED', `the processing thread failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => this.die(new DataprodError('PRODUCT_HALTED', `the processing thread exited (code ${code})`)));
  }

  /**
   * Starts the thread and waits until it has loaded the transform: this is where a transform
   * module that cannot be used fails (TRANSFORM_LOAD_FAILED), before anything touches Kafka.
   */
  static async start(start: ThreadStart, source: SchemaSource, onDeath: (error: Error) => void): Promise<ThreadDecider> {
    const entry = entryPoint();
    const worker = new Worker(entry.file, {
      eval: entry.eval,
      workerData: start,
      name: `dataprod ${start.product.id}`,
      // V8's default young generation (48 MiB) is sized for a main thread; a batch's garbage
      // here is a few MiB and dies with the batch, so a third of it costs no extra CPU (measured
      // with bench:compare) and keeps the worker's resident memory down.
      resourceLimits: { maxYoungGenerationSizeMb: YOUNG_GENERATION_MB },
    });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromThread) => {
        if (message.type !== 'ready' && message.type !== 'start-failed') return;
        worker.off('message', onMessage);
        worker.off('error', onError);
        if (message.type === 'ready') resolve();
        else reject(rebuild(message.error));
      };
      const onError = (err: Error) => reject(err);
      worker.on('message', onMessage);
      worker.once('error', onError);
    }).catch(async (err) => {
      await worker.terminate();
      throw err;
    });
    return new ThreadDecider(worker, source, onDeath);
  }

  /** Builds the processor (the output schema id is known once registered); before any decide. */
  configure(options: DeciderOptions): void {
    this.post({ type: 'configure', options });
  }

  decide(topic: string, partition: number, messages: readonly KafkaMessage[]): Promise<BatchDecision> {
    if (this.dead) return Promise.reject(this.dead);
    const id = this.nextId++;
    const { bytes, table } = packRecords(messages);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const message: ToThread = { type: 'decide', id, topic, partition, bytes, table };
      this.worker.postMessage(message, [bytes.buffer as ArrayBuffer, table.buffer as ArrayBuffer]);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
  }

  private receive(message: FromThread): void {
    switch (message.type) {
      case 'schema-request':
        this.source.schemaById(message.schemaId).then(
          (schema) => this.post({ type: 'schema', request: message.request, schema }),
          (err: unknown) => this.post({ type: 'schema', request: message.request, error: errorShape(err) }),
        );
        return;
      case 'decision':
        this.settle(message.id)?.resolve(unpackDecision(message.decision));
        return;
      case 'schema-fetch-failed':
        this.settle(message.id)?.reject(new SchemaFetchError(rebuild(message.error)));
        return;
      case 'failed':
        this.settle(message.id)?.reject(rebuild(message.error));
        return;
      default:
        return;
    }
  }

  private post(message: ToThread): void {
    if (!this.dead) this.worker.postMessage(message);
  }

  private settle(id: number) {
    const waiter = this.pending.get(id);
    this.pending.delete(id);
    return waiter;
  }

  private die(error: Error): void {
    if (this.dead) return;
    this.dead = error;
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
    if (!this.closing) this.onDeath(error);
  }
}
