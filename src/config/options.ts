/**
 * Every option of every command in one table (the settings here, the one-command flags in
 * ./command-flags.ts): its kind, bounds or choices, default, variable (for
 * the settings a deployment sets in the environment) and the commands that take it. The table
 * drives the parser (./parse-options.ts: `readOptions`; ./runtime.ts: `loadRuntimeConfig`), the parseArgs spec and `--help` of
 * src/cli/main.ts, and the docs tests of docs/cli.md and docs/configuration.md, so none of them can
 * drift from the others.
 */

import { COMMAND_FLAGS } from './command-flags.js';
import type { CommandName, OptionSpec } from './option-spec.js';

export type { CommandName, OptionSpec } from './option-spec.js';

/** Who takes the connection settings: the worker, the demo producer (which also registers), check and the dead-letter commands. */
const KAFKA = ['run', 'demo-produce', 'check', 'dlq'] as const;
const REGISTRY = ['register', 'run', 'demo-produce', 'check', 'dlq'] as const;
const WORKER = ['run'] as const;

/** Settings: what a deployment sets, each with its variable. */
const SETTINGS = [
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
    flag: 'tls-key-passphrase',
    env: 'KAFKA_TLS_KEY_PASSPHRASE',
    kind: 'secret',
    commands: KAFKA,
    section: 'Kafka connection',
    description: 'Passphrase of an encrypted --tls-key-file (checked at start)',
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
    commands: [...WORKER, 'dlq'],
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
  {
    flag: 'max-partition-fetch-bytes',
    env: 'DATAPROD_MAX_PARTITION_FETCH_BYTES',
    kind: 'int',
    min: 1024,
    default: '262144',
    commands: WORKER,
    section: 'Worker',
    description:
      'Most bytes one fetch returns per input partition (a larger first record batch still comes whole): a batch is at most this much, so it bounds memory and latency',
  },
  {
    flag: 'openlineage-url',
    env: 'DATAPROD_OPENLINEAGE_URL',
    kind: 'string',
    commands: WORKER,
    section: 'Worker',
    description:
      'Where OpenLineage run events go: an http(s):// endpoint they are POSTed to, or a file: URL they are appended to; unset: none',
  },
  {
    flag: 'openlineage-namespace',
    env: 'DATAPROD_OPENLINEAGE_NAMESPACE',
    kind: 'string',
    default: 'dataprod',
    commands: WORKER,
    section: 'Worker',
    description: 'OpenLineage job namespace of the products (each job is named by its product majorId)',
  },
  {
    flag: 'openlineage-interval-ms',
    env: 'DATAPROD_OPENLINEAGE_INTERVAL_MS',
    kind: 'int',
    min: 1000,
    default: '60000',
    commands: WORKER,
    section: 'Worker',
    description: 'Interval of the RUNNING events that carry the counts so far',
  },
  {
    flag: 'lookup-dir',
    env: 'DATAPROD_LOOKUP_DIR',
    kind: 'string',
    commands: ['run', 'dlq'],
    section: 'Worker',
    description:
      "Folder of the lookup tables with store: disk (one sub-folder per table and process, removed on stop); default: the system's temporary folder",
  },
  {
    flag: 'consumer-groups-refresh-ms',
    env: 'DATAPROD_CONSUMER_GROUPS_REFRESH_MS',
    kind: 'int',
    min: 1000,
    default: '60000',
    commands: WORKER,
    section: 'Worker',
    description: 'How often each product discovers the consumer groups committing offsets on its product topic',
  },
  {
    flag: 'consumer-groups-max',
    env: 'DATAPROD_CONSUMER_GROUPS_MAX',
    kind: 'int',
    min: 0,
    default: '10',
    commands: WORKER,
    section: 'Worker',
    description: 'Consumer groups shown and exported per product topic, the largest lag first (0 turns discovery off)',
  },
] as const satisfies readonly OptionSpec[];

export const OPTIONS = [...SETTINGS, ...COMMAND_FLAGS] as const satisfies readonly OptionSpec[];

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
