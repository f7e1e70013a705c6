/**
 * `dataprod init`: the files of a new product repository, outside this checkout. The repository
 * depends on the dataprod package (so `import ... from 'dataprod'` resolves from its own
 * node_modules), holds one product under products/<name>/ that passes `dataprod validate` and
 * `dataprod test` as generated, and a CI workflow running the same commands a product team runs
 * locally. The product is deliberately small but shows every part once: a contract constraint, a
 * quality rule, a filter, an SLA, and a case for each outcome.
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { NAME_PATTERN } from '../product/descriptor-schema.js';
import { pascalCase, portTypeName } from './codegen/index.js';
import { DATAPROD_VERSION } from '../version.js';

export interface ScaffoldOptions {
  /** Product name (kebab-case); its topics are raw.<name> in and <domain>.<name>.v1 out. */
  name: string;
  domain: string;
  /** User name of the team member with the role owner. */
  owner: string;
}

/** The folder, under the repository, of the product `init` writes. */
export const productDirOf = (options: ScaffoldOptions) => join('products', options.name);

/**
 * The options for a repository at `dir`: the name defaults to the folder's name, the domain to
 * `example`, the owner to the user running the command. Every bad value is reported at once.
 */
export function scaffoldOptions(dir: string, given: Partial<ScaffoldOptions>, env: NodeJS.ProcessEnv): ScaffoldOptions {
  const issues: ConfigIssue[] = [];
  const kebab = new RegExp(NAME_PATTERN);
  const name = given.name ?? basename(resolve(dir));
  if (!kebab.test(name)) {
    issues.push({
      path: '--name',
      message:
        `"${name}" is not kebab-case (a lowercase letter, then lowercase letters, digits or "-")` +
        (given.name === undefined ? `; it defaults to the folder's name: pass --name, e.g. --name shipments` : ''),
    });
  }
  const domain = given.domain ?? 'example';
  if (!kebab.test(domain)) issues.push({ path: '--domain', message: `"${domain}" is not kebab-case, e.g. --domain logistics` });
  const owner = (given.owner ?? env.USER ?? env.USERNAME ?? 'owner').trim();
  if (owner === '' || /\s/.test(owner))
    issues.push({ path: '--owner', message: `"${owner}" must be a user name without spaces, e.g. --owner ana` });
  if (issues.length > 0) throw new ConfigError(issues);
  return { name, domain, owner };
}

/**
 * Writes the repository into `dir` (created if missing; it must be empty, so nothing is ever
 * overwritten) and returns the files written, relative to it. types.gen.ts is written by the
 * caller with codegen, from the schemas written here, so it cannot differ from `codegen --check`.
 */
export function writeScaffold(dir: string, options: ScaffoldOptions): string[] {
  const root = resolve(dir);
  if (existsSync(root) && readdirSync(root).length > 0) {
    throw new ConfigError([{ path: dir, message: 'is not empty; init writes a new repository: pick a new or empty folder' }]);
  }
  const files = scaffoldFiles(options);
  for (const [file, content] of files) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), content);
  }
  return [...files.keys()];
}

/** Every file of the repository but types.gen.ts, by path relative to the repository. */
export function scaffoldFiles(options: ScaffoldOptions): Map<string, string> {
  const { name, domain, owner } = options;
  const product = productDirOf(options);
  const record = pascalCase(name);
  const namespace = `com.example.${domain.replace(/-/g, '_')}`;
  const files = new Map<string, string>();
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

  files.set(
    'package.json',
    json({
      name: `${domain}-${name}-products`,
      version: '0.1.0',
      private: true,
      type: 'module',
      scripts: {
        validate: 'dataprod validate',
        codegen: 'dataprod codegen',
        test: 'dataprod validate && dataprod codegen --check && dataprod test',
        typecheck: 'tsc --noEmit',
        start: 'dataprod run',
      },
      dependencies: { dataprod: `^${DATAPROD_VERSION}` },
      devDependencies: { typescript: '~5.9.3' },
    }),
  );
  files.set(
    'tsconfig.json',
    json({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      include: ['products/**/*.ts'],
    }),
  );
  files.set('.gitignore', 'node_modules/\n*.tgz\n');
  files.set(
    '.github/workflows/dataprod.yml',
    [
      '# The checks a product change must pass before it merges: the same commands you run locally.',
      'name: dataprod',
      'on: [push, pull_request]',
      'jobs:',
      '  products:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - uses: actions/checkout@v4',
      '        with: { fetch-depth: 0 }',
      '      - uses: actions/setup-node@v4',
      '        with: { node-version: 22, cache: npm }',
      '      - run: npm ci',
      '      - run: npx dataprod validate products',
      '      - run: npx dataprod codegen --check products',
      '      - run: npx dataprod test products',
      '      - run: npx tsc --noEmit',
      '      # Schema changes classified against the main branch; a breaking change needs a new major.',
      '      - run: npx dataprod check --against origin/main products',
      '',
    ].join('\n'),
  );

  files.set(
    `${product}/product.yaml`,
    [
      'apiVersion: dataprod/v1',
      'kind: DataProduct',
      `id: ${domain}.${name}`,
      `name: ${name}`,
      `domain: ${domain}`,
      'version: 1.0.0',
      'status: active',
      'description:',
      `  purpose: "Every ${name} event upstream writes to raw.${name}, with a normalised source and its amount in units."`,
      '  usage: "Key consumers on id."',
      '  limitations: "Test events (source test) are filtered out."',
      'team:',
      `  name: ${domain}-data`,
      '  members:',
      `    - { username: ${owner}, role: owner }`,
      'inputPorts:',
      `  - name: raw-${name}`,
      `    topic: raw.${name}`,
      '    contract:',
      `      schema: schemas/raw-${name}.avsc`,
      '      constraints:',
      '        - { name: country-iso-code, property: country, mustMatch: "^[A-Z]{2}$" }',
      'transform: transform.ts',
      'outputPorts:',
      `  - name: ${name}`,
      `    topic: ${domain}.${name}.v1`,
      '    key: id',
      `    schema: schemas/${name}.avsc`,
      'quality:',
      '  - { name: amount-non-negative, property: amount_cents, mustBeGreaterOrEqualTo: 0, onFailure: dlq }',
      'slaProperties:',
      '  - { property: latency, value: 30, unit: s, objective: 99 }',
      '',
    ].join('\n'),
  );
  const fields = (amount: object, extra: object[]) => [
    { name: 'id', type: 'string' },
    { name: 'source', type: 'string', ...extra[0] },
    amount,
    { name: 'country', type: 'string', doc: 'ISO 3166-1 alpha-2 code.' },
    { name: 'occurred_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
  ];
  files.set(
    `${product}/schemas/raw-${name}.avsc`,
    json({
      type: 'record',
      name: `Raw${record}`,
      namespace: `${namespace}.raw`,
      doc: `A ${name} event as upstream writes it.`,
      fields: fields({ name: 'amount_cents', type: 'long' }, [{ doc: "As upstream sends it: 'Web', ' app '." }]),
    }),
  );
  files.set(
    `${product}/schemas/${name}.avsc`,
    json({
      type: 'record',
      name: record,
      namespace,
      doc: `A ${name} event, cleaned.`,
      fields: fields({ name: 'amount', type: 'double', doc: 'amount_cents / 100' }, [{ doc: 'Lower-case, trimmed.' }]),
    }),
  );
  const input = portTypeName(`raw-${name}`, 'Input');
  const output = portTypeName(name, 'Output');
  files.set(
    `${product}/transform.ts`,
    [
      "import { defineTransform } from 'dataprod';",
      `import type { ${input}, ${output} } from './types.gen.js';`,
      '',
      '// Synchronous: return one output, a list, or null to filter the event (counted, never silent).',
      '// Contract and quality checks ran before it; a throw dead-letters the event.',
      `export default defineTransform<${input}, ${output}>((event) => {`,
      '  const source = event.source.trim().toLowerCase();',
      "  if (source === 'test') return null;",
      '  return {',
      '    id: event.id,',
      '    source,',
      '    amount: event.amount_cents / 100,',
      '    country: event.country,',
      '    occurred_at: event.occurred_at,',
      '  };',
      '});',
      '',
    ].join('\n'),
  );
  files.set(
    `${product}/cases/${name}.yaml`,
    [
      '# Example events in, expected outputs, filters and dead letters out; `dataprod test` runs them offline.',
      'cases:',
      '  - name: publishes an event with a normalised source and its amount in units',
      '    key: e-1',
      '    input: { id: e-1, source: " Web ", amount_cents: 1250, country: PT, occurred_at: 1767225600000 }',
      '    expect:',
      '      key: e-1',
      '      outputs:',
      '        - { id: e-1, source: web, amount: 12.5, country: PT, occurred_at: 1767225600000 }',
      '',
      '  - name: filters a test event',
      '    input: { id: e-2, source: TEST, amount_cents: 100, country: DE, occurred_at: 1767225600000 }',
      '    expect: { filtered: true }',
      '',
      '  - name: dead-letters a negative amount',
      '    input: { id: e-3, source: app, amount_cents: -5, country: FR, occurred_at: 1767225600000 }',
      '    expect:',
      '      deadLetter: { reason: quality, rule: amount-non-negative, field: amount_cents }',
      '',
      '  - name: dead-letters a country that is not an ISO code',
      '    input: { id: e-4, source: app, amount_cents: 800, country: Portugal, occurred_at: 1767225600000 }',
      '    expect:',
      '      deadLetter: { reason: contract, rule: country-iso-code, field: country }',
      '',
      '  - name: dead-letters JSON sent instead of Avro',
      `    raw: { text: '{"id":"e-5"}' }`,
      '    expect:',
      '      deadLetter: { reason: not-avro }',
      '',
    ].join('\n'),
  );
  return files;
}
