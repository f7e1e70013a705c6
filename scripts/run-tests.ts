/**
 * Runs the test files under the given folders (default: unit, integration, e2e) with Node's
 * test runner. When any file needs Kafka, one stack is started for the whole run and handed to
 * every test process through KAFKA_BROKERS / SCHEMA_REGISTRY_URL, then stopped at the end.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { startStack, type Stack } from '../src/devstack/index.js';

function testFiles(path: string): string[] {
  if (statSync(path).isFile()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => {
      const full = join(path, entry);
      if (statSync(full).isDirectory()) return testFiles(full);
      return entry.endsWith('.test.ts') ? [full] : [];
    });
}

const explicit = process.argv.length > 2;
const roots = explicit ? process.argv.slice(2) : ['test/unit', 'test/integration', 'test/e2e'].filter((d) => existsSync(d));
const files = roots.flatMap(testFiles).map((f) => relative(process.cwd(), f));
if (files.length === 0) {
  console.error(`no *.test.ts files under ${roots.join(', ')}`);
  process.exit(1);
}

const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import tsx`.trim() };
let stack: Stack | undefined;
const needsKafka = files.some((f) => !f.startsWith(join('test', 'unit')));
if (needsKafka) {
  const startedAt = Date.now();
  stack = await startStack();
  env.KAFKA_BROKERS = stack.brokers.join(',');
  env.SCHEMA_REGISTRY_URL = stack.schemaRegistryUrl;
  console.error(`[test] ${stack.kind} stack ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}

// Ctrl-C reaches the test runner too; we only make sure the stack is stopped after it exits.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => child.kill('SIGTERM'));

const child = spawn(process.execPath, ['--test', '--test-reporter=spec', ...files], { env, stdio: 'inherit' });
const code: number = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))));
if (stack) {
  try {
    await stack.stop();
  } catch (err) {
    console.error(`[test] stopping the stack failed: ${(err as Error).message}`);
    process.exit(code || 1);
  }
}
process.exit(code);
