import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { startStack, type Stack } from '../../src/devstack/index.js';

let shared: Promise<Stack> | undefined;

/**
 * The stack for this test file. Under `npm test` the runner started one stack for the whole run
 * and passed it in KAFKA_BROKERS / SCHEMA_REGISTRY_URL; a file run on its own starts one and
 * stops it when the file ends.
 */
export function testStack(): Promise<Stack> {
  shared ??= startStack();
  return shared;
}

// Registered when a test file imports this module, so at the root of that file: an after()
// called from inside a before() hook would run as soon as that hook ends, not at the end.
after(async () => {
  if (shared) await (await shared).stop();
});

/** A topic, group or subject name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
