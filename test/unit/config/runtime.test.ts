import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRuntimeConfig, OPTIONS, optionsOf, parseOption, readOptions, type OptionSpec } from '../../../src/config/runtime.js';
import { ConfigError } from '../../../src/errors.js';

const need = { kafka: true, registry: true };

describe('runtime configuration', () => {
  it('reads the environment, applies defaults and lets flags win', () => {
    const config = loadRuntimeConfig(
      { 'http-port': '0' },
      { KAFKA_BROKERS: 'k1:9092, k2:9093', SCHEMA_REGISTRY_URL: 'http://r:8081', DATAPROD_HTTP_PORT: '1234' },
      { need },
    );
    assert.deepEqual(config.kafka.brokers, ['k1:9092', 'k2:9093']);
    assert.equal(config.httpPort, 0);
    assert.equal(config.shutdownGraceMs, 30_000);
    assert.equal(config.kafka.ssl, false);
    assert.equal(config.kafka.sasl, undefined);
    assert.deepEqual(config.dlqHalt, { ratio: 0.5, minRecords: 100, windowMs: 60_000 });
    assert.ok(Object.isFrozen(config));
  });

  it('builds SASL/SCRAM and TLS settings', () => {
    const config = loadRuntimeConfig(
      { 'sasl-mechanism': 'SCRAM-SHA-512', 'sasl-username': 'svc', tls: true, 'tls-reject-unauthorized': 'false' },
      { KAFKA_BROKERS: 'k:9093', SCHEMA_REGISTRY_URL: 'https://r', KAFKA_SASL_PASSWORD: 's3cret' },
      { need },
    );
    assert.deepEqual(config.kafka.sasl, { mechanism: 'scram-sha-512', username: 'svc', password: 's3cret' });
    assert.deepEqual(config.kafka.ssl, { ca: undefined, cert: undefined, key: undefined, rejectUnauthorized: false });
  });

  it('reports every problem at once, naming flag and variable', () => {
    try {
      loadRuntimeConfig(
        { 'http-port': 'eighty', 'sasl-mechanism': 'kerberos', 'tls-cert-file': '/nonexistent/cert.pem' },
        { SCHEMA_REGISTRY_URL: 'ftp://r', DATAPROD_DLQ_HALT_RATIO: '2', KAFKA_SASL_USERNAME: 'u' },
        { need },
      );
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      const paths = err.issues.map((i) => i.path);
      assert.ok(paths.includes('--brokers (KAFKA_BROKERS)'), 'missing brokers');
      assert.ok(paths.includes('--http-port (DATAPROD_HTTP_PORT)'));
      assert.ok(paths.includes('--sasl-mechanism (KAFKA_SASL_MECHANISM)'));
      assert.ok(paths.includes('--tls-cert-file (KAFKA_TLS_CERT_FILE)'), 'unreadable cert');
      assert.ok(paths.includes('--tls-key-file (KAFKA_TLS_KEY_FILE)'), 'cert without key');
      assert.ok(paths.includes('--registry-url (SCHEMA_REGISTRY_URL)'));
      assert.ok(paths.includes('--dlq-halt-ratio (DATAPROD_DLQ_HALT_RATIO)'));
      assert.match(err.message, /must be one of plain, scram-sha-256, scram-sha-512, got "kerberos"/);
    }
  });

  it('does not ask for Kafka or the registry when the command does not need them', () => {
    const config = loadRuntimeConfig({}, {}, { need: { kafka: false, registry: false } });
    assert.deepEqual(config.kafka.brokers, []);
  });

  it('does not let an option of one command leak into the settings of the others', () => {
    assert.deepEqual(
      optionsOf('codegen').map((o) => o.flag),
      ['check'],
    );
    assert.deepEqual(
      optionsOf('rules').map((o) => o.flag),
      ['include-draft', 'out', 'min-records'],
    );
    assert.deepEqual(
      optionsOf('demo-produce')
        .filter((o) => !o.env)
        .map((o) => o.flag),
      ['rate', 'partitions', 'ready-file'],
    );
    assert.deepEqual(optionsOf('validate'), []);
    assert.ok(optionsOf('register').every((o) => o.flag.startsWith('registry-')));
  });
});

describe('one parser for every option', () => {
  const spec = (flag: string) => (OPTIONS as readonly OptionSpec[]).find((o) => o.flag === flag)!;
  const problem = (flag: string, text: string) => {
    const r = parseOption(spec(flag), text);
    return 'problem' in r ? r.problem : undefined;
  };

  it('parses each kind, with the bounds and choices of the table', () => {
    assert.deepEqual(parseOption(spec('brokers'), ' a:1, ,b:2'), { value: ['a:1', 'b:2'] });
    assert.deepEqual(parseOption(spec('tls'), 'YES'), { value: true });
    assert.deepEqual(parseOption(spec('tls'), '0'), { value: false });
    assert.deepEqual(parseOption(spec('log-level'), 'WARN'), { value: 'warn' });
    assert.deepEqual(parseOption(spec('http-port'), '65535'), { value: 65535 });
    assert.deepEqual(parseOption(spec('dlq-halt-ratio'), '1'), { value: 1 });
    assert.deepEqual(parseOption(spec('rate'), '0.5'), { value: 0.5 });
  });

  it('says what is wrong in the words the CLI has always used', () => {
    assert.equal(problem('http-port', 'abc'), 'must be a whole number >= 0, got "abc"');
    assert.equal(problem('http-port', '70000'), 'must be <= 65535, got 70000');
    assert.equal(problem('dlq-halt-window-ms', '999'), 'must be a whole number >= 1000, got "999"');
    assert.equal(problem('dlq-halt-ratio', '0'), 'must be a number in (0, 1], got "0"');
    assert.equal(problem('tls', 'maybe'), 'must be true or false, got "maybe"');
    assert.equal(problem('sasl-mechanism', 'kerberos'), 'must be one of plain, scram-sha-256, scram-sha-512, got "kerberos"');
    assert.equal(problem('rate', '0'), 'must be a number > 0, got "0"');
    assert.equal(problem('rate', 'fast'), 'must be a number > 0, got "fast"');
    assert.equal(problem('partitions', '1.5'), 'must be a whole number >= 1, got "1.5"');
  });

  it("reads a command's options from flags, its variables and the defaults", () => {
    assert.deepEqual(readOptions('rules', {}, {}), { 'include-draft': false, out: '-', 'min-records': 100 });
    assert.deepEqual(
      readOptions('rules', { 'include-draft': true, out: 'r.yaml', 'min-records': '100' }, { DATAPROD_INCLUDE_DRAFT: 'no' }),
      {
        'include-draft': true,
        out: 'r.yaml',
        'min-records': 100,
      },
    );
    assert.deepEqual(readOptions('rules', {}, { DATAPROD_INCLUDE_DRAFT: 'yes', DATAPROD_HTTP_PORT: 'bad' }), {
      'include-draft': true,
      out: '-',
      'min-records': 100,
    });
    assert.deepEqual(readOptions('codegen', {}, {}), {});
    const demo = readOptions('demo-produce', { rate: '20', 'ready-file': '' }, {});
    assert.equal(demo.rate, 20);
    assert.equal(demo.partitions, 3);
    assert.equal(demo['ready-file'], undefined, 'an empty value is not set');
  });

  it('reports every bad option of a command at once, by flag and variable', () => {
    try {
      readOptions('demo-produce', { rate: '-1', partitions: 'x' }, { DATAPROD_LOG_LEVEL: 'loud' });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(
        err.issues.map((i) => i.path),
        ['--log-level (DATAPROD_LOG_LEVEL)', '--rate', '--partitions'],
      );
    }
    assert.throws(
      () => readOptions('rules', {}, { DATAPROD_INCLUDE_DRAFT: 'sometimes' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.issues, [
          { path: '--include-draft (DATAPROD_INCLUDE_DRAFT)', message: 'must be true or false, got "sometimes"' },
        ]);
        return true;
      },
    );
  });
});
