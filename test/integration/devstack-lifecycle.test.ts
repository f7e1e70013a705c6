import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return !alive(pid);
}

describe('devstack lifecycle', () => {
  it('leaves no orphan JVM when the process that started the stack is SIGKILLed', { timeout: 180_000 }, async () => {
    const script = fileURLToPath(new URL('../support/stack-child.ts', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const lines = createInterface({ input: child.stdout! });
    const first: string = await new Promise((resolve, reject) => {
      lines.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`stack child exited with ${code} before starting`)));
    });
    const pids = JSON.parse(first) as { kafka: number; registry: number };
    assert.ok(alive(pids.kafka), 'broker JVM runs');
    assert.ok(alive(pids.registry), 'registry JVM runs');

    child.kill('SIGKILL');
    // The watchdogs send SIGTERM at once and SIGKILL after 10 s.
    assert.ok(await waitGone(pids.registry, 20_000), `registry JVM ${pids.registry} outlived its parent`);
    assert.ok(await waitGone(pids.kafka, 20_000), `broker JVM ${pids.kafka} outlived its parent`);
  });
});
