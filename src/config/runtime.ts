import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { OPTIONS, optionPath, type OptionFlag, type OptionSpec } from './options.js';
import { parseAll } from './parse-options.js';
import { parseLineageTarget, type LineageTarget } from '../observability/lineage.js';
import { privateKeyProblem, registryConnection } from './secrets.js';

// The option table and its parser, for the commands that import them from here.
export { OPTIONS, optionPath, optionsOf, type CommandName, type OptionFlag, type OptionSpec, type OptionValues } from './options.js';
export { parseOption, readOptions, valuesOf } from './parse-options.js';

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  ssl: false | { ca?: string; cert?: string; key?: string; passphrase?: string; rejectUnauthorized: boolean };
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
}

export interface RegistryConnection {
  url: string;
  username?: string;
  password?: string;
}

export interface RuntimeConfig {
  kafka: KafkaConnection;
  registry: RegistryConnection;
  httpHost: string;
  httpPort: number;
  logLevel: string;
  includeDraft: boolean;
  shutdownGraceMs: number;
  dlqHalt: { ratio: number; minRecords: number; windowMs: number };
  maxRestarts: number;
  sessionTimeoutMs: number;
  maxOutputBytes: number;
  createTopics: boolean;
  autoRegister: boolean;
  partitionsConcurrently: number;
  /** kafkajs maxBytesPerPartition of the product consumers. */
  maxPartitionFetchBytes: number;
  stallAfterMs: number;
  /** OpenLineage run events; absent when no --openlineage-url is set. */
  openLineage?: { target: LineageTarget; namespace: string; intervalMs: number };
  /** Parent folder of disk lookup stores; absent: the system's temporary folder. */
  lookupDir?: string;
  /** Discovery of the groups reading each product topic (src/runtime/consumer-discovery.ts); max 0: off. */
  consumerGroups: { refreshMs: number; max: number };
}

export interface LoadOptions {
  /** Which connections the command needs; a missing one is an error only then. */
  need: { kafka: boolean; registry: boolean };
}

/** The options that have a variable: the settings every command that connects checks, all of them. */
const SETTINGS = (OPTIONS as readonly OptionSpec[]).filter((o) => o.env !== undefined);

/**
 * Parses and validates every setting (whatever the command takes: a bad variable fails every
 * command that connects), reporting all problems at once, then compiles them into the frozen
 * RuntimeConfig the worker sees.
 */
export function loadRuntimeConfig(
  flags: Partial<Record<OptionFlag, string | boolean>>,
  env: NodeJS.ProcessEnv,
  options: LoadOptions,
): Readonly<RuntimeConfig> {
  const { values, issues, given } = parseAll(SETTINGS, flags, env);
  const where = (flag: OptionFlag) => optionPath(SETTINGS.find((o) => o.flag === flag)!);
  const file = (flag: 'tls-ca-file' | 'tls-cert-file' | 'tls-key-file'): string | undefined => {
    const path = values[flag];
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      issues.push({ path: where(flag), message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return undefined;
    }
  };

  const brokers = values.brokers ?? [];
  if (options.need.kafka) {
    if (brokers.length === 0)
      issues.push({ path: where('brokers'), message: 'required: set it to your Kafka bootstrap servers, e.g. localhost:9092' });
    for (const b of brokers) {
      if (!/^[^:\s]+:\d{1,5}$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(b)) {
        issues.push({ path: where('brokers'), message: `"${b}" is not host:port` });
      }
    }
  }

  const mechanism = values['sasl-mechanism'];
  const saslUser = values['sasl-username'];
  const saslPassword = values['sasl-password'];
  let sasl: KafkaConnection['sasl'];
  if (mechanism) {
    if (!saslUser) issues.push({ path: where('sasl-username'), message: `required with --sasl-mechanism ${mechanism}` });
    if (!saslPassword) issues.push({ path: where('sasl-password'), message: `required with --sasl-mechanism ${mechanism}` });
    if (saslUser && saslPassword) sasl = { mechanism, username: saslUser, password: saslPassword };
  } else if (saslUser || saslPassword) {
    issues.push({
      path: where('sasl-mechanism'),
      message: 'required when a SASL user or password is set: plain, scram-sha-256 or scram-sha-512',
    });
  }

  const ca = file('tls-ca-file');
  const cert = file('tls-cert-file');
  const key = file('tls-key-file');
  if ((given('tls-cert-file') || given('tls-key-file')) && !(given('tls-cert-file') && given('tls-key-file'))) {
    issues.push({
      path: where(given('tls-cert-file') ? 'tls-key-file' : 'tls-cert-file'),
      message: 'mutual TLS needs both --tls-cert-file and --tls-key-file',
    });
  }
  const tls = values.tls === true || given('tls-ca-file') || given('tls-cert-file');
  const passphrase = values['tls-key-passphrase'];
  if (key !== undefined) {
    const problem = privateKeyProblem(key, passphrase);
    if (problem) issues.push({ path: where(problem.fix), message: problem.message });
  } else if (passphrase !== undefined) {
    issues.push({ path: where('tls-key-file'), message: 'required with --tls-key-passphrase' });
  }

  const registry = registryConnection(values['registry-url'], values['registry-user'], values['registry-password']);
  issues.push(...registry.issues.map(({ flag, message }) => ({ path: where(flag), message })));
  const registryUrl = registry.url;
  if (options.need.registry) {
    if (!registryUrl)
      issues.push({ path: where('registry-url'), message: 'required: set it to your schema registry, e.g. http://localhost:8081' });
  }
  if (registryUrl) {
    try {
      const u = new URL(registryUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      issues.push({ path: where('registry-url'), message: `"${registryUrl}" is not an http(s) URL` });
    }
  }
  if (registry.password !== undefined && registry.username === undefined) {
    issues.push({ path: where('registry-user'), message: 'required when a registry password is set' });
  }

  const lineageUrl = values['openlineage-url'];
  const lineageTarget = lineageUrl === undefined ? undefined : parseLineageTarget(lineageUrl);
  if (lineageUrl !== undefined && lineageTarget === undefined) {
    issues.push({
      path: where('openlineage-url'),
      message: `"${lineageUrl}" is neither an http(s):// endpoint nor a file: URL, e.g. http://marquez:5000/api/v1/lineage or file:///var/log/dataprod/lineage.jsonl`,
    });
  }

  if (issues.length) throw new ConfigError(issues);
  // Every setting below has a default, so it has a value once its text parsed.
  const config: RuntimeConfig = {
    kafka: {
      brokers,
      clientId: values['client-id']!,
      ssl: tls
        ? { ca, cert, key, ...(passphrase === undefined ? {} : { passphrase }), rejectUnauthorized: values['tls-reject-unauthorized']! }
        : false,
      sasl,
    },
    registry: { url: registryUrl ?? '', username: registry.username, password: registry.password },
    httpHost: values['http-host']!,
    httpPort: values['http-port']!,
    logLevel: values['log-level']!,
    includeDraft: values['include-draft']!,
    shutdownGraceMs: values['shutdown-grace-ms']!,
    dlqHalt: { ratio: values['dlq-halt-ratio']!, minRecords: values['dlq-halt-min-records']!, windowMs: values['dlq-halt-window-ms']! },
    maxRestarts: values['max-restarts']!,
    sessionTimeoutMs: values['session-timeout-ms']!,
    maxOutputBytes: values['max-output-bytes']!,
    createTopics: values['create-topics']!,
    autoRegister: values['auto-register']!,
    partitionsConcurrently: values['partitions-concurrently']!,
    maxPartitionFetchBytes: values['max-partition-fetch-bytes']!,
    stallAfterMs: values['stall-after-ms']!,
    ...(lineageTarget
      ? {
          openLineage: {
            target: lineageTarget,
            namespace: values['openlineage-namespace']!,
            intervalMs: values['openlineage-interval-ms']!,
          },
        }
      : {}),
    ...(values['lookup-dir'] === undefined ? {} : { lookupDir: values['lookup-dir'] }),
    consumerGroups: { refreshMs: values['consumer-groups-refresh-ms']!, max: values['consumer-groups-max']! },
  };
  return Object.freeze(config);
}
