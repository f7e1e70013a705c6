import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheRoot, type ProgressLog } from '../../src/devstack/index.js';
import { provisionOnce } from '../../src/devstack/cache.js';
import { runToCompletion } from '../../src/devstack/process.js';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * A Python venv in the cache with the pinned packages of `requirements` (a file beside this one),
 * keyed by the file's hash so a changed pin builds a new venv. Returns the venv's bin folder.
 */
async function pythonVenv(name: string, requirements: string, what: string, progress: ProgressLog): Promise<string> {
  const file = join(here, requirements);
  const digest = createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 12);
  const dir = join(cacheRoot(), `${name}-${digest}`);
  await provisionOnce(dir, async (tmp) => {
    progress(`creating a Python venv with ${what} in ${dir}`);
    await runToCompletion('python3', ['-m', 'venv', tmp], { what: 'creating the Python venv' });
    await runToCompletion(join(tmp, 'bin', 'python'), ['-m', 'pip', 'install', '-q', '-r', file], { what: `installing ${what}` });
    // A venv's scripts name its python by path: point them at the folder the build is renamed to.
    for (const entry of readdirSync(join(tmp, 'bin'), { withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(tmp, 'bin', entry.name);
      const text = readFileSync(path, 'latin1');
      if (text.startsWith(`#!${tmp}/`)) writeFileSync(path, `#!${dir}/${text.slice(tmp.length + 3)}`, 'latin1');
    }
  });
  return join(dir, 'bin');
}

/** The venv's python, with confluent-kafka and its Avro serdes installed (pinned). */
export async function confluentPython(progress: ProgressLog = (m) => process.stderr.write(`[pyclients] ${m}\n`)): Promise<string> {
  return join(await pythonVenv('pyclients', 'python-requirements.txt', 'confluent-kafka', progress), 'python');
}

/** The bin folder of the venv with datacontract-cli, dataproduct-cli and openlineage-python (pinned). */
export function catalogTools(progress: ProgressLog = (m) => process.stderr.write(`[catalog-tools] ${m}\n`)): Promise<string> {
  return pythonVenv('catalog-tools', 'catalog-requirements.txt', 'datacontract-cli, dataproduct-cli and openlineage-python', progress);
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
