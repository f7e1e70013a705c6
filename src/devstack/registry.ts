import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, defaultProgress, provisionOnce, type ProgressLog } from './cache.js';
import { ManagedProcess, runToCompletion } from './process.js';
import { freePort, waitUntil } from './net.js';

/**
 * Apicurio Registry, run through its Confluent-compatible API (`/apis/ccompat/v7`).
 *
 * Why not Karapace: the index has no `karapace` project (pip answers 404 for it), so it cannot
 * be installed from a package registry here. Apicurio 3.0.x is the newest line that runs on
 * Java 17 (3.1+ is compiled for Java 21). It keeps its state in a Kafka topic (kafkasql
 * storage), like Confluent's registry does in `_schemas`, so a restarted registry still knows
 * every schema id.
 */
export const APICURIO_VERSION = '3.0.9';

export function apicurioDir(): string {
  return join(cacheRoot(), `apicurio-registry-${APICURIO_VERSION}`);
}

export async function provisionRegistry(progress: ProgressLog = defaultProgress): Promise<void> {
  await provisionOnce(apicurioDir(), async (tmp) => {
    progress(`fetching Apicurio Registry ${APICURIO_VERSION} with mvn into ${apicurioDir()}`);
    await runToCompletion(
      'mvn',
      [
        '-B',
        '-q',
        'dependency:copy',
        `-Dartifact=io.apicurio:apicurio-registry-app:${APICURIO_VERSION}:tar.gz:all`,
        `-DoutputDirectory=${tmp}`,
      ],
      { what: `resolving Apicurio Registry ${APICURIO_VERSION} with mvn`, cwd: tmp },
    );
    const archive = `apicurio-registry-app-${APICURIO_VERSION}-all.tar.gz`;
    await runToCompletion('tar', ['xzf', archive], { cwd: tmp, what: 'unpacking Apicurio Registry' });
    await runToCompletion('rm', ['-f', archive], { cwd: tmp, what: 'removing the Apicurio archive' });
  });
}

export interface RegistryNodeOptions {
  workDir: string;
  /** Bootstrap servers of the Kafka that stores the registry's state. */
  kafkaBootstrap: string;
  /** The Kafka topic holding the registry's journal; distinct per registry sharing a broker. */
  journalTopic?: string;
  progress?: ProgressLog;
}

export class RegistryNode {
  private process: ManagedProcess | undefined;
  private port = 0;
  private readonly progress: ProgressLog;

  constructor(private readonly options: RegistryNodeOptions) {
    this.progress = options.progress ?? defaultProgress;
  }

  /** The Confluent-compatible base URL clients use as their schema registry URL. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/apis/ccompat/v7`;
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** The JVM's pid while it runs. */
  get pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  async start(): Promise<void> {
    await provisionRegistry(this.progress);
    mkdirSync(this.options.workDir, { recursive: true });
    if (this.port === 0) this.port = await freePort();
    this.progress(`starting Apicurio Registry ${APICURIO_VERSION} (Confluent-compatible API) on ${this.url}`);
    const startedAt = Date.now();
    const props: Record<string, string> = {
      'quarkus.http.host': '127.0.0.1',
      'quarkus.http.port': String(this.port),
      'apicurio.storage.kind': 'kafkasql',
      'apicurio.kafkasql.bootstrap.servers': this.options.kafkaBootstrap,
      'apicurio.kafkasql.topic': this.options.journalTopic ?? 'dataprod-registry-journal',
      'apicurio.rest.deletion.group.enabled': 'true',
      'apicurio.rest.deletion.artifact.enabled': 'true',
      'apicurio.rest.deletion.artifact-version.enabled': 'true',
      'quarkus.log.console.level': 'WARN',
    };
    this.process = new ManagedProcess({
      name: 'registry',
      command: 'java',
      args: [
        '-Xms128m',
        '-Xmx512m',
        ...Object.entries(props).map(([k, v]) => `-D${k}=${v}`),
        '-jar',
        join(apicurioDir(), `apicurio-registry-app-${APICURIO_VERSION}-runner.jar`),
      ],
      cwd: this.options.workDir,
      logFile: join(this.options.workDir, 'registry.log'),
    });
    this.process.start();
    const proc = this.process;
    await waitUntil(async () => (await fetch(`${this.url}/subjects`)).ok, {
      what: `schema registry on ${this.url}`,
      timeoutMs: 120_000,
      intervalMs: 500,
      abortReason: () => (proc.running ? undefined : `the registry exited; last log lines:\n${proc.logTail()}`),
    });
    this.progress(`registry ready on ${this.url} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  }

  async stop(): Promise<void> {
    await this.process?.stop(20_000);
  }

  async kill(): Promise<void> {
    await this.process?.kill();
  }
}
