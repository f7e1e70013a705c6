import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot, type ProgressLog } from '../../src/devstack/index.js';
import { provisionOnce } from '../../src/devstack/cache.js';
import { runToCompletion } from '../../src/devstack/process.js';

const here = dirname(fileURLToPath(import.meta.url));
const requirements = join(here, 'python-requirements.txt');

/** The venv's python, with confluent-kafka and its Avro serdes installed (pinned). */
export async function confluentPython(progress: ProgressLog = (m) => process.stderr.write(`[pyclients] ${m}\n`)): Promise<string> {
  // Keyed by the requirements' hash so a changed pin builds a new venv.
  const digest = createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 12);
  const dir = join(cacheRoot(), `pyclients-${digest}`);
  await provisionOnce(dir, async (tmp) => {
    progress(`creating a Python venv with confluent-kafka in ${dir}`);
    await runToCompletion('python3', ['-m', 'venv', tmp], { what: 'creating the Python venv' });
    await runToCompletion(join(tmp, 'bin', 'python'), ['-m', 'pip', 'install', '-q', '-r', requirements], {
      what: 'installing confluent-kafka',
    });
  });
  // venvs hard-code their path; the temporary build folder was renamed, so call python through it.
  return join(dir, 'bin', 'python');
}

/** Runs one of the Python scripts beside this file and parses its JSON-lines output. */
export async function runPythonScript<T>(script: string, args: string[]): Promise<T[]> {
  const python = await confluentPython();
  const out = await runToCompletion(python, [join(here, script), ...args], { what: `python ${script}` });
  return out
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as T);
}
