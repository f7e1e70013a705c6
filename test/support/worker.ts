import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Admin, Kafka, Producer } from 'kafkajs';
import { loadRuntimeConfig, type RuntimeConfig } from '../../src/config/runtime.js';
import { testKafka } from './kafka.js';
import type { ProductCopy } from './products.js';

const bin = fileURLToPath(new URL('../../bin/dataprod.js', import.meta.url));

interface Endpoints {
  brokers: string[];
  schemaRegistryUrl: string;
}

/** The environment a test worker runs with: the stack, a free loopback control port. */
export function workerEnv(stack: Endpoints, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    KAFKA_BROKERS: stack.brokers.join(','),
    SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
    DATAPROD_HTTP_HOST: '127.0.0.1',
    DATAPROD_HTTP_PORT: '0',
    ...extra,
  };
}

/** Runtime configuration for an in-process Worker. */
export function workerConfig(stack: Endpoints, extra: NodeJS.ProcessEnv = {}): Readonly<RuntimeConfig> {
  return loadRuntimeConfig({}, workerEnv(stack, extra), { need: { kafka: true, registry: true } });
}

export interface TestClients {
  kafka: Kafka;
  admin: Admin;
  /** Idempotent, so a retried send never duplicates a numbered test record. */
  producer: Producer;
  close(): Promise<void>;
}

export async function connectClients(stack: Endpoints): Promise<TestClients> {
  const kafka = testKafka(stack.brokers);
  const admin = kafka.admin();
  await admin.connect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  return {
    kafka,
    admin,
    producer,
    async close() {
      await producer.disconnect().catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    },
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  /** stdout and stderr, as they came. */
  log: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

/** `dataprod run <dir>` as its own process (the built CLI: run `npm run build` first). */
export function spawnWorker(productDir: string, stack: Endpoints, extra: NodeJS.ProcessEnv = {}): WorkerProcess {
  const log: string[] = [];
  const child = spawn(process.execPath, [bin, 'run', productDir], {
    env: { ...process.env, ...workerEnv(stack, { DATAPROD_LOG_LEVEL: 'info', ...extra }) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
  const exit = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
    at: Date.now(),
  }));
  return { child, log, exit };
}

/** What an in-process test leaves behind: its workers, clients, product copies and their topics. */
export async function cleanUpInProcess(left: {
  workers: readonly { close(): Promise<void> }[];
  copies: readonly ProductCopy[];
  admin: Admin | undefined;
  producer: Producer | undefined;
}): Promise<void> {
  for (const w of left.workers) await w.close().catch(() => undefined);
  await left.producer?.disconnect().catch(() => undefined);
  for (const p of left.copies) {
    await left.admin?.deleteTopics({ topics: [p.inputTopic, p.outputTopic, p.dlqTopic] }).catch(() => undefined);
    p.remove();
  }
  await left.admin?.disconnect().catch(() => undefined);
}
