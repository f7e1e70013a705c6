import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument, type Document } from 'yaml';

// src/devstack/ or dist/devstack/: the repo root is two levels up.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ProductCopy {
  dir: string;
  id: string;
  inputTopic: string;
  inputSubject: string;
  outputTopic: string;
  dlqTopic: string;
  group: string;
  remove(): void;
}

/**
 * A copy of products/<example> with its own name, id, topics and contract subject (so its own
 * consumer group), for tests and benchmarks that must not share anything. It lives under
 * .cache/<folder>/ inside the repo (git-ignored) so the transform's `import 'dataprod'` resolves
 * to this package. `edit` may change the descriptor further before it is written.
 */
export function copyExampleProduct(example: string, folder: string, edit?: (doc: Document) => void): ProductCopy {
  return copyProductFolder(join(repoRoot, 'products', example), folder, { edit });
}

/**
 * copyExampleProduct for any product folder. With `inputTopic`, the copy reads that topic
 * instead of one of its own, so several copies can read one seeded topic from the start.
 */
export function copyProductFolder(
  source: string,
  folder: string,
  options: { inputTopic?: string; edit?: (doc: Document) => void } = {},
): ProductCopy {
  const suffix = `${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const name = `${basename(source)}-${suffix}`;
  const dir = join(repoRoot, '.cache', folder, name);
  mkdirSync(dirname(dir), { recursive: true });
  cpSync(source, dir, { recursive: true });
  const file = join(dir, 'product.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const domain = String(doc.get('domain'));
  const major = String(doc.get('version')).split('.')[0];
  const id = `${domain}.${name}`;
  const inputTopic = options.inputTopic ?? `raw.${name}`;
  const outputTopic = `${domain}.${name}.v${major}`;
  const dlqTopic = `${domain}.${name}.dlq`;
  doc.set('name', name);
  doc.set('id', id);
  doc.setIn(['inputPorts', 0, 'topic'], inputTopic);
  doc.setIn(['inputPorts', 0, 'contract', 'subject'], `${inputTopic}-value`);
  doc.setIn(['outputPorts', 0, 'topic'], outputTopic);
  doc.setIn(['deadLetter', 'topic'], dlqTopic);
  options.edit?.(doc);
  writeFileSync(file, doc.toString());
  return {
    dir,
    id,
    inputTopic,
    inputSubject: `${inputTopic}-value`,
    outputTopic,
    dlqTopic,
    group: `dataprod.${id}.v${major}`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
