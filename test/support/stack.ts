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
  if (!shared) {
    shared = startStack();
    after(async () => {
      await (await shared!).stop();
    });
  }
  return shared;
}

/** A topic, group or subject name no other test (or earlier run) uses. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}
