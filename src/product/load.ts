/**
 * Loads `product.yaml`: reads the YAML, checks its shape (./shape.ts) and what needs several
 * fields or the file system (./semantics.ts), checks the transform module, and compiles the
 * result into the frozen ProductDescriptor of ./types.ts (./compile.ts). Every problem is
 * reported at once, each with its path (`outputPorts[0].topic`) and a message that says the fix.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { DescriptorError, type ConfigIssue } from '../errors.js';
import type { Transform } from '../transform.js';
import { compile } from './compile.js';
import { DEFAULT_TRANSFORM, type RawDescriptor } from './descriptor-schema.js';
import { DESCRIPTOR_FILE, findProductDirs } from './discover.js';
import { IssueList, isObj, type Obj } from './issues.js';
import { checkMajorsApart } from './majors.js';
import type { Loaded } from './semantic-context.js';
import { checkSemantics } from './semantics.js';
import { checkShape } from './shape.js';
import { importTransform } from './transform-loader.js';
import type { ProductDescriptor } from './types.js';

export interface ProductLoadOptions {
  /** Import the transform module (default true). False: only check that the file exists. */
  loadTransform?: boolean;
}

export interface ProductValidation {
  /** Present only when there is no issue. */
  descriptor?: ProductDescriptor;
  /** Present when the transform module was loaded successfully. */
  transform?: Transform;
  /** Every problem found, ordered as the paths appear in product.yaml. */
  issues: ConfigIssue[];
}

export interface LoadedProduct {
  descriptor: ProductDescriptor;
  transform: Transform;
}

/** Loads and validates `<dir>/product.yaml`; reports every problem at once. */
export async function validateProduct(dir: string, options: ProductLoadOptions = {}): Promise<ProductValidation> {
  const absDir = resolve(dir);
  const file = join(absDir, DESCRIPTOR_FILE);
  const issues = new IssueList();

  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    let message: string;
    if (!existsSync(absDir)) message = `the product folder ${absDir} does not exist`;
    else if (code === 'ENOENT')
      message = `not found in ${absDir}; every product folder needs a ${DESCRIPTOR_FILE} descriptor (see docs/descriptor.md)`;
    else message = `cannot be read: ${(err as Error).message}`;
    return { issues: [{ path: DESCRIPTOR_FILE, message }] };
  }

  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    return {
      issues: doc.errors.map((e) => {
        const at = e.linePos?.[0];
        const where = at ? ` at ${at.line}:${at.col}` : '';
        let msg = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
        if (e.code === 'MULTIPLE_DOCS') msg = `${DESCRIPTOR_FILE} must hold a single YAML document; remove the extra ---`;
        return { path: DESCRIPTOR_FILE, message: `YAML syntax error${where}: ${msg}` };
      }),
    };
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { issues: [{ path: DESCRIPTOR_FILE, message: `cannot be read as YAML: ${(err as Error).message}` }] };
  }
  if (data === null || data === undefined) {
    return {
      issues: [
        { path: DESCRIPTOR_FILE, message: 'is empty; start with apiVersion: dataprod/v1 and kind: DataProduct (see docs/descriptor.md)' },
      ],
    };
  }

  checkShape(data, issues);

  let transform: Transform | undefined;
  let loaded: Loaded | undefined;
  if (isObj(data)) {
    loaded = await checkSemantics(data, absDir, issues);
    transform = await checkTransform(data, absDir, issues, options.loadTransform !== false);
  }

  const sorted = issues.sorted(doc);
  if (sorted.length > 0 || !loaded || !isObj(data)) {
    return transform ? { transform, issues: sorted } : { issues: sorted };
  }
  const descriptor = compile(data as unknown as RawDescriptor, absDir, file, loaded);
  return transform ? { descriptor, transform, issues: [] } : { descriptor, issues: [] };
}

/**
 * Loads, validates and compiles a product folder. Throws DescriptorError (code
 * DESCRIPTOR_INVALID) with every issue when anything is wrong.
 */
export function loadProduct(dir: string, options?: { loadTransform?: true }): Promise<LoadedProduct>;
export function loadProduct(dir: string, options: ProductLoadOptions): Promise<{ descriptor: ProductDescriptor; transform?: Transform }>;
export async function loadProduct(
  dir: string,
  options: ProductLoadOptions = {},
): Promise<{ descriptor: ProductDescriptor; transform?: Transform }> {
  const result = await validateProduct(dir, options);
  if (result.issues.length > 0 || !result.descriptor) {
    throw new DescriptorError(join(resolve(dir), DESCRIPTOR_FILE), result.issues);
  }
  return result.transform ? { descriptor: result.descriptor, transform: result.transform } : { descriptor: result.descriptor };
}

/**
 * Every product found at `paths` (see findProductDirs; none: ./products), loaded and compiled.
 * Throws one DescriptorError with the problems of every broken product at once: one product's
 * issues as they are, several products' issues each prefixed with its file. Products loaded
 * together must also keep apart what each major owns (./majors.ts).
 */
export function loadProducts(paths: readonly string[], options?: { loadTransform?: true }): Promise<LoadedProduct[]>;
export function loadProducts(
  paths: readonly string[],
  options: ProductLoadOptions,
): Promise<{ descriptor: ProductDescriptor; transform?: Transform }[]>;
export async function loadProducts(
  paths: readonly string[],
  options: ProductLoadOptions = {},
): Promise<{ descriptor: ProductDescriptor; transform?: Transform }[]> {
  const loaded: { descriptor: ProductDescriptor; transform?: Transform }[] = [];
  const errors: DescriptorError[] = [];
  for (const dir of findProductDirs([...paths])) {
    try {
      loaded.push(await loadProduct(dir, options));
    } catch (err) {
      if (err instanceof DescriptorError) errors.push(err);
      else throw err;
    }
  }
  if (errors.length > 0) throw combineDescriptorErrors(errors);
  const collisions = checkMajorsApart(loaded.map((p) => p.descriptor));
  if (collisions.length > 0) throw combineDescriptorErrors(collisions);
  return loaded;
}

/** A path as the user would type it: relative to the working directory unless it is outside it. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? path : rel;
}

/** One DescriptorError for the problems of several product files, each path prefixed with its file. */
export function combineDescriptorErrors(errors: readonly { file: string; issues: DescriptorError['issues'] }[]): DescriptorError {
  if (errors.length === 1) return new DescriptorError(displayPath(errors[0]!.file), errors[0]!.issues);
  return new DescriptorError(
    errors.map((e) => displayPath(e.file)).join(', '),
    errors.flatMap((e) => e.issues.map((i) => ({ ...i, path: `${displayPath(e.file)}: ${i.path}` }))),
  );
}

async function checkTransform(root: Obj, dir: string, issues: IssueList, load: boolean): Promise<Transform | undefined> {
  const rel =
    root.transform === undefined
      ? DEFAULT_TRANSFORM
      : typeof root.transform === 'string' && !issues.has(['transform'])
        ? root.transform
        : undefined;
  if (rel === undefined) return undefined;
  const abs = resolve(dir, rel);
  if (!existsSync(abs)) {
    issues.add(
      ['transform'],
      `${rel} does not exist (looked for ${abs}); create it with export default defineTransform((event, ctx) => ...)` +
        (root.transform === undefined ? ' or set transform: to the module path' : ''),
    );
    return undefined;
  }
  if (!load) return undefined;
  const result = await importTransform(abs);
  if ('problem' in result) {
    issues.add(['transform'], `${rel} ${result.problem.message}`);
    return undefined;
  }
  return result.transform;
}
