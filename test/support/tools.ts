import { execFileSync } from 'node:child_process';

/**
 * Fails the test, naming the package to install, when `tool` is not on PATH. These tools are
 * test prerequisites (README, Prerequisites) and .ci/run installs them, so a missing one is a
 * broken setup, never a reason to pass without checking.
 */
export function requireTool(tool: string, hint = `apt-get install ${tool}`): void {
  try {
    execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
  } catch {
    throw new Error(`${tool} is not installed (${hint}); the tests need it, see README "Prerequisites"`);
  }
}
