/**
 * The Node flags a long-running worker process needs, which V8 reads only when the process starts:
 * `dataprod run` re-executes itself with them (same pid, same stdio) unless the user set them.
 *
 * Node 22+ sizes V8's young generation at twice Node 20's (two 32 MiB semi-spaces instead of 16 on
 * this heap size). For the worker's batches of short-lived records that cost 28 to 67 MiB of peak
 * RSS and up to a tenth more CPU per event (docs/benchmarks.md, issue 17). V8 fixes the heap's
 * layout before any code runs, so `v8.setFlagsFromString` cannot change it later.
 */

/** Each flag the worker wants, by the name whose presence (with any value) means the user chose. */
export const WORKER_NODE_FLAGS: readonly { name: string; flag: string }[] = [
  { name: '--max-semi-space-size', flag: '--max-semi-space-size=16' },
];

/**
 * The flags of WORKER_NODE_FLAGS that neither the node command line (`execArgv`) nor NODE_OPTIONS
 * names, in either spelling (V8 takes `--max_semi_space_size` too).
 */
export function missingWorkerFlags(execArgv: readonly string[], nodeOptions: string): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((arg) => arg.split('=')[0]!.replaceAll('_', '-'));
  return WORKER_NODE_FLAGS.filter((f) => !given.includes(f.name)).map((f) => f.flag);
}

/**
 * Replaces this process with itself plus the missing worker flags; returns when nothing is missing
 * or this Node cannot do it (process.execve: Node >= 22.15 on Linux and macOS). Call it before the
 * process opens anything: what is open is not carried over.
 */
export function reexecWithWorkerFlags(): void {
  const missing = missingWorkerFlags(process.execArgv, process.env.NODE_OPTIONS ?? '');
  if (missing.length === 0 || typeof process.execve !== 'function') return;
  process.execve(process.execPath, [process.execPath, ...missing, ...process.execArgv, ...process.argv.slice(1)], process.env);
}
