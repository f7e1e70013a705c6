import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { once } from 'node:events';

export interface ManagedProcessOptions {
  /** Shown in progress lines and errors, e.g. "kafka". */
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here, so a failed start can show its tail. */
  logFile: string;
}

/**
 * A long-running child (a JVM) that never outlives us.
 *
 * The child gets its own process group, so a Ctrl-C in the terminal reaches only us and we
 * decide the shutdown order. A watchdog shell holds the read end of a pipe from us: when we
 * die for any reason, even SIGKILL, the pipe closes and the watchdog terminates the child.
 */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  private watchdog: ChildProcess | undefined;
  private exited: Promise<number | null> = Promise.resolve(null);
  private exitCode: number | null | undefined;

  constructor(readonly options: ManagedProcessOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** True while the child runs. */
  get running(): boolean {
    return this.child !== undefined && this.exitCode === undefined;
  }

  start(): void {
    if (this.running) throw new Error(`${this.options.name} is already running`);
    const log = createWriteStream(this.options.logFile, { flags: 'a' });
    const child = spawn(this.options.command, this.options.args, {
      cwd: this.options.cwd,
      env: this.options.env ?? process.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    this.child = child;
    this.exitCode = undefined;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitCode = code ?? (signal ? 128 : null);
        this.watchdog?.kill('SIGKILL');
        this.watchdog = undefined;
        log.end();
        resolve(this.exitCode);
      });
      child.once('error', (err) => {
        log.write(`spawn failed: ${err.message}\n`);
        this.exitCode = 127;
        log.end();
        resolve(127);
      });
    });
    // Unref so the child never keeps our event loop alive; stop() is how it ends.
    child.unref();
    (child.stdout as unknown as { unref?: () => void } | null)?.unref?.();
    (child.stderr as unknown as { unref?: () => void } | null)?.unref?.();

    if (child.pid !== undefined) {
      const pid = child.pid;
      const script =
        `trap '' INT TERM HUP; cat >/dev/null; kill -TERM -${pid} 2>/dev/null; ` +
        `for i in 1 2 3 4 5 6 7 8 9 10; do kill -0 -${pid} 2>/dev/null || exit 0; sleep 1; done; ` +
        `kill -KILL -${pid} 2>/dev/null`;
      const watchdog = spawn('bash', ['-c', script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
      watchdog.unref();
      (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
      watchdog.on('error', () => undefined);
      this.watchdog = watchdog;
    }
  }

  /** Resolves with the exit code once the child has exited. */
  waitForExit(): Promise<number | null> {
    return this.exited;
  }

  /** The last lines of the child's log, for error messages. */
  logTail(lines = 30): string {
    try {
      return readFileSync(this.options.logFile, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no log)';
    }
  }

  /** SIGTERM to the child's group, SIGKILL after graceMs. Safe to call twice or before start. */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.child;
    if (!child || this.exitCode !== undefined || child.pid === undefined) return;
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid!, 'SIGKILL'), graceMs);
    try {
      await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL now: for fault tests that want a crash, not a shutdown. */
  async kill(): Promise<void> {
    const child = this.child;
    if (!child || this.exitCode !== undefined || child.pid === undefined) return;
    signalGroup(child.pid, 'SIGKILL');
    await this.exited;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Runs a short command to completion, throwing with its output when it fails. */
export async function runToCompletion(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; what: string },
): Promise<string> {
  const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await Promise.race([
    once(child, 'exit'),
    once(child, 'error').then(([err]) => {
      throw new Error(`${options.what}: cannot run ${command}: ${(err as Error).message}`);
    }),
  ])) as [number | null];
  if (code !== 0) {
    throw new Error(`${options.what} failed (${command} exited with ${code}):\n${output.split('\n').slice(-40).join('\n')}`);
  }
  return output;
}
