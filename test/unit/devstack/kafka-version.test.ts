/**
 * The local stack's Kafka: 4.4.0 unless DATAPROD_KAFKA_VERSION names another release, and a
 * clear error naming the variable for anything that is not one. Read at import, so each case
 * imports the module in a process of its own.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const kafkaModule = fileURLToPath(new URL('../../../src/devstack/kafka.ts', import.meta.url));

function versionWith(value: string | undefined): { version?: string; error?: string } {
  const env = { ...process.env };
  if (value === undefined) delete env.DATAPROD_KAFKA_VERSION;
  else env.DATAPROD_KAFKA_VERSION = value;
  const run = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `const m = await import(${JSON.stringify(kafkaModule)}); console.log(m.KAFKA_VERSION);`,
    ],
    { env, encoding: 'utf8' },
  );
  return run.status === 0 ? { version: run.stdout.trim() } : { error: run.stderr };
}

describe('the Kafka version of the local stack', () => {
  it('is 4.4.0 by default, 3.9.1 when asked', () => {
    assert.deepEqual(versionWith(undefined), { version: '4.4.0' });
    assert.deepEqual(versionWith('3.9.1'), { version: '3.9.1' });
  });

  it('refuses a value that is not a release, naming the variable and the choices', () => {
    assert.match(
      versionWith('latest').error ?? '',
      /DATAPROD_KAFKA_VERSION: "latest" is not an Apache Kafka release; use 4\.4\.0 \(the default\) or 3\.9\.1/,
    );
  });
});
