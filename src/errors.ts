/**
 * One error base class with stable codes. `retriable` tells the runtime whether waiting and
 * trying again can help (an infrastructure fault) or not (bad configuration, bad data).
 * Every code is documented in docs/errors.md.
 */
export type ErrorCode =
  | 'DESCRIPTOR_INVALID'
  | 'CONFIG_INVALID'
  | 'TRANSFORM_LOAD_FAILED'
  | 'REGISTRY_UNAVAILABLE'
  | 'REGISTRY_REJECTED'
  | 'SCHEMA_INCOMPATIBLE'
  | 'BROKER_UNAVAILABLE'
  | 'PRODUCT_HALTED'
  | 'TOPIC_WRITE_REFUSED';

export class DataprodError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DataprodError';
    this.code = code;
    this.retriable = options.retriable ?? false;
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
