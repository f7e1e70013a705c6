// The public API of the dataprod package.
export { defineTransform, isTransform, type Transform, type TransformContext, type TransformFn } from './transform.js';
export { DataprodError, DescriptorError, ConfigError, type ErrorCode, type ConfigIssue } from './errors.js';
export type * from './config/types.js';
