import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue } from '../errors.js';

/**
 * Worker settings from flags and environment (flags win). One table drives parsing, validation,
 * `--help` and docs/cli.md, so they cannot drift apart.
 */
type Kind = 'string' | 'secret' | 'int' | 'ratio' | 'bool' | 'list' | { oneOf: readonly string[] };

export interface OptionSpec {
  flag: string;
  env: string;
  kind: Kind;
  /** Bounds of an int option, checked when it is parsed and shown in --help and the docs. */
  min?: number;
  max?: number;
  default?: string;
  description: string;
  /** Which commands read it. */
  group: 'kafka' | 'registry' | 'worker';
}

export const OPTIONS = [
  { flag: 'brokers', env: 'KAFKA_BROKERS', kind: 'list', group: 'kafka', description: 'Kafka bootstrap servers, comma-separated (host:port,...)' },
  { flag: 'client-id', env: 'KAFKA_CLIENT_ID', kind: 'string', default: 'dataprod', group: 'kafka', description: 'Kafka client id of the worker\'s connections' },
  { flag: 'sasl-mechanism', env: 'KAFKA_SASL_MECHANISM', kind: { oneOf: ['plain', 'scram-sha-256', 'scram-sha-512'] }, group: 'kafka', description: 'SASL mechanism; needs --sasl-username and --sasl-password' },
  { flag: 'sasl-username', env: 'KAFKA_SASL_USERNAME', kind: 'string', group: 'kafka', description: 'SASL user name' },
  { flag: 'sasl-password', env: 'KAFKA_SASL_PASSWORD', kind: 'secret', group: 'kafka', description: 'SASL password' },
  { flag: 'tls', env: 'KAFKA_TLS', kind: 'bool', default: 'false', group: 'kafka', description: 'Connect to Kafka over TLS' },
  { flag: 'tls-ca-file', env: 'KAFKA_TLS_CA_FILE', kind: 'string', group: 'kafka', description: 'PEM file of the CA that signed the brokers\' certificates (implies --tls)' },
  { flag: 'tls-cert-file', env: 'KAFKA_TLS_CERT_FILE', kind: 'string', group: 'kafka', description: 'PEM client certificate for mutual TLS (with --tls-key-file)' },
  { flag: 'tls-key-file', env: 'KAFKA_TLS_KEY_FILE', kind: 'string', group: 'kafka', description: 'PEM client key for mutual TLS (with --tls-cert-file)' },
  { flag: 'tls-reject-unauthorized', env: 'KAFKA_TLS_REJECT_UNAUTHORIZED', kind: 'bool', default: 'true', group: 'kafka', description: 'Verify the brokers\' certificates' },
  { flag: 'registry-url', env: 'SCHEMA_REGISTRY_URL', kind: 'string', group: 'registry', description: 'Confluent-compatible schema registry base URL' },
  { flag: 'registry-user', env: 'SCHEMA_REGISTRY_USER', kind: 'string', group: 'registry', description: 'Registry basic-auth user' },
  { flag: 'registry-password', env: 'SCHEMA_REGISTRY_PASSWORD', kind: 'secret', group: 'registry', description: 'Registry basic-auth password' },
  { flag: 'http-host', env: 'DATAPROD_HTTP_HOST', kind: 'string', default: '0.0.0.0', group: 'worker', description: 'Control port address (/metrics, /healthz, /readyz)' },
  { flag: 'http-port', env: 'DATAPROD_HTTP_PORT', kind: 'int', min: 0, max: 65535, default: '9464', group: 'worker', description: 'Control port; 0 picks a free port' },
  { flag: 'log-level', env: 'DATAPROD_LOG_LEVEL', kind: { oneOf: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] }, default: 'info', group: 'worker', description: 'Log level' },
  { flag: 'include-draft', env: 'DATAPROD_INCLUDE_DRAFT', kind: 'bool', default: 'false', group: 'worker', description: 'Also run products with status: draft' },
  { flag: 'shutdown-grace-ms', env: 'DATAPROD_SHUTDOWN_GRACE_MS', kind: 'int', min: 0, default: '30000', group: 'worker', description: 'On SIGTERM/SIGINT: time to finish in-flight work, commit and disconnect' },
  { flag: 'dlq-halt-ratio', env: 'DATAPROD_DLQ_HALT_RATIO', kind: 'ratio', default: '0.5', group: 'worker', description: 'Halt a product when this share of its records is dead-lettered within the window (1 disables)' },
  { flag: 'dlq-halt-min-records', env: 'DATAPROD_DLQ_HALT_MIN_RECORDS', kind: 'int', min: 1, default: '100', group: 'worker', description: 'Records the window must hold before the halt ratio applies' },
  { flag: 'dlq-halt-window-ms', env: 'DATAPROD_DLQ_HALT_WINDOW_MS', kind: 'int', min: 1000, default: '60000', group: 'worker', description: 'Window of the dead-letter share' },
  { flag: 'session-timeout-ms', env: 'DATAPROD_SESSION_TIMEOUT_MS', kind: 'int', min: 6000, default: '30000', group: 'worker', description: 'Consumer group session timeout: how long a dead worker keeps its partitions' },
  { flag: 'max-restarts', env: 'DATAPROD_MAX_RESTARTS', kind: 'int', min: 0, default: '5', group: 'worker', description: 'Consumer restarts after broker failures before the process exits non-zero' },
  { flag: 'max-output-bytes', env: 'DATAPROD_MAX_OUTPUT_BYTES', kind: 'int', min: 1, default: '1000000', group: 'worker', description: 'Larger outputs are dead-lettered as too-large' },
  { flag: 'create-topics', env: 'DATAPROD_CREATE_TOPICS', kind: 'bool', default: 'true', group: 'worker', description: 'Create missing output and dead-letter topics at start' },
  { flag: 'auto-register', env: 'DATAPROD_AUTO_REGISTER', kind: 'bool', default: 'true', group: 'worker', description: 'Register a missing output schema at start (as `dataprod register` does)' },
  { flag: 'stall-after-ms', env: 'DATAPROD_STALL_AFTER_MS', kind: 'int', min: 1000, default: '30000', group: 'worker', description: 'A product with lag > 0 and no commit for this long is stalled: /healthz and /readyz answer 503' },
  { flag: 'partitions-concurrently', env: 'DATAPROD_PARTITIONS_CONCURRENTLY', kind: 'int', min: 1, default: '3', group: 'worker', description: 'Batches of different partitions a product handles at once (order within a partition is kept)' },
] as const satisfies readonly OptionSpec[];

export type OptionFlag = (typeof OPTIONS)[number]['flag'];

export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  ssl: false | { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean };
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
  stallAfterMs: number;
}

export interface LoadOptions {
  /** Which connections the command needs; a missing one is an error only then. */
  need: { kafka: boolean; registry: boolean };
}

/** Parses and validates every option, reporting all problems at once. */
export function loadRuntimeConfig(
  flags: Partial<Record<OptionFlag, string | boolean>>,
  env: NodeJS.ProcessEnv,
  options: LoadOptions,
): Readonly<RuntimeConfig> {
  const issues: ConfigIssue[] = [];
  const raw = new Map<OptionFlag, string>();
  for (const spec of OPTIONS) {
    const fromFlag = flags[spec.flag];
    const fromEnv = env[spec.env] === '' ? undefined : env[spec.env];
    const value = fromFlag !== undefined ? String(fromFlag) : (fromEnv ?? (spec as OptionSpec).default);
    if (value !== undefined && value !== '') raw.set(spec.flag, value);
  }
  const where = (flag: OptionFlag) => `--${flag} (${OPTIONS.find((o) => o.flag === flag)!.env})`;
  const str = (flag: OptionFlag) => raw.get(flag);
  /** An int option within the bounds its OPTIONS entry gives. */
  const int = (flag: OptionFlag): number => {
    const { min = 0, max } = OPTIONS.find((o) => o.flag === flag) as OptionSpec;
    const text = raw.get(flag)!;
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) {
      issues.push({ path: where(flag), message: `must be a whole number >= ${min}, got "${text}"` });
      return min;
    }
    if (max !== undefined && n > max) issues.push({ path: where(flag), message: `must be <= ${max}, got ${n}` });
    return n;
  };
  const bool = (flag: OptionFlag): boolean => {
    const text = (raw.get(flag) ?? 'false').toLowerCase();
    if (['true', '1', 'yes'].includes(text)) return true;
    if (['false', '0', 'no'].includes(text)) return false;
    issues.push({ path: where(flag), message: `must be true or false, got "${text}"` });
    return false;
  };
  const oneOf = <T extends string>(flag: OptionFlag, allowed: readonly T[]): T | undefined => {
    const text = raw.get(flag);
    if (text === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(text.toLowerCase())) {
      issues.push({ path: where(flag), message: `must be one of ${allowed.join(', ')}, got "${text}"` });
      return undefined;
    }
    return text.toLowerCase() as T;
  };
  const file = (flag: OptionFlag): string | undefined => {
    const path = raw.get(flag);
    if (path === undefined) return undefined;
    try {
      return readFileSync(path, 'utf8');
    } catch (err) {
      issues.push({ path: where(flag), message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
      return undefined;
    }
  };

  const brokers = (str('brokers') ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  if (options.need.kafka) {
    if (brokers.length === 0) issues.push({ path: where('brokers'), message: 'required: set it to your Kafka bootstrap servers, e.g. localhost:9092' });
    for (const b of brokers) {
      if (!/^[^:\s]+:\d{1,5}$/.test(b) && !/^\[[0-9a-fA-F:]+\]:\d{1,5}$/.test(b)) {
        issues.push({ path: where('brokers'), message: `"${b}" is not host:port` });
      }
    }
  }

  const mechanism = oneOf('sasl-mechanism', ['plain', 'scram-sha-256', 'scram-sha-512'] as const);
  const saslUser = str('sasl-username');
  const saslPassword = str('sasl-password');
  let sasl: KafkaConnection['sasl'];
  if (mechanism) {
    if (!saslUser) issues.push({ path: where('sasl-username'), message: `required with --sasl-mechanism ${mechanism}` });
    if (!saslPassword) issues.push({ path: where('sasl-password'), message: `required with --sasl-mechanism ${mechanism}` });
    if (saslUser && saslPassword) sasl = { mechanism, username: saslUser, password: saslPassword };
  } else if (saslUser || saslPassword) {
    issues.push({ path: where('sasl-mechanism'), message: 'required when a SASL user or password is set: plain, scram-sha-256 or scram-sha-512' });
  }

  const ca = file('tls-ca-file');
  const cert = file('tls-cert-file');
  const key = file('tls-key-file');
  if ((raw.has('tls-cert-file') || raw.has('tls-key-file')) && !(raw.has('tls-cert-file') && raw.has('tls-key-file'))) {
    issues.push({ path: where(raw.has('tls-cert-file') ? 'tls-key-file' : 'tls-cert-file'), message: 'mutual TLS needs both --tls-cert-file and --tls-key-file' });
  }
  const tls = bool('tls') || raw.has('tls-ca-file') || raw.has('tls-cert-file');
  const rejectUnauthorized = bool('tls-reject-unauthorized');

  const registryUrl = str('registry-url');
  if (options.need.registry) {
    if (!registryUrl) issues.push({ path: where('registry-url'), message: 'required: set it to your schema registry, e.g. http://localhost:8081' });
  }
  if (registryUrl) {
    try {
      const u = new URL(registryUrl);
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('not http(s)');
    } catch {
      issues.push({ path: where('registry-url'), message: `"${registryUrl}" is not an http(s) URL` });
    }
  }
  if (raw.has('registry-password') && !raw.has('registry-user')) {
    issues.push({ path: where('registry-user'), message: 'required when a registry password is set' });
  }

  const ratioText = raw.get('dlq-halt-ratio')!;
  const ratio = Number(ratioText);
  if (!(ratio > 0 && ratio <= 1)) issues.push({ path: where('dlq-halt-ratio'), message: `must be a number in (0, 1], got "${ratioText}"` });

  const httpPort = int('http-port');

  const config: RuntimeConfig = {
    kafka: {
      brokers,
      clientId: str('client-id')!,
      ssl: tls ? { ca, cert, key, rejectUnauthorized } : false,
      sasl,
    },
    registry: { url: registryUrl ?? '', username: str('registry-user'), password: str('registry-password') },
    httpHost: str('http-host')!,
    httpPort,
    logLevel: oneOf('log-level', ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) ?? 'info',
    includeDraft: bool('include-draft'),
    shutdownGraceMs: int('shutdown-grace-ms'),
    dlqHalt: { ratio, minRecords: int('dlq-halt-min-records'), windowMs: int('dlq-halt-window-ms') },
    maxRestarts: int('max-restarts'),
    sessionTimeoutMs: int('session-timeout-ms'),
    maxOutputBytes: int('max-output-bytes'),
    createTopics: bool('create-topics'),
    autoRegister: bool('auto-register'),
    partitionsConcurrently: int('partitions-concurrently'),
    stallAfterMs: int('stall-after-ms'),
  };
  if (issues.length) throw new ConfigError(issues);
  return Object.freeze(config);
}
