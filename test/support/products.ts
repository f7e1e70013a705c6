import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { uniqueName } from './stack.js';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface ProductCopy {
  dir: string;
  id: string;
  inputTopic: string;
  outputTopic: string;
  dlqTopic: string;
  inputSubject: string;
  group: string;
  remove(): void;
}

/**
 * A copy of an example product with its own name, topics and subjects, so tests never share a
 * consumer group or topic. It lives inside the repo (git-ignored) so `import 'dataprod'` in the
 * transform resolves to this package.
 */
export function copyProduct(example: 'orders-enriched' | 'page-views', edit?: (doc: ReturnType<typeof parseDocument>) => void): ProductCopy {
  const suffix = uniqueName('t').replace(/^t-/, '');
  const dir = join(repo, '.cache', 'test-products', `${example}-${suffix}`);
  mkdirSync(dirname(dir), { recursive: true });
  cpSync(join(repo, 'products', example), dir, { recursive: true });
  const doc = parseDocument(readFileSync(join(dir, 'product.yaml'), 'utf8'));
  const domain = String(doc.get('domain'));
  const name = `${example}-${suffix}`;
  const id = `${domain}.${name}`;
  const inputTopic = `raw.${name}`;
  const outputTopic = `${domain}.${name}.v1`;
  const dlqTopic = `${domain}.${name}.dlq`;
  doc.set('name', name);
  doc.set('id', id);
  doc.setIn(['inputPorts', 0, 'topic'], inputTopic);
  doc.setIn(['inputPorts', 0, 'contract', 'subject'], `${inputTopic}-value`);
  doc.setIn(['outputPorts', 0, 'topic'], outputTopic);
  doc.setIn(['deadLetter', 'topic'], dlqTopic);
  edit?.(doc);
  writeFileSync(join(dir, 'product.yaml'), doc.toString());
  return {
    dir,
    id,
    inputTopic,
    outputTopic,
    dlqTopic,
    inputSubject: `${inputTopic}-value`,
    group: `dataprod.${id}.v1`,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function readSchema(example: 'orders-enriched' | 'page-views', file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(repo, 'products', example, 'schemas', file), 'utf8')) as Record<string, unknown>;
}
