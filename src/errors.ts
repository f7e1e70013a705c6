/**
 * The one catalogue of error codes: what each means and how to fix it. docs/errors.md's codes
 * table is tested against it in both directions (test/unit/docs/errors.test.ts); each code has a
 * section there with the details.
 */
export const ERROR_CATALOGUE = {
  DESCRIPTOR_INVALID: {
    meaning: 'a `product.yaml`, a schema it names or its transform module is wrong',
    fix: 'edit what each listed problem names, then run `dataprod validate` again',
  },
  CONFIG_INVALID: {
    meaning:
      'an option or environment variable is wrong, a product path is not a product, a topic is missing at start, or the output schema is not registered with auto-registration off',
    fix: 'correct the option, path or topic the message names (`dataprod --help` lists the options)',
  },
  TRANSFORM_LOAD_FAILED: {
    meaning: 'a transform module cannot be imported, or its default export is not a synchronous transform',
    fix: 'export default defineTransform((event, ctx) => ...) with a synchronous function',
  },
  REGISTRY_UNAVAILABLE: {
    meaning: 'the schema registry cannot be reached, times out, or answers 5xx, 408 or 429',
    fix: 'bring the registry back or correct `--registry-url`; a running product backs off and resumes by itself',
  },
  REGISTRY_REJECTED: {
    meaning: 'the registry answers 401, 403 or another unexpected 4xx',
    fix: 'correct the registry credentials or URL',
  },
  SCHEMA_INCOMPATIBLE: {
    meaning: "an output schema breaks the subject's compatibility level, or the descriptor would weaken that level",
    fix: 'make the change compatible, or publish it as a new major version',
  },
  BROKER_UNAVAILABLE: {
    meaning:
      "Kafka cannot be reached: a product's consumer crashed and will not be restarted, or a write failed and the partition backs off",
    fix: 'restore the brokers or the connection settings (`--brokers`, TLS, SASL)',
  },
  STOPPED_ON_INVALID_RECORD: {
    meaning: 'an input port with `onInvalid: fail` received an invalid record: the product failed and the worker stopped',
    fix: 'move the group past the record with every replica stopped, or change the port to `onInvalid: dlq`',
  },
  TOPIC_WRITE_REFUSED: {
    meaning: "a topic refuses a product's writes (size, authorization, policy, configuration) or is gone: the product is `blocked`",
    fix: "as the reason says: raise the topic's `max.message.bytes`, grant the ACL, or create the topic again; the product resumes by itself",
  },
  REPLAY_RUNNING: {
    meaning: "a `dlq replay` of the product is already running: the replay's consumer group has members",
    fix: 'wait for that replay to finish (or stop it; it resumes later), then run the replay again',
  },
} as const satisfies Record<string, { meaning: string; fix: string }>;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/** One error base class with stable codes (ERROR_CATALOGUE). */
export class DataprodError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DataprodError';
    this.code = code;
  }
}

/** One problem in a descriptor or configuration, with the path to the bad field and the fix. */
export interface ConfigIssue {
  /** e.g. `outputPorts[0].topic` */
  path: string;
  /** e.g. `must end with .v1 because version is 1.4.0` */
  message: string;
}

export function formatIssues(issues: readonly ConfigIssue[]): string {
  return issues.map((i) => `  ${i.path}: ${i.message}`).join('\n');
}

export class DescriptorError extends DataprodError {
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super('DESCRIPTOR_INVALID', `${file}: ${issues.length} problem${issues.length === 1 ? '' : 's'}\n${formatIssues(issues)}`);
    this.name = 'DescriptorError';
  }
}

export class ConfigError extends DataprodError {
  constructor(readonly issues: readonly ConfigIssue[]) {
    super('CONFIG_INVALID', `invalid configuration:\n${formatIssues(issues)}`);
    this.name = 'ConfigError';
  }
}
