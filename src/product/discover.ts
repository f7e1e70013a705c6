/**
 * Finds product folders from command-line paths.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DataprodError } from '../errors.js';

export const DESCRIPTOR_FILE = 'product.yaml';
export const DEFAULT_PRODUCTS_DIR = 'products';

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function isProductDir(path: string): boolean {
  return isDir(path) && existsSync(join(path, DESCRIPTOR_FILE));
}

/**
 * Each path is either a product folder (it contains product.yaml) or a folder whose direct
 * subfolders are product folders. No paths: `products` (relative to the working directory).
 * Returns absolute, sorted, deduplicated folders. A path that is neither throws CONFIG_INVALID.
 */
export function findProductDirs(paths: string[]): string[] {
  const inputs = paths.length > 0 ? paths : [DEFAULT_PRODUCTS_DIR];
  const found = new Set<string>();
  const problems: string[] = [];
  for (const input of inputs) {
    const abs = resolve(input);
    if (!existsSync(abs)) {
      problems.push(`${input}: does not exist`);
      continue;
    }
    if (!isDir(abs)) {
      problems.push(`${input}: is not a folder; pass a product folder (with ${DESCRIPTOR_FILE}) or a folder of product folders`);
      continue;
    }
    if (isProductDir(abs)) {
      found.add(abs);
      continue;
    }
    const children = readdirSync(abs)
      .map((entry) => join(abs, entry))
      .filter(isProductDir);
    if (children.length === 0) {
      problems.push(`${input}: is neither a product folder (no ${DESCRIPTOR_FILE}) nor a folder of product folders (no subfolder has one)`);
      continue;
    }
    for (const child of children) found.add(child);
  }
  if (problems.length > 0) {
    throw new DataprodError('CONFIG_INVALID', `no product found at:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
  return [...found].sort();
}

/** Name of the generated types file in a product folder, next to transform.ts (`dataprod codegen`). */
export const PRODUCT_TYPES_FILE = 'types.gen.ts';
