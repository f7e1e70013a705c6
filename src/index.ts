// The public API of the dataprod package: what a product author's transform.ts uses, and the
// errors every command raises. Descriptors, workers and tools are reached through the CLI.
export { defineTransform, isTransform, type Transform, type TransformContext, type TransformFn } from './transform.js';
export type { LookupTypes } from './transform.js';
export { DataprodError, DescriptorError, ConfigError, type ErrorCode, type ConfigIssue } from './errors.js';
export { Decimal, type DecimalLike } from './contracts/decimal.js';
