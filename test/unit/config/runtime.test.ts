import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRuntimeConfig } from '../../../src/config/runtime.js';
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
});
