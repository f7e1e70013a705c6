/**
 * Connection mistakes against a broker of its own with a SASL_SSL listener (SCRAM) and a mutual-TLS
 * listener, certificates from a CA made here with openssl, the SCRAM user made with Kafka's own
 * ConfigCommand. Each mistake runs `dataprod run` as a process and asserts that it exits within
 * 10 s with a message naming the setting to check; the right settings start the worker (so the
 * harness is not wrong in a way that fails everything). Secrets never appear in the output.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Admin } from 'kafkajs';
import { CONFIG_COMMAND_CLASS, KafkaNode } from '../../src/devstack/kafka.js';
import { runToCompletion } from '../../src/devstack/process.js';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { testKafka } from '../support/kafka.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack } from '../support/stack.js';
import { spawnWorker } from '../support/worker.js';

const SCRAM_PASSWORD = 'scram-Pw-7Qx';
const KEY_PASSPHRASE = 'key-Pass-3Zr';
const EXIT_WITHIN_MS = 10_000;

/** A CA, a broker certificate for 127.0.0.1, client certificates from it and from another CA. */
function makeCertificates(dir: string): void {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const ca of ['ca', 'other-ca'])
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${ca}.key`, '-out', `${ca}.crt`, '-days', '2', '-subj', `/CN=${ca}`);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  const issue = (name: string, ca: string, ext: string[] = []) => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${ca}.crt`,
      '-CAkey',
      `${ca}.key`,
      '-CAcreateserial',
      '-out',
      `${name}.crt`,
      '-days',
      '2',
      ...ext,
    );
  };
  issue('broker', 'ca', ['-extfile', 'san.ext']);
  issue('client', 'ca');
  issue('stranger', 'other-ca');
  ssl('pkcs8', '-topk8', '-in', 'client.key', '-out', 'client-encrypted.key', '-passout', `pass:${KEY_PASSPHRASE}`);
  // Kafka's PEM key store: the (PKCS#8, unencrypted) key and its certificate in one file.
  writeFileSync(join(dir, 'broker.pem'), readFileSync(join(dir, 'broker.key'), 'utf8') + readFileSync(join(dir, 'broker.crt'), 'utf8'));
}

describe('connection mistakes fail fast, naming the setting', { timeout: 240_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dataprod-tls-'));
  const file = (name: string) => join(dir, name);
  let broker: KafkaNode;
  let admin: Admin | undefined;
  let product: ProductCopy;
  let registryUrl: string;

  before(async () => {
    makeCertificates(dir);
    broker = new KafkaNode({
      workDir: join(dir, 'kafka'),
      progress: () => undefined,
      extraListeners: [
        { name: 'SASL_SSL', protocol: 'SASL_SSL' },
        { name: 'MTLS', protocol: 'SSL' },
      ],
      extraProperties: {
        'ssl.keystore.type': 'PEM',
        'ssl.keystore.location': file('broker.pem'),
        'ssl.truststore.type': 'PEM',
        'ssl.truststore.location': file('ca.crt'),
        'listener.name.mtls.ssl.client.auth': 'required',
        'sasl.enabled.mechanisms': 'SCRAM-SHA-256',
        'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': 'org.apache.kafka.common.security.scram.ScramLoginModule required;',
      },
    });
    await broker.start();
    await runToCompletion(
      'java',
      [
        ...broker.jvmArgs(),
        CONFIG_COMMAND_CLASS,
        '--bootstrap-server',
        broker.bootstrap,
        '--alter',
        '--add-config',
        `SCRAM-SHA-256=[iterations=4096,password=${SCRAM_PASSWORD}]`,
        '--entity-type',
        'users',
        '--entity-name',
        'alice',
      ],
      { what: 'creating the SCRAM user' },
    );
    product = copyProduct('orders-enriched');
    admin = testKafka([broker.bootstrap]).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: true, topics: [{ topic: product.inputTopic }] });
    registryUrl = (await testStack()).schemaRegistryUrl;
    await new RegistryClient({ url: registryUrl }).register(product.inputSubject, readSchema('orders-enriched', 'raw-order.avsc'));
  });

  after(async () => {
    await admin?.disconnect().catch(() => undefined);
    await broker?.stop();
    product?.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Runs the worker against `brokers` with `env`; returns how it ended, or that it started. */
  async function run(
    brokers: string,
    env: Record<string, string>,
    limitMs = EXIT_WITHIN_MS,
  ): Promise<{ exited: boolean; code: number | null; ms: number; log: string }> {
    const startedAt = Date.now();
    const w = spawnWorker(product.dir, { brokers: [brokers], schemaRegistryUrl: registryUrl }, env);
    const started = new Promise<'started'>((resolve) => {
      const timer = setInterval(() => {
        if (w.log.join('').includes('product started')) {
          clearInterval(timer);
          resolve('started');
        }
      }, 50);
      void w.exit.then(() => clearInterval(timer));
    });
    const limit = new Promise<'limit'>((r) => setTimeout(() => r('limit'), limitMs).unref());
    const outcome = await Promise.race([w.exit, started, limit]);
    if (outcome === 'started' || outcome === 'limit') {
      w.child.kill('SIGTERM');
      const { code } = await w.exit;
      return { exited: false, code, ms: Date.now() - startedAt, log: w.log.join('') };
    }
    return { exited: true, code: outcome.code, ms: outcome.at - startedAt, log: w.log.join('') };
  }

  const tls = (extra: Record<string, string> = {}) => ({ KAFKA_TLS: 'true', KAFKA_TLS_CA_FILE: file('ca.crt'), ...extra });
  const mtls = (extra: Record<string, string> = {}) =>
    tls({ KAFKA_TLS_CERT_FILE: file('client.crt'), KAFKA_TLS_KEY_FILE: file('client.key'), ...extra });
  const scram = (password = SCRAM_PASSWORD) => ({
    KAFKA_SASL_MECHANISM: 'scram-sha-256',
    KAFKA_SASL_USERNAME: 'alice',
    KAFKA_SASL_PASSWORD: password,
  });

  const mistakes: { name: string; brokers: () => string; env: () => Record<string, string>; expect: RegExp }[] = [
    { name: 'TLS to the plaintext port', brokers: () => broker.bootstrap, env: () => tls(), expect: /KAFKA_TLS\).*does not speak TLS/ },
    {
      name: 'plaintext to the TLS port',
      brokers: () => broker.listener('MTLS'),
      env: () => ({}),
      expect: /KAFKA_TLS\).*this port speaks TLS/,
    },
    {
      name: 'a CA that did not sign the broker',
      brokers: () => broker.listener('MTLS'),
      env: () => mtls({ KAFKA_TLS_CA_FILE: file('other-ca.crt') }),
      expect: /KAFKA_TLS_CA_FILE\).*certificate is not trusted/,
    },
    {
      name: 'no client certificate for mutual TLS',
      brokers: () => broker.listener('MTLS'),
      env: () => tls(),
      expect: /KAFKA_TLS_CERT_FILE\).*requires a client certificate/,
    },
    {
      name: 'a client certificate from another CA',
      brokers: () => broker.listener('MTLS'),
      env: () => mtls({ KAFKA_TLS_CERT_FILE: file('stranger.crt'), KAFKA_TLS_KEY_FILE: file('stranger.key') }),
      expect: /KAFKA_TLS_CERT_FILE\).*refused the client certificate/,
    },
    {
      name: 'an encrypted key without its passphrase',
      brokers: () => broker.listener('MTLS'),
      env: () => mtls({ KAFKA_TLS_KEY_FILE: file('client-encrypted.key') }),
      expect: /KAFKA_TLS_KEY_PASSPHRASE\).*encrypted/,
    },
    {
      name: 'a SASL listener without SASL settings',
      brokers: () => broker.listener('SASL_SSL'),
      env: () => tls(),
      expect: /KAFKA_SASL_MECHANISM\).*requires SASL/,
    },
    {
      name: 'a wrong SCRAM password',
      brokers: () => broker.listener('SASL_SSL'),
      env: () => tls(scram('wrong-Pw')),
      expect: /SASL SCRAM SHA256 authentication failed/,
    },
  ];

  for (const m of mistakes) {
    it(`${m.name}: exits within 10 s naming the setting`, async () => {
      const r = await run(m.brokers(), m.env());
      console.error(`[connection-mistakes] ${m.name}: ${r.exited ? `exit ${r.code} after ${r.ms} ms` : `still running after ${r.ms} ms`}`);
      assert.ok(r.exited, `exits within ${EXIT_WITHIN_MS} ms; log:\n${r.log}`);
      assert.notEqual(r.code, 0);
      assert.match(r.log, m.expect);
      for (const secret of [SCRAM_PASSWORD, KEY_PASSPHRASE, 'wrong-Pw'])
        assert.ok(!r.log.includes(secret), `no secret in the output:\n${r.log}`);
    });
  }

  for (const [name, brokers, env] of [
    [
      'mutual TLS with an encrypted key and its passphrase',
      () => broker.listener('MTLS'),
      () => mtls({ KAFKA_TLS_KEY_FILE: file('client-encrypted.key'), KAFKA_TLS_KEY_PASSPHRASE: KEY_PASSPHRASE }),
    ],
    ['SCRAM over SASL_SSL', () => broker.listener('SASL_SSL'), () => tls(scram())],
  ] as const) {
    it(`${name}: starts`, async () => {
      const r = await run(brokers(), env(), 60_000);
      assert.ok(!r.exited, `the worker starts; log:\n${r.log}`);
      assert.match(r.log, /product started/);
      for (const secret of [SCRAM_PASSWORD, KEY_PASSPHRASE]) assert.ok(!r.log.includes(secret), `no secret in the output:\n${r.log}`);
    });
  }
});
