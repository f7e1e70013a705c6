/**
 * One benchmark run's context, passed to every step instead of module state: the stack (the
 * shared one when KAFKA_BROKERS / SCHEMA_REGISTRY_URL are set, else one started like the tests
 * do), its clients, the machine, the run's settings every system shares, and what to undo when
 * the run fails or is interrupted.
 */
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { startStack, type Stack } from '../../src/devstack/index.js';
import { machineDescription, type Machine } from './machine.js';

export interface Bench {
  readonly stack: Stack;
  readonly kafka: Kafka;
  readonly admin: Admin;
  readonly registry: RegistryClient;
  readonly machine: Machine;
  /** Partitions of every topic the run creates. */
  readonly partitions: number;
  /** Extra node flags for every system's process (--node-args). */
  readonly nodeArgs: readonly string[];
  readonly cleanup: Cleanup;
  /** Undoes what is still pending, disconnects and stops the stack; once, however often called. */
  close(): Promise<void>;
}

/**
 * What a run has created and not yet removed (processes, topics, groups, files). Each step adds
 * the undo of what it creates and runs it when done; close() runs the rest, newest first.
 */
export class Cleanup {
  private readonly pending = new Map<number, () => unknown>();
  private next = 0;

  /** Registers an undo; the returned function runs it now (at most once) and forgets it. */
  add(undo: () => unknown): () => Promise<void> {
    const id = this.next++;
    this.pending.set(id, undo);
    return async () => {
      if (this.pending.delete(id)) await undo();
    };
  }

  /** Runs every pending undo, newest first, each best effort. */
  async runAll(): Promise<void> {
    for (const id of [...this.pending.keys()].reverse()) {
      const undo = this.pending.get(id);
      this.pending.delete(id);
      await Promise.resolve()
        .then(undo)
        .catch(() => undefined);
    }
  }
}

/** Starts (or finds) the stack, connects the admin client, and cleans up on SIGINT. */
export async function openBench(clientId: string, settings: { partitions: number; nodeArgs?: readonly string[] }): Promise<Bench> {
  const stack = await startStack();
  const kafka = new Kafka({ clientId, brokers: stack.brokers, logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  const cleanup = new Cleanup();
  let closing: Promise<void> | undefined;
  const bench: Bench = {
    stack,
    kafka,
    admin,
    registry: new RegistryClient({ url: stack.schemaRegistryUrl }),
    machine: machineDescription(),
    partitions: settings.partitions,
    nodeArgs: settings.nodeArgs ?? [],
    cleanup,
    close: () =>
      (closing ??= (async () => {
        await cleanup.runAll();
        await admin.disconnect().catch(() => undefined);
        await stack.stop();
      })()),
  };
  process.once('SIGINT', () => {
    console.error('\nSIGINT: cleaning up...');
    void bench.close().finally(() => process.exit(130));
  });
  await admin.connect();
  return bench;
}
