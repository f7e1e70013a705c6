import type { OptionSpec } from './option-spec.js';

/**
 * The flags of one command each, without a variable: what a command is asked to do this time,
 * not how a deployment is set up (those are the settings of ./options.ts, which joins both).
 */
export const COMMAND_FLAGS = [
  { flag: 'check', kind: 'bool', commands: ['codegen'], description: 'fail if a types.gen.ts is missing or stale instead of writing it' },
  { flag: 'out', kind: 'string', default: '-', commands: ['rules'], description: 'file to write the rules to; - prints them on stdout' },
  {
    flag: 'rate',
    kind: 'number',
    above: 0,
    commands: ['demo-produce', 'dlq'],
    description:
      'Records per second: raw events per raw topic (demo-produce, default 50); dead letters replayed (dlq replay, default unlimited)',
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
  {
    flag: 'against',
    kind: 'string',
    commands: ['check'],
    description: 'What to compare with: a git ref (main, origin/main, a tag, a commit) or registry',
  },
  {
    flag: 'json',
    kind: 'bool',
    default: 'false',
    commands: ['check', 'dlq'],
    description: 'Print the report (check) or the result (dlq) as JSON on stdout',
  },
  // dataprod dlq inspect|replay (one command, two subcommands; the help says which takes what).
  {
    flag: 'since',
    kind: 'string',
    commands: ['dlq'],
    description: 'only dead letters written at or after this time (ISO 8601, or ms since the epoch)',
  },
  {
    flag: 'until',
    kind: 'string',
    commands: ['dlq'],
    description: 'only dead letters written before this time (ISO 8601, or ms since the epoch)',
  },
  { flag: 'reason', kind: 'list', commands: ['dlq'], description: 'replay: only dead letters with these reasons, comma-separated' },
  { flag: 'rule', kind: 'list', commands: ['dlq'], description: 'replay: only dead letters of these rules, comma-separated' },
  { flag: 'key', kind: 'string', commands: ['dlq'], description: 'replay: only dead letters with this record key (UTF-8 text)' },
  { flag: 'dry-run', kind: 'bool', commands: ['dlq'], description: 'replay: decide and count, write and commit nothing' },
  {
    flag: 'max-attempts',
    kind: 'int',
    min: 2,
    default: '3',
    commands: ['dlq'],
    description: 'replay: a dead letter still bad at this attempt is parked (the worker made attempt 1)',
  },
  { flag: 'include-parked', kind: 'bool', commands: ['dlq'], description: 'replay: replay parked dead letters too' },
  {
    flag: 'metrics-file',
    kind: 'string',
    commands: ['dlq'],
    description: "replay: write the run's counters there in Prometheus text format",
  },
  {
    flag: 'from-offset',
    kind: 'list',
    commands: ['dlq'],
    description:
      'only dead letters at or after this dead-letter offset: one for every partition (100) or partition:offset pairs (0:100,2:40)',
  },
  {
    flag: 'to-offset',
    kind: 'list',
    commands: ['dlq'],
    description: 'only dead letters before this dead-letter offset (exclusive): one for every partition or partition:offset pairs',
  },
  {
    flag: 'min-records',
    kind: 'int',
    min: 0,
    default: '100',
    commands: ['rules'],
    description: 'Records a burn-rate alert of a ratio SLO needs in its long window before it may fire (0: no guard)',
  },
  { flag: 'name', kind: 'string', commands: ['init'], description: "product name, kebab-case; default: the folder's name" },
  {
    flag: 'domain',
    kind: 'string',
    default: 'example',
    commands: ['init'],
    description: "product domain, kebab-case: the first part of the product's id and topic",
  },
  { flag: 'owner', kind: 'string', commands: ['init'], description: 'user name of the owner in the descriptor; default: $USER' },
  {
    flag: 'format',
    kind: { oneOf: ['odcs', 'odps'] },
    commands: ['export'],
    description: 'what to write: odcs (Open Data Contract Standard contracts) or odps (Open Data Product Standard descriptors)',
  },
  { flag: 'out-dir', kind: 'string', default: 'catalog', commands: ['export'], description: 'folder the exported files are written to' },
] as const satisfies readonly OptionSpec[];
