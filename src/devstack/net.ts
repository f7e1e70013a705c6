import { createServer } from 'node:net';

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface WaitOptions {
  what: string;
  timeoutMs: number;
  intervalMs?: number;
  /** Checked between attempts; a reason string aborts the wait (e.g. the process exited). */
  abortReason?: () => string | undefined;
}

/** Polls `probe` until it resolves truthy; rejects with the last error after the timeout. */
export async function waitUntil(probe: () => Promise<boolean>, options: WaitOptions): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError = 'not ready';
  for (;;) {
    const aborted = options.abortReason?.();
    if (aborted) throw new Error(`${options.what}: ${aborted}`);
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(`${options.what}: not ready after ${options.timeoutMs} ms (last error: ${lastError})`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 250));
  }
}
