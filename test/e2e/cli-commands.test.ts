/**
 * Every CLI command run as a real child process (`node bin/dataprod.js ...`, built from src/ by
 * `npm run build`): exit codes, what goes to stdout and to stderr. No Kafka is needed here; the
 * commands that talk to the registry are covered by test/integration/register.test.ts.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { copyProduct, type ProductCopy } from '../support/products.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(repo, 'bin', 'dataprod.js');
const COMMAND_NAMES = ['validate', 'test', 'register', 'run', 'codegen', 'rules', 'check'] as const;
const CONNECTION_ENV = ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL'];

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment a user's shell would give the CLI: the test runner's `--import tsx` is taken
 * out of NODE_OPTIONS so the built CLI proves it loads TypeScript transforms on its own.
 */
function baseEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  const nodeOptions = (env.NODE_OPTIONS ?? '').replace(/--import[= ]tsx\b/g, '').trim();
  if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
  else delete env.NODE_OPTIONS;
  return env;
}

/** Runs `dataprod <args>` from the repo root; resolves with the exit code whatever it is. */
function dataprod(args: string[], options: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<CliResult> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: repo, env: options.env ?? baseEnv(), timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 16 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err && (err as { killed?: boolean }).killed) {
          reject(new Error(`dataprod ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
          return;
        }
        if (err && typeof (err as { code?: unknown }).code !== 'number') {
          reject(err);
          return;
        }
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

/** Asserts the exit code, showing both streams when it is not the expected one. */
function assertExit(result: CliResult, code: number): void {
  assert.equal(result.code, code, `expected exit ${code}, got ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

const withoutConnections = (): NodeJS.ProcessEnv => {
  const env = baseEnv();
  for (const name of CONNECTION_ENV) delete env[name];
  return env;
};

before(() => {
  assert.ok(existsSync(join(repo, 'dist', 'cli', 'main.js')), 'dist/cli/main.js is missing: run `npm run build` first');
});

describe('dataprod --help and <command> --help', () => {
  it('lists every command with a summary each', async () => {
    const r = await dataprod(['--help']);
    assertExit(r, 0);
    assert.match(r.stdout, /^Usage: dataprod <command> \[options\] \[product folders\.\.\.\]$/m);
    for (const name of COMMAND_NAMES) {
      assert.match(r.stdout, new RegExp(`^  ${name}\\s+\\S.+$`, 'm'), `--help does not list ${name}:\n${r.stdout}`);
    }
    assert.match(r.stdout, /dataprod <command> --help/);
    assert.equal(r.stderr, '');
  });

  it('prints the same usage for no arguments and for `help`', async () => {
    const help = await dataprod(['--help']);
    for (const args of [[], ['help'], ['-h']]) {
      const r = await dataprod(args);
      assertExit(r, 0);
      assert.equal(r.stdout, help.stdout, `dataprod ${args.join(' ')}`);
    }
  });

  const expectedOptions: Record<(typeof COMMAND_NAMES)[number], { flags: string[]; env: string[] }> = {
    validate: { flags: [], env: [] },
    test: { flags: [], env: [] },
    register: {
      flags: ['--registry-url <value>', '--registry-user <value>', '--registry-password <value>'],
      env: ['SCHEMA_REGISTRY_URL', 'SCHEMA_REGISTRY_USER', 'SCHEMA_REGISTRY_PASSWORD'],
    },
    run: {
      flags: [
        '--brokers <value>',
        '--sasl-mechanism <value>',
        '--tls',
        '--registry-url <value>',
        '--http-port <value>',
        '--log-level <value>',
        '--shutdown-grace-ms <value>',
        '--include-draft',
      ],
      env: [
        'KAFKA_BROKERS',
        'KAFKA_CLIENT_ID',
        'KAFKA_SASL_MECHANISM',
        'KAFKA_SASL_USERNAME',
        'KAFKA_SASL_PASSWORD',
        'KAFKA_TLS',
        'SCHEMA_REGISTRY_URL',
        'SCHEMA_REGISTRY_USER',
        'SCHEMA_REGISTRY_PASSWORD',
        'DATAPROD_HTTP_PORT',
        'DATAPROD_LOG_LEVEL',
        'DATAPROD_SHUTDOWN_GRACE_MS',
        'DATAPROD_DLQ_HALT_RATIO',
        'DATAPROD_MAX_RESTARTS',
      ],
    },
    codegen: { flags: ['--check'], env: [] },
    rules: { flags: ['--out <value>', '--include-draft'], env: ['DATAPROD_INCLUDE_DRAFT'] },
    check: {
      flags: ['--against <value>', '--json', '--registry-url <value>', '--brokers <value>'],
      env: ['SCHEMA_REGISTRY_URL', 'KAFKA_BROKERS'],
    },
  };

  for (const name of COMMAND_NAMES) {
    it(`${name} --help prints its usage, options and their environment variables`, async () => {
      const r = await dataprod([name, '--help']);
      assertExit(r, 0);
      assert.equal(r.stderr, '');
      assert.match(r.stdout, new RegExp(`^Usage: dataprod ${name} \\[options\\] \\[product folders\\.\\.\\.\\]$`, 'm'));
      assert.match(r.stdout, /^Options:$/m);
      assert.match(r.stdout, /^ {2}--help\s+print this help$/m);
      const { flags, env } = expectedOptions[name];
      for (const flag of flags) {
        assert.ok(
          r.stdout.split('\n').some((line) => line.startsWith(`  ${flag} `)),
          `${name} --help lacks ${flag}:\n${r.stdout}`,
        );
      }
      for (const variable of env) assert.ok(r.stdout.includes(`[${variable}]`), `${name} --help lacks [${variable}]:\n${r.stdout}`);
      if (env.length === 0) assert.doesNotMatch(r.stdout, /\[[A-Z_]+\]/, `${name} takes no environment variables`);
      // -h is the same as --help
      const short = await dataprod([name, '-h']);
      assertExit(short, 0);
      assert.equal(short.stdout, r.stdout);
    });
  }

  it('run --help states the defaults and the option that names its variable on the same line', async () => {
    const r = await dataprod(['run', '--help']);
    assertExit(r, 0);
    assert.match(r.stdout, /^ {2}--brokers <value>\s+.*\[KAFKA_BROKERS\]$/m);
    assert.match(r.stdout, /^ {2}--sasl-mechanism <value>\s+.*\[KAFKA_SASL_MECHANISM\]$/m);
    assert.match(r.stdout, /^ {2}--registry-url <value>\s+.*\[SCHEMA_REGISTRY_URL\]$/m);
    assert.match(r.stdout, /^ {2}--shutdown-grace-ms <value>\s+.*\[DATAPROD_SHUTDOWN_GRACE_MS\] \(default 30000\)$/m);
    assert.match(r.stdout, /^ {2}--http-port <value>\s+.*\[DATAPROD_HTTP_PORT\] \(default 9464\)$/m);
  });

  it('rejects an unknown flag with exit code 2, naming the flag, and prints the command help', async () => {
    for (const name of COMMAND_NAMES) {
      const r = await dataprod([name, '--no-such-flag']);
      assertExit(r, 2);
      assert.match(r.stderr, new RegExp(`^dataprod ${name}: .*'--no-such-flag'`), `${name}:\n${r.stderr}`);
      assert.match(r.stderr, new RegExp(`Usage: dataprod ${name} `));
      assert.equal(r.stdout, '');
    }
  });

  it('rejects a value given to a flag that takes none with exit code 2', async () => {
    const r = await dataprod(['codegen', '--check=yes']);
    assertExit(r, 2);
    assert.match(r.stderr, /--check/);
  });
});

describe('dataprod validate', () => {
  it('passes the example products, one ✔ line each with id, version and status', async () => {
    const r = await dataprod(['validate', 'products']);
    assertExit(r, 0);
    assert.equal(r.stderr, '');
    const lines = r.stdout.trim().split('\n');
    assert.deepEqual(lines, [
      '✔ products/orders-by-tier: sales.orders-by-tier 1.0.0 (draft)',
      '✔ products/orders-enriched: sales.orders-enriched 1.0.0 (active)',
      '✔ products/page-views: web.page-views 1.0.0 (active)',
    ]);
  });

  it('defaults to ./products', async () => {
    const r = await dataprod(['validate']);
    assertExit(r, 0);
    assert.equal(r.stdout, (await dataprod(['validate', 'products'])).stdout);
  });

  it('reports every problem of the broken fixture at once, each with its path, and exits 1', async () => {
    const r = await dataprod(['validate', 'test/fixtures/products/broken']);
    assertExit(r, 1);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines[0], '✖ test/fixtures/products/broken/product.yaml: 18 problems');
    assert.equal(lines.length, 19, r.stdout);
    const expected: [string, RegExp][] = [
      ['id', /must be sales\.orders-enriched \(<domain>\.<name>\), got sales\.orders/],
      ['inputPorts[0].contract.constraints[0].mustMatch', /is not a valid regular expression/],
      ['inputPorts[0].onInvalid', /must be one of: dlq, drop, fail \(got "retry"\)/],
      ['inputPorts[1].contract.schema', /schemas\/missing\.avsc does not exist/],
      ['inputPorts[2].contract.schema', /schemas\/not-json\.avsc is not valid JSON/],
      ['inputPorts[3].contract.schema', /schemas\/not-avro\.avsc is not a valid Avro schema: undefined type name: strang/],
      ['inputPort', /unknown field \(did you mean inputPorts\?\)/],
      ['outputPorts[0].topic', /must end with \.v1 because version is 1\.4\.0/],
      ['outputPorts[0].key', /order_number is not a top-level field of the output schema/],
      ['outputPorts[0].compatibility', /got "backward"; did you mean BACKWARD\?/],
      ['outputPorts[0].classification.customer_mail', /did you mean customer_email\?/],
      ['outputPorts[0].classification.order_id', /must be one of: pii, confidential, internal, public \(got "secret"\)/],
      ['deadLetter.topic', /must differ from every input and output topic/],
      ['quality[1]', /rule has 2 operators/],
      ['quality[2].port', /is required because the product has 4 input ports/],
      ['slaProperties[0].value', /must be greater than 0 \(got 0\)/],
      ['slaProperties[0].objective', /must be a percentage/],
    ];
    for (const [path, message] of expected) {
      const line = lines.find((l) => l.startsWith(`  ${path}: `));
      assert.ok(line, `no issue at ${path}:\n${r.stdout}`);
      assert.match(line, message, path);
    }
  });

  it('checks several products in one run: exit 1 when any fails, ✔ for the good ones', async () => {
    const r = await dataprod(['validate', 'test/fixtures/products']);
    assertExit(r, 1);
    assert.match(r.stdout, /^✔ test\/fixtures\/products\/minimal: shop\.minimal 2\.0\.0-rc\.1 \(draft\)$/m);
    assert.match(r.stdout, /^✔ test\/fixtures\/products\/valid: sales\.orders-enriched 1\.4\.0 \(active\)$/m);
    assert.match(r.stdout, /^✖ test\/fixtures\/products\/broken\/product\.yaml: 18 problems$/m);
    assert.match(r.stdout, /^✖ test\/fixtures\/products\/yaml-syntax\/product\.yaml: 1 problem$/m);
    assert.match(r.stdout, /^ {2}product\.yaml: YAML syntax error at \d+:\d+: /m);
    assert.match(r.stdout, /^✖ test\/fixtures\/products\/transform-throws\/product\.yaml: 1 problem$/m);
    assert.match(r.stdout, /^ {2}transform: transform\.ts failed to import: lookup table missing/m);
  });

  it('refuses two folders that are the same major of one id, naming both and the fix; two majors pass', async () => {
    // Inside the repo, at the depth of the fixtures, so the fixture's transform finds src/index.js.
    mkdirSync(join(repo, '.cache', 'test-products'), { recursive: true });
    const root = mkdtempSync(join(repo, '.cache', 'test-products', 'majors-'));
    try {
      const folder = (name: string, version: string, topic: string) => {
        cpSync(join(repo, 'test/fixtures/products/valid'), join(root, name), { recursive: true });
        const file = join(root, name, 'product.yaml');
        writeFileSync(
          file,
          readFileSync(file, 'utf8')
            .replace(/^version: .*$/m, `version: ${version}`)
            .replace('topic: sales.orders-enriched.v1', `topic: ${topic}`),
        );
      };
      folder('v1', '1.4.0', 'sales.orders-enriched.v1');
      folder('v2', '2.0.0', 'sales.orders-enriched.v2');
      const apart = await dataprod(['validate', root]);
      assertExit(apart, 0);
      folder('v1-again', '1.5.0', 'sales.orders-enriched.v1');
      const twice = await dataprod(['validate', root]);
      assertExit(twice, 1);
      assert.match(twice.stdout, /^✔ .*v1-again: sales\.orders-enriched 1\.5\.0 \(active\)$/m);
      assert.match(twice.stdout, /^✖ .*v1-again\/product\.yaml: with the other products, 1 problem$/m);
      assert.match(
        twice.stdout,
        /^ {2}version: sales\.orders-enriched 1\.5\.0 is the same major as .*v1\/product\.yaml \(1\.4\.0\).*bump version/m,
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('exits 1 with a clear message for a path that is not a product folder', async () => {
    const r = await dataprod(['validate', 'no/such/folder']);
    assertExit(r, 1);
    assert.match(r.stderr, /no product found at:\n {2}no\/such\/folder: does not exist/);
  });
});

describe('dataprod test', () => {
  let copy: ProductCopy | undefined;
  after(() => copy?.remove());

  it('runs the example cases of both products: last line `N passed, 0 failed`', async () => {
    const r = await dataprod(['test', 'products']);
    assertExit(r, 0);
    const lines = r.stdout.trimEnd().split('\n');
    const summary = /^(\d+) passed, 0 failed$/.exec(lines.at(-1) ?? '');
    assert.ok(summary, `last line is not "N passed, 0 failed":\n${r.stdout}`);
    const passed = Number(summary[1]);
    assert.ok(passed > 0);
    assert.equal(lines.filter((l) => /^ {2}✔ cases\//.test(l)).length, passed);
    assert.equal(lines.filter((l) => l.includes('✖')).length, 0);
    assert.match(r.stdout, /^sales\.orders-enriched \(products\/orders-enriched\)$/m);
    assert.match(r.stdout, /^web\.page-views \(products\/page-views\)$/m);
    assert.match(r.stdout, /^sales\.orders-by-tier \(products\/orders-by-tier\)$/m);
  });

  it('marks a case whose expected output is wrong with ✖, naming the field, expected and actual values, and exits 1', async () => {
    copy = copyProduct('orders-enriched');
    const file = join(copy.dir, 'cases', 'outputs.yaml');
    const doc = parseDocument(readFileSync(file, 'utf8'));
    const caseName = String(doc.getIn(['cases', 0, 'name']));
    const actualTotal = doc.getIn(['cases', 0, 'expect', 'outputs', 0, 'total']);
    assert.equal(actualTotal, 57.43, 'the first case of outputs.yaml changed: update this test');
    doc.setIn(['cases', 0, 'expect', 'outputs', 0, 'total'], 58.43);
    writeFileSync(file, doc.toString());

    const r = await dataprod(['test', copy.dir]);
    assertExit(r, 1);
    const lines = r.stdout.trimEnd().split('\n');
    const failedLine = lines.findIndex((l) => l === `  ✖ cases/outputs.yaml: ${caseName}`);
    assert.ok(failedLine >= 0, `no ✖ line for "${caseName}":\n${r.stdout}`);
    assert.equal(lines[failedLine + 1], '      expect.outputs[0] differs: total: expected 58.43, got 57.43');
    assert.equal(lines.filter((l) => l.includes('✖')).length, 1, r.stdout);
    const summary = /^(\d+) passed, 1 failed$/.exec(lines.at(-1) ?? '');
    assert.ok(summary && Number(summary[1]) > 0, `last line:\n${r.stdout}`);
    assert.match(r.stdout, new RegExp(`^${copy.id.replace(/\./g, '\\.')} \\(${relative(repo, copy.dir).replace(/\./g, '\\.')}\\)$`, 'm'));
  });

  it('refuses to test a product whose descriptor is broken: exit 1 with the issues on stderr', async () => {
    const r = await dataprod(['test', 'test/fixtures/products/broken']);
    assertExit(r, 1);
    assert.match(r.stderr, /outputPorts\[0\]\.topic: must end with \.v1 because version is 1\.4\.0/);
  });
});

describe('dataprod codegen', () => {
  let copy: ProductCopy | undefined;
  after(() => copy?.remove());

  it('--check passes on the example products', async () => {
    const r = await dataprod(['codegen', '--check', 'products']);
    assertExit(r, 0);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      '✔ products/orders-by-tier/types.gen.ts is up to date',
      '✔ products/orders-enriched/types.gen.ts is up to date',
      '✔ products/page-views/types.gen.ts is up to date',
    ]);
  });

  it('--check fails on a missing types.gen.ts; codegen writes it; --check then passes', async () => {
    copy = copyProduct('orders-enriched');
    const file = join(copy.dir, 'types.gen.ts');
    const original = readFileSync(file, 'utf8');
    rmSync(file);
    const shown = relative(repo, file);

    const missing = await dataprod(['codegen', '--check', copy.dir]);
    assertExit(missing, 1);
    assert.equal(missing.stdout.trim(), `✖ ${shown} is missing: run \`dataprod codegen ${relative(repo, copy.dir)}\``);
    assert.equal(existsSync(file), false, '--check must not write the file');

    const write = await dataprod(['codegen', copy.dir]);
    assertExit(write, 0);
    assert.equal(write.stdout.trim(), `wrote ${shown}`);
    const generated = readFileSync(file, 'utf8');
    assert.match(generated, /^\/\/ Generated by `dataprod codegen`/);
    assert.ok(generated.includes(`// Product: ${copy.id}\n`), generated);
    assert.ok(generated.includes(`an event published to ${copy.outputTopic}.`), generated);
    assert.match(generated, /^export interface OrderEnriched \{$/m);
    assert.match(generated, /^export type OrdersEnrichedOutput = OrderEnriched;$/m);
    // apart from the copy's own id and topics it is the file checked into products/
    const expected = original
      .replaceAll('raw.orders,', `${copy.inputTopic},`)
      .replaceAll('sales.orders-enriched.v1', copy.outputTopic)
      .replace('// Product: sales.orders-enriched\n', `// Product: ${copy.id}\n`);
    assert.equal(generated, expected);

    const again = await dataprod(['codegen', '--check', copy.dir]);
    assertExit(again, 0);
    assert.equal(again.stdout.trim(), `✔ ${shown} is up to date`);

    writeFileSync(file, generated.replace('customer_email', 'customer_mail'));
    const stale = await dataprod(['codegen', '--check', copy.dir]);
    assertExit(stale, 1);
    assert.match(stale.stdout, new RegExp(`^✖ ${shown.replace(/\./g, '\\.')} is stale: run `, 'm'));
  });
});

describe('dataprod run: configuration errors stop it before anything starts', () => {
  it('without KAFKA_BROKERS and SCHEMA_REGISTRY_URL exits 1 naming both flags and variables', async () => {
    const started = Date.now();
    const r = await dataprod(['run', 'products'], { env: withoutConnections(), timeoutMs: 30_000 });
    assertExit(r, 1);
    assert.equal(r.stdout, '', 'nothing is logged: the worker never started');
    assert.match(r.stderr, /^dataprod run: invalid configuration:/);
    assert.match(r.stderr, /^ {2}--brokers \(KAFKA_BROKERS\): required: /m);
    assert.match(r.stderr, /^ {2}--registry-url \(SCHEMA_REGISTRY_URL\): required: /m);
    assert.ok(Date.now() - started < 15_000, 'it must fail at once, not after trying to connect');
  });

  it('names a bad option value along with the missing connections', async () => {
    const r = await dataprod(['run', 'products'], { env: { ...withoutConnections(), DATAPROD_HTTP_PORT: 'abc' }, timeoutMs: 30_000 });
    assertExit(r, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^ {2}--http-port \(DATAPROD_HTTP_PORT\): must be a whole number >= 0, got "abc"$/m);
    assert.match(r.stderr, /--brokers \(KAFKA_BROKERS\)/);
    assert.match(r.stderr, /--registry-url \(SCHEMA_REGISTRY_URL\)/);
  });

  it('names a bad value even when the connections are set, and flags win over the environment', async () => {
    const env = {
      ...withoutConnections(),
      KAFKA_BROKERS: '127.0.0.1:1',
      SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1',
      DATAPROD_HTTP_PORT: '0',
      KAFKA_SASL_MECHANISM: 'kerberos',
    };
    const r = await dataprod(['run', '--http-port', '70000', '--shutdown-grace-ms=-5', 'products'], { env, timeoutMs: 30_000 });
    assertExit(r, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /--http-port \(DATAPROD_HTTP_PORT\): must be <= 65535, got 70000/);
    assert.match(r.stderr, /--shutdown-grace-ms \(DATAPROD_SHUTDOWN_GRACE_MS\): must be a whole number >= 0, got "-5"/);
    assert.match(r.stderr, /--sasl-mechanism \(KAFKA_SASL_MECHANISM\): must be one of plain, scram-sha-256, scram-sha-512, got "kerberos"/);
    assert.doesNotMatch(r.stderr, /--brokers|--registry-url/);
  });

  it('register without SCHEMA_REGISTRY_URL exits 1 naming it (and does not ask for Kafka)', async () => {
    const r = await dataprod(['register', 'products'], { env: withoutConnections(), timeoutMs: 30_000 });
    assertExit(r, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^dataprod register: invalid configuration:/);
    assert.match(r.stderr, /--registry-url \(SCHEMA_REGISTRY_URL\): required/);
    assert.doesNotMatch(r.stderr, /KAFKA_BROKERS/);
  });
});
