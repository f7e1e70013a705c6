import { execFileSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/**
 * True when `tool` is on PATH. Otherwise the test is skipped with the install hint on a
 * developer machine, and fails under CI (CI=true), where .ci/run installs every tool.
 */
export function requireTool(t: TestContext, tool: string, hint = `apt-get install ${tool}`): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    return true;
  } catch {
    const message = `${tool} is not installed (${hint})`;
    if (process.env.CI) throw new Error(message);
    t.skip(message);
    return false;
  }
}
