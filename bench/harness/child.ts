/**
 * The processes of a benchmark: a system under test or a latency probe, each its own node
 * process. The harness side spawns and stops them and reads what they print; the process side
 * (`onSigterm`) ends them the one way the harness expects: on SIGTERM, one JSON report line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';

export interface Child {
  readonly process: ChildProcess;
  readonly pid: number;
  /** performance.now() at the spawn. */
  readonly spawnedAt: number;
  /** The tail of its stdout and stderr, for error messages. */
  log(): string;
  /** The last JSON line it printed on stdout (the bench processes print their report last). */
  report(): Record<string, unknown> | undefined;
  /** Calls fn with every later complete line of its stdout. */
  onLine(fn: (line: string) => void): void;
}

/** `node <args>` in cwd (this process's Node unless `node` names another binary), as spawnProcess. */
export function spawnNode(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env, node = process.execPath): Child {
  return spawnProcess(node, args, cwd, env);
}

/** `command <args>` in cwd, stdout and stderr piped and kept (the first 1 MB of stdout, the tail of both). */
export function spawnProcess(command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Child {
  const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tail: string[] = [];
  const listeners: ((line: string) => void)[] = [];
  let out = '';
  let partial = '';
  const keep = (text: string) => {
    tail.push(text);
    if (tail.length > 200) tail.shift();
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = chunk.toString();
    keep(text);
    if (out.length < 1_000_000) out += text;
    if (listeners.length === 0) return;
    const lines = (partial + text).split('\n');
    partial = lines.pop()!;
    for (const line of lines) for (const fn of listeners) fn(line);
  });
  child.stderr!.on('data', (chunk: Buffer) => keep(chunk.toString()));
  const report = () => {
    const line = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop();
    try {
      return line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    process: child,
    pid: child.pid!,
    spawnedAt: performance.now(),
    log: () => tail.join('').slice(-4000),
    report,
    onLine: (fn) => listeners.push(fn),
  };
}

export function exited(c: Child): boolean {
  return c.process.exitCode !== null || c.process.signalCode !== null;
}

/** Waits for the exit; SIGKILL after timeoutMs, and then `onTimeout` decides (default: the exit code). */
async function exitWithin(c: Child, timeoutMs: number, onTimeout?: () => never): Promise<number | null> {
  if (!exited(c)) {
    const done = once(c.process, 'exit');
    const timer = setTimeout(() => c.process.kill('SIGKILL'), timeoutMs);
    await done;
    clearTimeout(timer);
    if (c.process.signalCode === 'SIGKILL') onTimeout?.();
  }
  return c.process.exitCode;
}

/** SIGTERM, then SIGKILL after killAfterMs; the exit code. */
export async function stop(c: Child, killAfterMs = 60_000): Promise<number | null> {
  if (!exited(c)) c.process.kill('SIGTERM');
  return exitWithin(c, killAfterMs);
}

/** The exit code once it has ended by itself; SIGKILL and an error after timeoutMs. */
export async function exitOf(c: Child, timeoutMs: number): Promise<number | null> {
  return exitWithin(c, timeoutMs, () => {
    throw new Error(`a bench process did not exit within ${timeoutMs} ms:\n${c.log()}`);
  });
}

export async function kill(c: Child): Promise<void> {
  if (exited(c)) return;
  const done = once(c.process, 'exit');
  c.process.kill('SIGKILL');
  await done;
}

/**
 * How the bench's own processes end: on the first SIGTERM, `stop` runs (leave the group,
 * disconnect, write files) and returns the report to print as one JSON line (the harness reads
 * the last one) and the exit code; a failure in it exits 1.
 */
export function onSigterm(stop: () => Promise<{ report: Record<string, unknown>; exitCode: number }>): void {
  process.once('SIGTERM', () => {
    stop().then(
      ({ report, exitCode }) => {
        console.log(JSON.stringify(report));
        process.exit(exitCode);
      },
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  });
}
