import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadRuntimeConfig } from '../../../src/config/runtime.js';
import { privateKeyProblem, registryConnection, withoutCredentials } from '../../../src/config/secrets.js';
import { ConfigError } from '../../../src/errors.js';

const PASSWORD = 'pa%40ss-W0rd';

describe('registry URL credentials', () => {
  it('moves user and password out of the URL into basic auth, decoded', () => {
    const r = registryConnection(`https://alice:${PASSWORD}@registry.example:8081/apis/ccompat/v7`, undefined, undefined);
    assert.deepEqual(r, { url: 'https://registry.example:8081/apis/ccompat/v7', username: 'alice', password: 'pa@ss-W0rd', issues: [] });
  });

  it('refuses credentials both in the URL and in the options, without printing the password', () => {
    const r = registryConnection(`http://alice:${PASSWORD}@h:1/x`, 'bob', undefined);
    assert.equal(r.issues.length, 1);
    assert.equal(r.issues[0]!.flag, 'registry-url');
    assert.ok(!JSON.stringify(r.issues).includes('W0rd'));
    assert.equal(r.url, 'http://h:1/x');
  });

  it('never prints credentials of a URL that does not parse', () => {
    assert.equal(withoutCredentials(`http://alice:${PASSWORD}@[bad/x`), 'http://[bad/x');
    const err = (() => {
      try {
        loadRuntimeConfig({}, { SCHEMA_REGISTRY_URL: `http://alice:${PASSWORD}@[bad/x` }, { need: { kafka: false, registry: true } });
      } catch (e) {
        return e as ConfigError;
      }
      return undefined;
    })();
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /SCHEMA_REGISTRY_URL/);
    assert.ok(!err.message.includes('W0rd'), err.message);
  });

  it('compiles into the runtime configuration', () => {
    const config = loadRuntimeConfig(
      {},
      { SCHEMA_REGISTRY_URL: `http://alice:${PASSWORD}@127.0.0.1:8081` },
      { need: { kafka: false, registry: true } },
    );
    assert.deepEqual(config.registry, { url: 'http://127.0.0.1:8081', username: 'alice', password: 'pa@ss-W0rd' });
  });
});

describe('TLS client key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dataprod-keys-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const { privateKey: plain } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const { privateKey: encrypted } = generateKeyPairSync('ec', {
    namedCurve: 'P-256',
    privateKeyEncoding: { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'open-sesame' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });

  it('accepts a plain key, and an encrypted one with its passphrase', () => {
    assert.equal(privateKeyProblem(plain, undefined), undefined);
    assert.equal(privateKeyProblem(encrypted, 'open-sesame'), undefined);
  });

  it('names --tls-key-passphrase for an encrypted key without it or with a wrong one', () => {
    assert.deepEqual(privateKeyProblem(encrypted, undefined), {
      fix: 'tls-key-passphrase',
      message: 'required: the key in --tls-key-file is encrypted',
    });
    assert.equal(privateKeyProblem(encrypted, 'wrong')?.fix, 'tls-key-passphrase');
    assert.equal(privateKeyProblem('not a key', undefined)?.fix, 'tls-key-file');
  });

  it('fails the configuration at start, naming the variable', () => {
    const keyFile = join(dir, 'client.key');
    writeFileSync(keyFile, encrypted);
    writeFileSync(join(dir, 'client.crt'), 'unused');
    const env = { KAFKA_BROKERS: '127.0.0.1:9093', KAFKA_TLS_CERT_FILE: join(dir, 'client.crt'), KAFKA_TLS_KEY_FILE: keyFile };
    assert.throws(() => loadRuntimeConfig({}, env, { need: { kafka: true, registry: false } }), /KAFKA_TLS_KEY_PASSPHRASE.*encrypted/);
    const config = loadRuntimeConfig({}, { ...env, KAFKA_TLS_KEY_PASSPHRASE: 'open-sesame' }, { need: { kafka: true, registry: false } });
    assert.equal(config.kafka.ssl && config.kafka.ssl.passphrase, 'open-sesame');
  });
});
