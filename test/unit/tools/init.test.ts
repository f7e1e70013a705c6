/**
 * `dataprod init`: the options and their defaults, the refusal to write into a folder that holds
 * anything, and the product it writes, loaded and run the way `dataprod validate` and
 * `dataprod test` do (test/e2e/package.test.ts runs the same from the installed package).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../../src/errors.js';
import { PRODUCT_TYPES_FILE, validateProduct } from '../../../src/product/index.js';
import { generateProductTypes } from '../../../src/tools/codegen/index.js';
import { runCases } from '../../../src/tools/cases.js';
import { productDirOf, scaffoldOptions, writeScaffold } from '../../../src/tools/init.js';

const checkout = fileURLToPath(new URL('../../..', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'dataprod-init-'));
after(() => rmSync(root, { recursive: true, force: true }));

const issuesOf = (fn: () => unknown): string[] => {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => `${i.path}: ${i.message}`);
  }
  assert.fail('expected a ConfigError');
};

describe('dataprod init', () => {
  it("defaults the name to the folder's, the domain to example and the owner to $USER", () => {
    assert.deepEqual(scaffoldOptions('/x/shipments', {}, { USER: 'ana' }), { name: 'shipments', domain: 'example', owner: 'ana' });
    assert.deepEqual(scaffoldOptions('/x/Repo', { name: 'parcels', domain: 'logistics', owner: 'bo' }, {}), {
      name: 'parcels',
      domain: 'logistics',
      owner: 'bo',
    });
  });

  it('reports every bad option at once, naming the flag and an example', () => {
    const issues = issuesOf(() => scaffoldOptions('/x/My Products', { domain: 'Sales', owner: 'a b' }, {}));
    assert.equal(issues.length, 3);
    assert.match(issues[0]!, /^--name: "My Products" is not kebab-case.*defaults to the folder's name: pass --name/);
    assert.match(issues[1]!, /^--domain: "Sales" is not kebab-case, e\.g\. --domain logistics/);
    assert.match(issues[2]!, /^--owner: "a b" must be a user name without spaces/);
  });

  it('refuses a folder that holds anything, and writes nothing there', () => {
    const dir = join(root, 'taken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'notes.txt'), 'mine\n');
    assert.match(issuesOf(() => writeScaffold(dir, { name: 'taken', domain: 'example', owner: 'ana' }))[0]!, /is not empty/);
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine\n');
  });

  it('writes a product that validates and passes its cases, with a CI workflow running the checks', async () => {
    const dir = join(root, 'repo');
    const options = { name: 'parcel-scans', domain: 'logistics', owner: 'ana' };
    const written = writeScaffold(dir, options);
    for (const file of ['package.json', 'tsconfig.json', '.gitignore', '.github/workflows/dataprod.yml'])
      assert.ok(written.includes(file), file);
    // As after `npm install` in the new repository: 'dataprod' resolves to this checkout (built).
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(checkout, join(dir, 'node_modules', 'dataprod'), 'dir');

    const productDir = join(dir, productDirOf(options));
    const offline = await validateProduct(productDir, { loadTransform: false });
    assert.ok(offline.descriptor, JSON.stringify(offline.issues));
    const types = generateProductTypes(offline.descriptor);
    writeFileSync(join(productDir, PRODUCT_TYPES_FILE), types);
    // The names the transform imports are the ones codegen writes (tsc is not run here; the e2e test runs it).
    const imported = /import type \{ (.+) \} from '\.\/types\.gen\.js'/.exec(readFileSync(join(productDir, 'transform.ts'), 'utf8'))![1]!;
    assert.deepEqual(imported.split(', '), ['RawParcelScansInput', 'ParcelScansOutput']);
    for (const name of imported.split(', ')) assert.match(types, new RegExp(`export (type|interface) ${name}\\b`));

    const { descriptor, transform, issues } = await validateProduct(productDir);
    assert.deepEqual(issues, []);
    assert.equal(descriptor!.id, 'logistics.parcel-scans');
    assert.equal(descriptor!.outputPorts[0]!.topic, 'logistics.parcel-scans.v1');
    const results = await runCases(descriptor!, transform!);
    assert.deepEqual(
      results.map((r) => [r.name, r.ok, r.problems]),
      results.map((r) => [r.name, true, []]),
    );
    assert.equal(results.length, 5);

    const workflow = readFileSync(join(dir, '.github/workflows/dataprod.yml'), 'utf8');
    for (const step of ['validate', 'codegen --check', 'test', 'check --against'])
      assert.match(workflow, new RegExp(`npx dataprod ${step}`));
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
    assert.match(pkg.dependencies.dataprod!, /^\^\d+\.\d+\.\d+/);
  });
});
