/**
 * `dataprod dev`: a product author's loop. Starts (or uses) the stack the tests use, creates each
 * product's input topics and registers their contracts under the input subjects (so upstream
 * stand-ins can produce at once), creates its lookup tables' topics compacted (the worker refuses
 * to start without them), runs `dataprod run` on the products as a child process with its
 * status page, and restarts that child when a file under a product folder changes: a fresh
 * process loads the changed transform, schemas and descriptor exactly as production would.
 * stop() ends the child (a drain), the watchers and a stack it started; nothing is left running.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RegistryClient } from '../contracts/registry-client.js';
import { createKafka } from '../kafka/client.js';
import { createLogger } from '../observability/logger.js';
import { loadProducts } from '../product/index.js';
import type { ProductDescriptor } from '../product/types.js';
import { startStack, type Stack } from './index.js';

const BIN = fileURLToPath(new URL('../../bin/dataprod.js', import.meta.url));
/** Editors write a file in several steps: one restart per burst of changes. */
const SETTLE_MS = 300;
const INPUT_PARTITIONS = 3;

export interface DevSessionOptions {
  productPaths: readonly string[];
  /** Progress lines (what is fetched, started, restarted); stderr by default. */
  say?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

export class DevSession {
  private stack: Stack | undefined;
  private child: ChildProcess | undefined;
  private readonly watchers: FSWatcher[] = [];
  private products: ProductDescriptor[] = [];
  private restartTimer: NodeJS.Timeout | undefined;
  private restarting: Promise<void> = Promise.resolve();
  private stopping: Promise<void> | undefined;
  private readonly say: (line: string) => void;
  private readonly env: NodeJS.ProcessEnv;

  constructor(private readonly options: DevSessionOptions) {
    this.say = options.say ?? ((line) => process.stderr.write(`[dev] ${line}\n`));
    this.env = options.env ?? process.env;
  }

  async start(): Promise<void> {
    this.products = (await loadProducts(this.options.productPaths, { loadTransform: false })).map((p) => p.descriptor);
    this.stack = await startStack({ env: this.env, progress: (line) => this.say(line) });
    this.say(`stack: KAFKA_BROKERS=${this.stack.brokers.join(',')} SCHEMA_REGISTRY_URL=${this.stack.schemaRegistryUrl}`);
    await this.prepareInputs(this.stack);
    this.spawnWorker();
    for (const product of this.products) {
      this.watchers.push(watch(product.dir, { recursive: true }, (_event, file) => this.changed(product, String(file ?? ''))));
    }
    this.say(`watching ${this.products.map((p) => p.dir).join(', ')}: a change restarts the worker; Ctrl-C stops everything`);
  }

  /** Ends the worker (SIGTERM: it drains), the watchers and a stack this session started; safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      clearTimeout(this.restartTimer);
      for (const w of this.watchers) w.close();
      await this.restarting;
      await this.stopWorker();
      await this.stack?.stop();
      this.say('stopped');
    })();
    return this.stopping;
  }

  /** Input and lookup topics exist and the input contracts are registered, as upstream would have done. */
  private async prepareInputs(stack: Stack): Promise<void> {
    const registry = new RegistryClient({ url: stack.schemaRegistryUrl });
    const admin = createKafka({ brokers: stack.brokers, clientId: 'dataprod-dev', ssl: false }, createLogger('warn')).admin();
    await admin.connect();
    try {
      const existing = new Set(await admin.listTopics());
      const ports = this.products.flatMap((p) => p.inputPorts);
      const missing = [...new Set(ports.map((p) => p.topic))].filter((t) => !existing.has(t));
      if (missing.length > 0) {
        await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic, numPartitions: INPUT_PARTITIONS })) });
        this.say(`created input topics ${missing.join(', ')}`);
      }
      const tables = [...new Set(this.products.flatMap((p) => (p.lookups ?? []).map((l) => l.topic)))].filter((t) => !existing.has(t));
      if (tables.length > 0) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: tables.map((topic) => ({
            topic,
            numPartitions: INPUT_PARTITIONS,
            configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
          })),
        });
        this.say(`created lookup topics ${tables.join(', ')} (compacted)`);
      }
      for (const port of ports) {
        const id = await registry.register(port.contract.subject, port.contract.schema);
        this.say(`registered the contract of ${port.topic} under ${port.contract.subject} (id ${id})`);
      }
    } finally {
      await admin.disconnect();
    }
  }

  private spawnWorker(): void {
    const stack = this.stack!;
    const child = spawn(process.execPath, [BIN, 'run', ...this.products.map((p) => p.dir)], {
      env: { ...this.env, KAFKA_BROKERS: stack.brokers.join(','), SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    this.child = child;
    child.on('exit', (code, signal) => {
      if (this.child === child && !this.stopping) this.say(`worker exited (${signal ?? code}); it restarts on the next change`);
    });
    this.say(`worker started (pid ${child.pid})`);
  }

  private async stopWorker(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    await exited;
  }

  private changed(product: ProductDescriptor, file: string): void {
    if (this.stopping) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.restarting = this.restarting.then(async () => {
        if (this.stopping) return;
        this.say(`${product.id}: ${file || 'a file'} changed, restarting the worker`);
        await this.stopWorker();
        if (!this.stopping) this.spawnWorker();
      });
    }, SETTLE_MS);
  }
}
