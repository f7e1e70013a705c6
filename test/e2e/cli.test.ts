import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

const exec = promisify(execFile);
const bin = new URL('../../bin/dataprod.js', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

describe('dataprod CLI as a process', () => {
  it('prints its version', async () => {
    const { stdout } = await exec(process.execPath, [bin, '--version']);
    assert.equal(stdout.trim(), pkg.version);
  });

  it('rejects an unknown command with exit code 2 and the usage', async () => {
    await assert.rejects(exec(process.execPath, [bin, 'frobnicate']), (err: { code: number; stderr: string }) => {
      assert.equal(err.code, 2);
      assert.match(err.stderr, /unknown command "frobnicate"/);
      assert.match(err.stderr, /Usage: dataprod <command>/);
      return true;
    });
  });
});
