import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where provisioned artifacts live: $DATAPROD_CACHE_DIR, or `.cache/devstack` in the repo (git-ignored). */
export function cacheRoot(): string {
  const configured = process.env.DATAPROD_CACHE_DIR;
  if (configured) return resolve(configured);
  // src/devstack/cache.ts or dist/devstack/cache.js: the repo root is two levels up.
  const here = dirname(fileURLToPath(import.meta.url));
  return resolve(here, '..', '..', '.cache', 'devstack');
}

export type ProgressLog = (message: string) => void;

export const defaultProgress: ProgressLog = (message) => process.stderr.write(`[devstack] ${message}\n`);

/**
 * Builds `dir` once: `build` fills a temporary sibling which is renamed into place only when it
 * completes, so an interrupted provisioning never leaves a half-filled cache that looks ready.
 */
export async function provisionOnce(dir: string, build: (tmpDir: string) => Promise<void>): Promise<boolean> {
  const marker = join(dir, '.complete');
  if (existsSync(marker)) return false;
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    await build(tmp);
    writeFileSync(join(tmp, '.complete'), new Date().toISOString());
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dirname(dir), { recursive: true });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return true;
}
