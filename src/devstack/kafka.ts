import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheRoot, defaultProgress, provisionOnce, type ProgressLog } from './cache.js';
import { ManagedProcess, runToCompletion } from './process.js';
import { freePort, waitUntil } from './net.js';

/** The Kafka line its users run today; 3.9.1 is the other version the suite is run on. */
export const DEFAULT_KAFKA_VERSION = '4.4.0';

/** The version the local stack runs: DATAPROD_KAFKA_VERSION, or the default. */
export const KAFKA_VERSION = kafkaVersion(process.env.DATAPROD_KAFKA_VERSION);
const SCALA_VERSION = '2.13';
const KAFKA_4 = Number(KAFKA_VERSION.split('.')[0]) >= 4;
/** Kafka 4 brokers log through log4j2 (Kafka 3 through reload4j); SLF4J 1.7 API, so the log4j2 binding for it. */
const LOG4J2 = KAFKA_4;
const LOG4J2_VERSION = '2.25.5';
/** Kafka's ConfigCommand (SCRAM users, dynamic configs): it moved from the Scala core to the tools module in 4.0. */
export const CONFIG_COMMAND_CLASS = KAFKA_4 ? 'org.apache.kafka.tools.ConfigCommand' : 'kafka.admin.ConfigCommand';

function kafkaVersion(wanted: string | undefined): string {
  const version = wanted?.trim() || DEFAULT_KAFKA_VERSION;
  if (!/^\d+\.\d+\.\d+$/.test(version)) {
    throw new Error(
      `DATAPROD_KAFKA_VERSION: "${version}" is not an Apache Kafka release; use ${DEFAULT_KAFKA_VERSION} (the default) or 3.9.1`,
    );
  }
  return version;
}

/** Folder holding every jar the broker and Kafka's own CLI tools need. */
export function kafkaLibDir(): string {
  return join(cacheRoot(), `kafka-${KAFKA_VERSION}`, 'libs');
}

/**
 * Resolves Apache Kafka's broker (`kafka_2.13`) and tools (`kafka-tools`, which holds the
 * consumer-groups tool) with their whole dependency tree from Maven Central using `mvn`.
 */
export async function provisionKafka(progress: ProgressLog = defaultProgress): Promise<void> {
  const dir = join(cacheRoot(), `kafka-${KAFKA_VERSION}`);
  await provisionOnce(dir, async (tmp) => {
    progress(`fetching Apache Kafka ${KAFKA_VERSION} (kafka_${SCALA_VERSION}, kafka-tools) with mvn into ${dir}`);
    writeFileSync(join(tmp, 'pom.xml'), kafkaPom());
    await runToCompletion(
      'mvn',
      ['-B', '-q', '-f', join(tmp, 'pom.xml'), 'dependency:copy-dependencies', `-DoutputDirectory=${join(tmp, 'libs')}`],
      { what: `resolving Apache Kafka ${KAFKA_VERSION} with mvn` },
    );
    progress(`fetched ${readdirSync(join(tmp, 'libs')).length} jars`);
  });
}

function kafkaPom(): string {
  const dep = (g: string, a: string, v: string, exclusions = '') =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version>${exclusions}</dependency>`;
  // kafka-tools 4.x pulls in Kafka Connect (its plugin-path tool); neither the broker nor the
  // consumer-groups tool needs it, and some of its jars are not always served: leave it out.
  const withoutConnect = `<exclusions>${['connect-api', 'connect-runtime', 'connect-json', 'connect-transforms']
    .map((a) => `<exclusion><groupId>org.apache.kafka</groupId><artifactId>${a}</artifactId></exclusion>`)
    .join('')}</exclusions>`;
  return `<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dataprod.devstack</groupId><artifactId>kafka-runtime</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    ${dep('org.apache.kafka', `kafka_${SCALA_VERSION}`, KAFKA_VERSION)}
    ${dep('org.apache.kafka', 'kafka-tools', KAFKA_VERSION, LOG4J2 ? withoutConnect : '')}
    ${LOG4J2 ? dep('org.apache.logging.log4j', 'log4j-slf4j-impl', LOG4J2_VERSION) : dep('org.slf4j', 'slf4j-reload4j', '1.7.36')}
  </dependencies>
</project>
`;
}

export interface KafkaNodeOptions {
  /** Folder for config, data and logs; created when missing. */
  workDir: string;
  progress?: ProgressLog;
  /** Extra server.properties lines, e.g. for a test that needs another setting. */
  extraProperties?: Record<string, string | number | boolean>;
  /** Listeners beside PLAINTEXT (e.g. SASL_SSL, or SSL named MTLS), on free 127.0.0.1 ports. */
  extraListeners?: { name: string; protocol: 'SSL' | 'SASL_SSL' | 'SASL_PLAINTEXT' }[];
}

/**
 * A single-node KRaft broker+controller on free 127.0.0.1 ports. Storage is formatted once per
 * work dir; stop() then start() restarts the same broker on the same ports with its data, which
 * is what broker fault tests need.
 */
export class KafkaNode {
  private process: ManagedProcess | undefined;
  private brokerPort = 0;
  private controllerPort = 0;
  private readonly extraPorts = new Map<string, number>();
  private readonly progress: ProgressLog;

  constructor(private readonly options: KafkaNodeOptions) {
    this.progress = options.progress ?? defaultProgress;
  }

  get bootstrap(): string {
    return `127.0.0.1:${this.brokerPort}`;
  }

  /** host:port of an extra listener, by name. */
  listener(name: string): string {
    const port = this.extraPorts.get(name);
    if (port === undefined) throw new Error(`no listener ${name}`);
    return `127.0.0.1:${port}`;
  }

  get logFile(): string {
    return join(this.options.workDir, 'kafka.log');
  }

  async start(): Promise<void> {
    await provisionKafka(this.progress);
    const { workDir } = this.options;
    mkdirSync(workDir, { recursive: true });
    const config = join(workDir, 'server.properties');
    if (!existsSync(config)) {
      this.brokerPort = await freePort();
      this.controllerPort = await freePort();
      for (const l of this.options.extraListeners ?? []) this.extraPorts.set(l.name, await freePort());
      writeFileSync(config, this.serverProperties());
      writeFileSync(this.logConfig, LOG4J2 ? LOG4J2_CONFIG : LOG4J);
      await runToCompletion(
        'java',
        [...this.jvmArgs(), 'kafka.tools.StorageTool', 'format', '-t', kafkaUuid(), '-c', config, '--ignore-formatted'],
        { what: 'formatting Kafka storage' },
      );
    }
    this.progress(`starting Apache Kafka ${KAFKA_VERSION} (KRaft) on ${this.bootstrap}`);
    const startedAt = Date.now();
    const offset = existsSync(this.logFile) ? readFileSync(this.logFile).length : 0;
    this.process = new ManagedProcess({
      name: 'kafka',
      command: 'java',
      args: ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', ...this.jvmArgs(), 'kafka.Kafka', config],
      logFile: this.logFile,
    });
    this.process.start();
    const proc = this.process;
    await waitUntil(async () => readFileSync(this.logFile).subarray(offset).toString().includes('Kafka Server started'), {
      what: `Kafka on ${this.bootstrap}`,
      timeoutMs: 90_000,
      abortReason: () => (proc.running ? undefined : `the broker exited; last log lines:\n${proc.logTail()}`),
    });
    this.progress(`Kafka ready on ${this.bootstrap} in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  }

  /** Orderly shutdown (SIGTERM): the broker flushes and leaves clean logs. */
  async stop(): Promise<void> {
    await this.process?.stop(30_000);
  }

  /** A crash (SIGKILL), for fault tests. */
  async kill(): Promise<void> {
    await this.process?.kill();
  }

  get running(): boolean {
    return this.process?.running ?? false;
  }

  /** The JVM's pid while it runs. */
  get pid(): number | undefined {
    return this.process?.running ? this.process.pid : undefined;
  }

  /** JVM arguments to run any class from Kafka's jars (the broker, or tools such as kafka-consumer-groups). */
  jvmArgs(): string[] {
    const log = LOG4J2 ? `-Dlog4j2.configurationFile=file:${this.logConfig}` : `-Dlog4j.configuration=file:${this.logConfig}`;
    return ['-cp', `${kafkaLibDir()}/*`, log];
  }

  private get logConfig(): string {
    return join(this.options.workDir, LOG4J2 ? 'log4j2.properties' : 'log4j.properties');
  }

  private serverProperties(): string {
    const extra = (this.options.extraListeners ?? []).map((l) => `${l.name}://127.0.0.1:${this.extraPorts.get(l.name)}`);
    const props: Record<string, string | number | boolean> = {
      'process.roles': 'broker,controller',
      'node.id': 1,
      'controller.quorum.voters': `1@127.0.0.1:${this.controllerPort}`,
      listeners: [`PLAINTEXT://127.0.0.1:${this.brokerPort}`, `CONTROLLER://127.0.0.1:${this.controllerPort}`, ...extra].join(','),
      'advertised.listeners': [`PLAINTEXT://127.0.0.1:${this.brokerPort}`, ...extra].join(','),
      'controller.listener.names': 'CONTROLLER',
      'listener.security.protocol.map': [
        'PLAINTEXT:PLAINTEXT',
        'CONTROLLER:PLAINTEXT',
        ...(this.options.extraListeners ?? []).map((l) => `${l.name}:${l.protocol}`),
      ].join(','),
      'inter.broker.listener.name': 'PLAINTEXT',
      'log.dirs': join(this.options.workDir, 'data'),
      'num.partitions': 1,
      // Single node: internal topics cannot be replicated, and fewer partitions start faster.
      'offsets.topic.replication.factor': 1,
      'offsets.topic.num.partitions': 10,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'transaction.state.log.num.partitions': 10,
      // Tests create many short-lived groups; the default 3 s delay would slow every join.
      'group.initial.rebalance.delay.ms': 0,
      'auto.create.topics.enable': true,
      ...this.options.extraProperties,
    };
    return (
      Object.entries(props)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n') + '\n'
    );
  }
}

/**
 * Kafka's cluster ids are 16 random bytes in URL-safe base64 without padding. Like Kafka's own
 * generator, never one that starts with '-': the storage tool would read it as an option.
 */
export function kafkaUuid(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

const LOG4J = `log4j.rootLogger=WARN, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.server.KafkaRaftServer=INFO
log4j.logger.kafka.server.BrokerServer=INFO
`;

const LOG4J2_CONFIG = `status = warn
appender.stdout.type = Console
appender.stdout.name = STDOUT
appender.stdout.layout.type = PatternLayout
appender.stdout.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = WARN
rootLogger.appenderRef.stdout.ref = STDOUT
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = INFO
logger.broker.name = kafka.server.BrokerServer
logger.broker.level = INFO
`;
