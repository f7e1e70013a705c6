/**
 * Where the previous version of a product comes from: a git ref of the repository the product
 * folder lives in (read with `git show`, no registry needed), or the schema registry (every
 * version registered under a subject). The I/O half of `dataprod check`; ./check.ts decides.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative, sep } from 'node:path';
import { parse } from 'yaml';
import type { RegistryClient } from '../contracts/registry-client.js';
import { DataprodError } from '../errors.js';
import { DESCRIPTOR_FILE } from '../product/discover.js';
import { loadProduct } from '../product/load.js';
import type { AvroSchema, ProductDescriptor } from '../product/types.js';
import type { PreviousSchema } from './classify.js';

/** How many commits back a transitive check looks for earlier versions of a schema. */
export const MAX_GIT_VERSIONS = 200;

const git = (cwd: string, args: string[]) =>
  execFileSync('git', args, { cwd, encoding: 'buffer', maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });

export interface GitPrevious {
  /** `main (a1b2c3d)`. */
  label: string;
  /** The product as it was at the ref; undefined when the folder had no product there (a new product). */
  descriptor?: ProductDescriptor;
  /** The folder in the repository, posix, for later `git show`. */
  repoRoot: string;
  repoPath: string;
  commit: string;
}

/** The repository the folder is in and the commit `ref` names there; CONFIG_INVALID when either is missing. */
function resolveRef(dir: string, ref: string): { root: string; commit: string; path: string } {
  let root: string;
  try {
    root = git(dir, ['rev-parse', '--show-toplevel']).toString().trim();
  } catch {
    throw new DataprodError(
      'CONFIG_INVALID',
      `--against ${ref}: ${dir} is not in a git repository; use --against registry, or run check in the product's repository`,
    );
  }
  let commit: string;
  try {
    commit = git(root, ['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])
      .toString()
      .trim();
  } catch {
    throw new DataprodError(
      'CONFIG_INVALID',
      `--against ${ref}: no such git ref in ${root}; give a branch, tag or commit (in CI fetch it first, e.g. git fetch origin main), or --against registry`,
    );
  }
  return { root, commit, path: relative(root, dir).split(sep).join(posix.sep) };
}

/**
 * The product of folder `dir` as it was at `ref`, loaded and validated like any product (from a
 * temporary copy of its files at that commit). A product that did not validate then is an error:
 * there is nothing sound to compare with.
 */
export async function productAtRef(dir: string, ref: string): Promise<GitPrevious> {
  const { root, commit, path } = resolveRef(dir, ref);
  const label = `${ref} (${commit.slice(0, 7)})`;
  const files = git(root, ['ls-tree', '-r', '--name-only', '-z', commit, '--', path === '' ? '.' : path])
    .toString()
    .split('\0')
    .filter(Boolean);
  const base = { label, repoRoot: root, repoPath: path, commit };
  if (!files.includes(path === '' ? DESCRIPTOR_FILE : `${path}/${DESCRIPTOR_FILE}`)) return base;
  const tmp = mkdtempSync(join(tmpdir(), 'dataprod-check-'));
  try {
    for (const file of files) {
      const target = join(tmp, ...file.split('/'));
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, git(root, ['show', `${commit}:${file}`]));
    }
    const { descriptor } = await loadProduct(join(tmp, ...path.split('/').filter(Boolean)), { loadTransform: false });
    return { ...base, descriptor };
  } catch (err) {
    if (err instanceof DataprodError && err.code === 'DESCRIPTOR_INVALID')
      throw new DataprodError(
        'DESCRIPTOR_INVALID',
        `${path || '.'} at ${label} is not a valid product, so there is nothing to compare with:\n${err.message}`,
      );
    throw err;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Every version of the output schema reachable from the ref within the same major, oldest first:
 * what a transitive mode compares with. Read from each commit that touched the product folder,
 * as the descriptor of that commit names the schema file; at most MAX_GIT_VERSIONS commits.
 */
export function schemaHistory(previous: GitPrevious, major: number): PreviousSchema[] {
  const { repoRoot, repoPath, commit } = previous;
  const prefix = repoPath === '' ? '' : `${repoPath}/`;
  const commits = git(repoRoot, ['log', '--format=%H', `-n${MAX_GIT_VERSIONS}`, commit, '--', repoPath === '' ? '.' : repoPath])
    .toString()
    .split('\n')
    .filter(Boolean);
  const out: PreviousSchema[] = [];
  const seen = new Set<string>();
  for (const sha of commits.reverse()) {
    try {
      const raw = parse(git(repoRoot, ['show', `${sha}:${prefix}${DESCRIPTOR_FILE}`]).toString()) as {
        version?: string;
        outputPorts?: { schema?: string }[];
      };
      const schemaPath = raw.outputPorts?.[0]?.schema;
      if (Number(String(raw.version).split('.')[0]) !== major || !schemaPath) continue;
      const text = git(repoRoot, ['show', `${sha}:${posix.normalize(prefix + schemaPath)}`]).toString();
      const schema = JSON.parse(text) as AvroSchema;
      const key = JSON.stringify(schema);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ label: `commit ${sha.slice(0, 7)}`, schema });
    } catch {
      // A commit where the product did not parse: it was never a version anyone could read.
    }
  }
  return out;
}

/** Every version registered under the subject, oldest first; none when the subject does not exist. */
export async function registeredVersions(client: RegistryClient, subject: string): Promise<PreviousSchema[]> {
  return (await client.versions(subject)).map((v) => ({ label: `registry version ${v.version} (id ${v.id})`, schema: v.schema }));
}
