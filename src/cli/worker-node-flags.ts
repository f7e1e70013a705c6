/**
 * The Node flags a long-running worker process needs, which V8 reads only when the process starts:
 * `dataprod run` re-executes itself with them (same pid, same stdio) unless the user set them.
 *
 * Node 22+ sizes V8's young generation at twice Node 20's (two 32 MiB semi-spaces instead of 16 on
 * this heap size). For the worker's batches of short-lived records that cost 28 to 67 MiB of peak
 * RSS and up to a tenth more CPU per event (docs/benchmarks.md, issue 17). V8 fixes the heap's
 * layout before any code runs, so `v8.setFlagsFromString` cannot change it later.
 */

/** The flags the worker wants; one whose name the user gives (with any value) is theirs. */
const WORKER_NODE_FLAGS = ['--max-semi-space-size=16'];

/** A flag's name, in V8's dashed spelling (it takes `--max_semi_space_size` too). */
const nameOf = (arg: string) => arg.split('=')[0]!.replaceAll('_', '-');

/** The flags of WORKER_NODE_FLAGS that neither the node command line (`execArgv`) nor NODE_OPTIONS names. */
export function missingWorkerFlags(execArgv: readonly string[], nodeOptions: string): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map(nameOf));
  return WORKER_NODE_FLAGS.filter((flag) => !given.has(nameOf(flag)));
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
