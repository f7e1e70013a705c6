/**
 * One Node everywhere: the `node` devDependency that npm scripts run on, the Docker image and
 * the versions CI tests are the same LTS line and inside package.json's `engines`, so a bump in
 * one place that forgets another fails here instead of in production.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../../${path}`, import.meta.url)), 'utf8');
const pkg = JSON.parse(read('package.json')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};
const major = (version: string) => Number(/^(\d+)\./.exec(version)?.[1]);

describe('the Node version', () => {
  const pinned = pkg.devDependencies.node ?? '';

  it('is pinned exactly as a devDependency, on an even (LTS) major', () => {
    assert.match(pinned, /^\d+\.\d+\.\d+$/, 'devDependencies.node must be an exact version: npm scripts run on it');
    assert.equal(major(pinned) % 2, 0, `${pinned} is not an LTS line`);
  });

  it('is the Docker image', () => {
    const image = /^ARG NODE_IMAGE=node:(\S+?)-/m.exec(read('Dockerfile'))?.[1];
    assert.equal(image, pinned, 'Dockerfile NODE_IMAGE and devDependencies.node differ');
  });

  it('and every version CI runs satisfy engines, which names the oldest one CI tests', () => {
    const minimum = /^>=(\d+)$/.exec(pkg.engines.node)?.[1];
    assert.ok(minimum, `engines.node ${pkg.engines.node} is not of the form >=N`);
    const ciVersions = [...read('.ci/run').matchAll(/node@(\d+\.\d+\.\d+)/g)].map((m) => m[1]!);
    assert.ok(
      ciVersions.some((v) => major(v) === Number(minimum)),
      `.ci/run tests no Node ${minimum}`,
    );
    for (const version of [pinned, ...ciVersions]) assert.ok(major(version) >= Number(minimum), `${version} is below engines`);
  });

  it('is the one this process runs on: the pinned one under npm scripts, at least the engines minimum otherwise', () => {
    // Outside npm (.ci/run's Node 22 pass, a bare `node --test`) PATH gives another Node: it must still be a supported one.
    if (process.env.npm_lifecycle_event || process.env.npm_command) assert.equal(process.version, `v${pinned}`);
    else
      assert.ok(major(process.version.slice(1)) >= Number(/^>=(\d+)$/.exec(pkg.engines.node)?.[1]), `${process.version} is below engines`);
  });
});
