import { readFileSync } from 'node:fs';
import { ConfigError, type ConfigIssue } from '../errors.js';

/**
 * Every option of every command in one table: its kind, bounds or choices, default, variable (for
 * the settings a deployment sets in the environment) and the commands that take it. The table
 * drives the parser below (`readOptions`, `loadRuntimeConfig`), the parseArgs spec and `--help` of
 * src/cli/main.ts, and the docs tests of docs/cli.md and docs/configuration.md, so none of them can
 * drift from the others.
 */

/** The commands of `dataprod`; src/cli/commands.ts has one entry for each. */
export type CommandName = 'validate' | 'test' | 'register' | 'run' | 'codegen' | 'rules' | 'demo-produce';

type Kind = 'string' | 'secret' | 'int' | 'number' | 'bool' | 'list' | { oneOf: readonly string[] };

export interface OptionSpec {
  flag: string;
  /** The variable of a setting; an option without one is a flag only. */
  env?: string;
  kind: Kind;
  /** Inclusive bounds of an int or number option; `above` is an exclusive lower bound of a number. */
  min?: number;
  max?: number;
  above?: number;
  default?: string;
  description: string;
  /** The commands that take it, in the order of `dataprod --help`. */
  commands: readonly CommandName[];
  /** The table of docs/configuration.md a setting is documented in (options with a variable only). */
  section?: 'Kafka connection' | 'Schema registry' | 'Worker';
}

/** Who takes the connection settings: the worker and the demo producer (which also registers). */
const KAFKA = ['run', 'demo-produce'] as const;
const REGISTRY = ['register', 'run', 'demo-produce'] as const;
const WORKER = ['run'] as const;

export const OPTIONS = [
  {
    flag: 'brokers',
    env: 'KAFKA_BROKERS',
    kind: 'list',
    commands: KAFKA,
    section: 'Kafka connection',
    description: 'Kafka bootstrap servers, comma-separated (host:port,...)',
  },
  {
    flag: 'client-id',
    env: 'KAFKA_CLIENT_ID',
    kind: 'string',
    default: 'dataprod',
    commands: KAFKA,
    section: 'Kafka connection',
    description: "Kafka client id of the worker's connections",
  },
  {
    flag: 'sasl-mechanism',
    env: 'KAFKA_SASL_MECHANISM',
    kind: { oneOf: ['plain', 'scram-sha-256', 'scram-sha-512'] },
    commands: KAFKA,
    section: 'Kafka connection',
    description: 'SASL mechanism; needs --sasl-username and --sasl-password',
  },
  {
    flag: 'sasl-username',
    env: 'KAFKA_SASL_USERNAME',
    kind: 'string',
    commands: KAFKA,
    section: 'Kafka connection',
    description: 'SASL user name',
  },
  {
    flag: 'sasl-password',
    env: 'KAFKA_SASL_PASSWORD',
    kind: 'secret',
    commands: KAFKA,
    section: 'Kafka connection',
    description: 'SASL password',
  },
  {
    flag: 'tls',
    env: 'KAFKA_TLS',
    kind: 'bool',
    default: 'false',
    commands: KAFKA,
    section: 'Kafka connection',
    description: 'Connect to Kafka over TLS',
  },
  {
    flag: 'tls-ca-file',
    env: 'KAFKA_TLS_CA_FILE',
    kind: 'string',
    commands: KAFKA,
    section: 'Kafka connection',
    description: "PEM file of the CA that signed the brokers' certificates (implies --tls)",
  },
  {
    flag: 'tls-cert-file',
    env: 'KAFKA_TLS_CERT_FILE',
    kind: 'string',
    commands: KAFKA,
    section: 'Kafka connection',
    description: 'PEM client certificate for mutual TLS (with --tls-key-file)',
  },
  {
    flag: 'tls-key-file',
    env: 'KAFKA_TLS_KEY_FILE',
    kind: 'string',
    commands: KAFKA,
    section: 'Kafka connection',
    description: 'PEM client key for mutual TLS (with --tls-cert-file)',
  },
  {
    flag: 'tls-reject-unauthorized',
    env: 'KAFKA_TLS_REJECT_UNAUTHORIZED',
    kind: 'bool',
    default: 'true',
    commands: KAFKA,
    section: 'Kafka connection',
    description: "Verify the brokers' certificates",
  },
  {
    flag: 'registry-url',
    env: 'SCHEMA_REGISTRY_URL',
    kind: 'string',
    commands: REGISTRY,
    section: 'Schema registry',
    description: 'Confluent-compatible schema registry base URL',
  },
  {
    flag: 'registry-user',
    env: 'SCHEMA_REGISTRY_USER',
    kind: 'string',
    commands: REGISTRY,
    section: 'Schema registry',
    description: 'Registry basic-auth user',
  },
  {
    flag: 'registry-password',
    env: 'SCHEMA_REGISTRY_PASSWORD',
    kind: 'secret',
    commands: REGISTRY,
    section: 'Schema registry',
    description: 'Registry basic-auth password',
  },
  {
    flag: 'http-host',
    env: 'DATAPROD_HTTP_HOST',
    kind: 'string',
    default: '0.0.0.0',
    commands: WORKER,
    section: 'Worker',
    description: 'Control port address (/metrics, /healthz, /readyz)',
  },
  {
    flag: 'http-port',
    env: 'DATAPROD_HTTP_PORT',
    kind: 'int',
    min: 0,
    max: 65535,
    default: '9464',
    commands: WORKER,
    section: 'Worker',
    description: 'Control port; 0 picks a free port',
  },
  {
    flag: 'log-level',
    env: 'DATAPROD_LOG_LEVEL',
    kind: { oneOf: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] },
    default: 'info',
    commands: ['run', 'demo-produce'],
    section: 'Worker',
    description: 'Log level',
  },
  {
    flag: 'include-draft',
    env: 'DATAPROD_INCLUDE_DRAFT',
    kind: 'bool',
    default: 'false',
    commands: ['run', 'rules'],
    section: 'Worker',
    description: 'Also take products with status: draft (run starts them, rules generates their rules)',
  },
  {
    flag: 'shutdown-grace-ms',
    env: 'DATAPROD_SHUTDOWN_GRACE_MS',
    kind: 'int',
    min: 0,
    default: '30000',
    commands: WORKER,
    section: 'Worker',
    description: 'On SIGTERM/SIGINT: time to finish in-flight work, commit and disconnect',
  },
  {
    flag: 'dlq-halt-ratio',
    env: 'DATAPROD_DLQ_HALT_RATIO',
    kind: 'number',
    above: 0,
    max: 1,
    default: '0.5',
    commands: WORKER,
    section: 'Worker',
    description: 'Halt a product when this share of its records is dead-lettered within the window (1 disables)',
  },
  {
    flag: 'dlq-halt-min-records',
    env: 'DATAPROD_DLQ_HALT_MIN_RECORDS',
    kind: 'int',
    min: 1,
    default: '100',
    commands: WORKER,
    section: 'Worker',
    description: 'Records the window must hold before the halt ratio applies',
  },
  {
    flag: 'dlq-halt-window-ms',
    env: 'DATAPROD_DLQ_HALT_WINDOW_MS',
    kind: 'int',
    min: 1000,
    default: '60000',
    commands: WORKER,
    section: 'Worker',
    description: 'Window of the dead-letter share',
  },
  {
    flag: 'session-timeout-ms',
    env: 'DATAPROD_SESSION_TIMEOUT_MS',
    kind: 'int',
    min: 6000,
    default: '30000',
    commands: WORKER,
    section: 'Worker',
    description: 'Consumer group session timeout: how long a dead worker keeps its partitions',
  },
  {
    flag: 'max-restarts',
    env: 'DATAPROD_MAX_RESTARTS',
    kind: 'int',
    min: 0,
    default: '5',
    commands: WORKER,
    section: 'Worker',
    description: 'Consumer restarts after broker failures before the process exits non-zero',
  },
  {
    flag: 'max-output-bytes',
    env: 'DATAPROD_MAX_OUTPUT_BYTES',
    kind: 'int',
    min: 1,
    default: '1000000',
    commands: WORKER,
    section: 'Worker',
    description: 'Larger outputs are dead-lettered as too-large',
  },
  {
    flag: 'create-topics',
    env: 'DATAPROD_CREATE_TOPICS',
    kind: 'bool',
    default: 'true',
    commands: WORKER,
    section: 'Worker',
    description: 'Create missing output and dead-letter topics at start',
  },
  {
    flag: 'auto-register',
    env: 'DATAPROD_AUTO_REGISTER',
    kind: 'bool',
    default: 'true',
    commands: WORKER,
    section: 'Worker',
    description: 'Register a missing output schema at start (as `dataprod register` does)',
  },
  {
    flag: 'stall-after-ms',
    env: 'DATAPROD_STALL_AFTER_MS',
    kind: 'int',
    min: 1000,
    default: '30000',
    commands: WORKER,
    section: 'Worker',
    description: 'A product with lag > 0 and no commit for this long is stalled: /healthz and /readyz answer 503',
  },
  {
    flag: 'partitions-concurrently',
    env: 'DATAPROD_PARTITIONS_CONCURRENTLY',
    kind: 'int',
    min: 1,
    default: '3',
    commands: WORKER,
    section: 'Worker',
    description: 'Batches of different partitions a product handles at once (order within a partition is kept)',
  },
  // Flags of one command, without a variable.
  { flag: 'check', kind: 'bool', commands: ['codegen'], description: 'fail if a types.gen.ts is missing or stale instead of writing it' },
  { flag: 'out', kind: 'string', default: '-', commands: ['rules'], description: 'file to write the rules to; - prints them on stdout' },
  {
    flag: 'rate',
    kind: 'number',
    above: 0,
    default: '50',
    commands: ['demo-produce'],
    description: 'Raw events per second, per raw topic',
  },
  {
    flag: 'partitions',
    kind: 'int',
    min: 1,
    default: '3',
    commands: ['demo-produce'],
    description: 'Partitions of a raw topic created by this command',
  },
  {
    flag: 'ready-file',
    kind: 'string',
    commands: ['demo-produce'],
    description: 'Written once every raw topic has acknowledged events, removed on stop (for a healthcheck)',
  },
] as const satisfies readonly OptionSpec[];

type Option = (typeof OPTIONS)[number];
export type OptionFlag = Option['flag'];

/** The value an option of a kind parses to. */
type ValueOf<K> = K extends 'bool'
  ? boolean
  : K extends 'int' | 'number'
    ? number
    : K extends 'list'
      ? string[]
      : K extends { oneOf: readonly (infer V)[] }
        ? V
        : string;
/** Parsed options by flag; an option that is not set (and has no default) is absent. */
export type OptionValues = { [O in Option as O['flag']]?: ValueOf<O['kind']> };

/** The options of a command, in the order of the table (the order of its `--help`). */
export const optionsOf = (command: CommandName): readonly OptionSpec[] =>
  (OPTIONS as readonly OptionSpec[]).filter((o) => o.commands.includes(command));

/** How an option is named in a problem: its flag, and its variable if it has one. */
export const optionPath = (spec: OptionSpec) => (spec.env ? `--${spec.flag} (${spec.env})` : `--${spec.flag}`);

/** The bounds of a number option as text: `in (0, 1]`, `> 0`, `>= 1`; empty without bounds. */
function rangeOf(spec: OptionSpec): string {
  const low = spec.above !== undefined ? ['(', spec.above] : spec.min !== undefined ? ['[', spec.min] : undefined;
  if (low && spec.max !== undefined) return `in ${low[0]}${low[1]}, ${spec.max}]`;
  if (low) return `${low[0] === '(' ? '>' : '>='} ${low[1]}`;
  return spec.max !== undefined ? `<= ${spec.max}` : '';
}

/** What an option accepts, for --help: `0..65535`, `>= 1000`, `in (0, 1]`, `plain|scram-sha-256`; empty for text. */
export function valuesOf(spec: OptionSpec): string {
  if (typeof spec.kind === 'object') return spec.kind.oneOf.join('|');
  if (spec.kind === 'int') return spec.max !== undefined ? `${spec.min ?? 0}..${spec.max}` : `>= ${spec.min ?? 0}`;
  if (spec.kind === 'number') return rangeOf(spec);
  return '';
}

/** Parses one option's text by its kind and bounds: the value, or what is wrong with the text. */
export function parseOption(spec: OptionSpec, text: string): { value: string | number | boolean | string[] } | { problem: string } {
  const { kind } = spec;
  if (typeof kind === 'object') {
    const value = text.toLowerCase();
    return kind.oneOf.includes(value) ? { value } : { problem: `must be one of ${kind.oneOf.join(', ')}, got "${text}"` };
  }
  switch (kind) {
    case 'bool': {
      const value = text.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(value)) return { value: true };
      if (['false', '0', 'no'].includes(value)) return { value: false };
      return { problem: `must be true or false, got "${value}"` };
    }
    case 'int': {
      const { min = 0, max } = spec;
      const n = Number(text);
      if (!Number.isInteger(n) || n < min) return { problem: `must be a whole number >= ${min}, got "${text}"` };
      if (max !== undefined && n > max) return { problem: `must be <= ${max}, got ${n}` };
      return { value: n };
    }
    case 'number': {
      const n = Number(text);
      const { above, min, max } = spec;
      const ok =
        text.trim() !== '' &&
        Number.isFinite(n) &&
        (above === undefined || n > above) &&
        (min === undefined || n >= min) &&
        (max === undefined || n <= max);
      const range = rangeOf(spec);
      return ok ? { value: n } : { problem: `must be a number${range ? ` ${range}` : ''}, got "${text}"` };
    }
    case 'list':
      return {
        value: text
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      };
    case 'string':
    case 'secret':
      return { value: text };
  }
}

/** The text of each option: its flag, else its variable (empty counts as unset), else its default. */
function textsOf(
  specs: readonly OptionSpec[],
  flags: Partial<Record<string, string | boolean>>,
  env: NodeJS.ProcessEnv,
): Map<string, string> {
  const texts = new Map<string, string>();
  for (const spec of specs) {
    const fromFlag = flags[spec.flag];
    const fromEnv = spec.env === undefined || env[spec.env] === '' ? undefined : env[spec.env];
    const text = fromFlag !== undefined ? String(fromFlag) : (fromEnv ?? spec.default);
    if (text !== undefined && text !== '') texts.set(spec.flag, text);
  }
  return texts;
}

/** Parses the given options, collecting every problem; `given` holds the flags that have a text. */
function parseAll(specs: readonly OptionSpec[], flags: Partial<Record<string, string | boolean>>, env: NodeJS.ProcessEnv) {
  const issues: ConfigIssue[] = [];
  const values: Record<string, unknown> = {};
  const texts = textsOf(specs, flags, env);
  for (const spec of specs) {
    const text = texts.get(spec.flag);
    if (text === undefined) continue;
    const parsed = parseOption(spec, text);
    if ('problem' in parsed) issues.push({ path: optionPath(spec), message: parsed.problem });
    else values[spec.flag] = parsed.value;
  }
  return { values: values as OptionValues, issues, given: (flag: OptionFlag) => texts.has(flag) };
}

/**
 * The options of a command that reads no connection settings (codegen, rules) or its own flags
 * beside them (demo-produce), parsed from flags and variables; every problem at once.
 */
export function readOptions(command: CommandName, flags: Partial<Record<string, string | boolean>>, env: NodeJS.ProcessEnv): OptionValues {
  const { values, issues } = parseAll(optionsOf(command), flags, env);
  if (issues.length) throw new ConfigError(issues);
  return values;
}

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

  const registryUrl = values['registry-url'];
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
  if (given('registry-password') && !given('registry-user')) {
    issues.push({ path: where('registry-user'), message: 'required when a registry password is set' });
  }

  if (issues.length) throw new ConfigError(issues);
  // Every setting below has a default, so it has a value once its text parsed.
  const config: RuntimeConfig = {
    kafka: {
      brokers,
      clientId: values['client-id']!,
      ssl: tls ? { ca, cert, key, rejectUnauthorized: values['tls-reject-unauthorized']! } : false,
      sasl,
    },
    registry: { url: registryUrl ?? '', username: values['registry-user'], password: values['registry-password'] },
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
    stallAfterMs: values['stall-after-ms']!,
  };
  return Object.freeze(config);
}
