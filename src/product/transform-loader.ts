/**
 * Loads a product's transform module (TypeScript or JavaScript) at runtime through tsx.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { DataprodError } from '../errors.js';
import { defineTransform, isTransform, type Transform, type TransformFn } from '../transform.js';

const FIX = 'export default defineTransform((event, ctx) => ...)';

/** Why a transform module could not be used; `message` does not name the file. */
export interface TransformProblem {
  readonly message: string;
  readonly cause?: unknown;
}

/**
 * Imports `file` and returns its transform, or the problem. Used by loadTransform (which throws)
 * and by validateProduct (which turns the problem into an issue at path `transform`).
 */
export async function importTransform(file: string): Promise<{ transform: Transform } | { problem: TransformProblem }> {
  const abs = resolve(file);
  if (!existsSync(abs)) return { problem: { message: `does not exist; create it with ${FIX}` } };
  if (!statSync(abs).isFile()) return { problem: { message: `is not a file; point it to a module with ${FIX}` } };

  let mod: Record<string, unknown>;
  try {
    mod = (await tsImport(pathToFileURL(abs).href, import.meta.url)) as Record<string, unknown>;
  } catch (err) {
    return { problem: { message: `failed to import: ${errorText(err)}`, cause: err } };
  }

  let value: unknown = mod.default;
  // A CommonJS module compiled from `export default` arrives as { default: { default: x } }.
  if (!isTransform(value) && typeof value === 'object' && value !== null && 'default' in value) {
    const inner = (value as { default: unknown }).default;
    if (isTransform(inner) || typeof inner === 'function') value = inner;
  }

  if (isTransform(value)) {
    const asyncProblem = checkSync(value.fn);
    return asyncProblem ? { problem: asyncProblem } : { transform: value };
  }
  if (typeof value === 'function') {
    const asyncProblem = checkSync(value);
    if (asyncProblem) return { problem: asyncProblem };
    return { transform: defineTransform(value as TransformFn<unknown, unknown>) };
  }
  if (!('default' in mod) || value === undefined) {
    const named = Object.keys(mod).filter((k) => k !== 'default' && k !== '__esModule');
    const found = named.length > 0 ? `it exports only ${named.join(', ')}` : 'it exports nothing';
    return { problem: { message: `has no default export (${found}); add ${FIX}` } };
  }
  return { problem: { message: `has a default export that is ${describe(value)}, not a transform; write ${FIX}` } };
}

/**
 * Imports a product's transform module and returns its default export as a Transform: what
 * `defineTransform` returned, or a plain (synchronous) function, which is wrapped. Anything else,
 * and a module that throws on import, fails with TRANSFORM_LOAD_FAILED.
 */
export async function loadTransform(file: string): Promise<Transform> {
  const result = await importTransform(file);
  if ('transform' in result) return result.transform;
  throw new DataprodError('TRANSFORM_LOAD_FAILED', `transform module ${resolve(file)} ${result.problem.message}`, {
    cause: result.problem.cause,
  });
}

function checkSync(fn: unknown): TransformProblem | undefined {
  const tag = Object.prototype.toString.call(fn);
  if (tag === '[object AsyncFunction]' || tag === '[object AsyncGeneratorFunction]' || tag === '[object GeneratorFunction]') {
    return {
      message:
        'has a default export that is an async or generator function; a transform must be synchronous and return Out | Out[] | null ' +
        `(the hot path has no Promise per record): ${FIX}`,
    };
  }
  return undefined;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  switch (typeof value) {
    case 'number':
    case 'boolean':
    case 'bigint':
      return `a ${typeof value} (${String(value)})`;
    case 'string':
      return `a string (${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value)})`;
    case 'object': {
      const keys = Object.keys(value);
      return keys.length > 0 ? `an object with keys ${keys.slice(0, 8).join(', ')}` : 'an empty object';
    }
    default:
      return `a ${typeof value}`;
  }
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  const oneLine = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '')
    .join(' ');
  return oneLine.length > 500 ? `${oneLine.slice(0, 497)}...` : oneLine;
}
