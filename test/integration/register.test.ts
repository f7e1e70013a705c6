/**
 * `dataprod register` as a real child process against the real schema registry: first
 * registration with the port's compatibility, idempotent re-run, a breaking change refused with
 * the registry's reason (and the subject left untouched), a compatible change accepted, and a
 * reformatted file kept to the same version (canonical text).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { canonicalSchemaText } from '../../src/contracts/canonical.js';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import type { Stack } from '../../src/devstack/index.js';
import { copyProduct, type ProductCopy } from '../support/products.js';
import { testStack } from '../support/stack.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(repo, 'bin', 'dataprod.js');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

interface AvroRecord {
  type: 'record';
  name: string;
  fields: { name: string; type: unknown; default?: unknown; doc?: string }[];
  [key: string]: unknown;
}

/** `dataprod <args>` from the repo root, with the test runner's `--import tsx` taken out. */
function dataprod(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<CliResult> {
  const childEnv = { ...env };
  const nodeOptions = (childEnv.NODE_OPTIONS ?? '').replace(/--import[= ]tsx\b/g, '').trim();
  if (nodeOptions) childEnv.NODE_OPTIONS = nodeOptions;
  else delete childEnv.NODE_OPTIONS;
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: repo, env: childEnv, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (err, stdout, stderr) => {
        if (err && (err as { killed?: boolean }).killed) {
          reject(new Error(`dataprod ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
        } else if (err && typeof (err as { code?: unknown }).code !== 'number') {
          reject(err);
        } else {
          resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
        }
      },
    );
  });
}

function assertExit(result: CliResult, code: number): void {
  assert.equal(result.code, code, `expected exit ${code}, got ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`);
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('dataprod register against the real schema registry', () => {
  let stack: Stack;
  let registry: RegistryClient;
  let copy: ProductCopy;
  let subject: string;
  let schemaFile: string;
  let env: NodeJS.ProcessEnv;
  let firstId: number;

  const readOutputSchema = () => JSON.parse(readFileSync(schemaFile, 'utf8')) as AvroRecord;
  const writeOutputSchema = (schema: AvroRecord) => writeFileSync(schemaFile, JSON.stringify(schema, null, 2) + '\n');

  /** GET on the registry's Confluent-compatible API, straight over HTTP. */
  async function registryGet(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(stack.schemaRegistryUrl.replace(/\/+$/, '') + path, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  before(async () => {
    stack = await testStack();
    registry = new RegistryClient({ url: stack.schemaRegistryUrl });
    copy = copyProduct('orders-enriched');
    subject = `${copy.outputTopic}-value`;
    schemaFile = join(copy.dir, 'schemas', 'orders-enriched.avsc');
    assert.ok(existsSync(schemaFile));
    env = { ...process.env, SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl };
    delete env.KAFKA_BROKERS; // register needs only the registry
    assert.equal(await registry.latest(subject), undefined, `${subject} must be a fresh subject`);
  });

  after(() => copy?.remove());

  it('registers the output schema under <output topic>-value with BACKWARD_TRANSITIVE', async () => {
    const r = await dataprod(['register', copy.dir], env);
    assertExit(r, 0);
    const match = new RegExp(`^✔ ${escape(subject)}: id (\\d+) registered \\(BACKWARD_TRANSITIVE\\)$`, 'm').exec(r.stdout);
    assert.ok(match, `no registration line for ${subject}:\n${r.stdout}`);
    firstId = Number(match[1]);
    assert.equal(r.stdout.trim().split('\n').length, 1, r.stdout);

    const latest = await registryGet(`/subjects/${encodeURIComponent(subject)}/versions/latest`);
    assert.equal(latest.status, 200);
    assert.equal(latest.body.id, firstId);
    assert.equal(latest.body.subject, subject);
    assert.equal(latest.body.version, 1);
    assert.deepEqual(JSON.parse(String(latest.body.schema)), readOutputSchema());

    const config = await registryGet(`/config/${encodeURIComponent(subject)}`);
    assert.equal(config.status, 200);
    assert.equal(config.body.compatibilityLevel ?? config.body.compatibility, 'BACKWARD_TRANSITIVE');
    assert.equal(await registry.compatibility(subject), 'BACKWARD_TRANSITIVE');
  });

  it('says already registered, with the same id, when run again', async () => {
    const r = await dataprod(['register', copy.dir], env);
    assertExit(r, 0);
    assert.equal(r.stdout.trim(), `✔ ${subject}: id ${firstId} already registered (BACKWARD_TRANSITIVE)`);
    const latest = await registry.latest(subject);
    assert.equal(latest?.id, firstId);
    assert.equal(latest?.version, 1);
  });

  it('registers canonical text: the same schema reformatted (whitespace, attribute order) is the same version, found by its stored text', async () => {
    const original = readFileSync(schemaFile, 'utf8');
    const reordered = readOutputSchema();
    reordered.fields = reordered.fields.map((f) => Object.fromEntries(Object.entries(f).reverse()) as AvroRecord['fields'][number]);
    writeFileSync(schemaFile, '\n' + JSON.stringify(Object.fromEntries(Object.entries(reordered).reverse()), null, 4) + '\n\n');
    try {
      const r = await dataprod(['register', copy.dir], env);
      assertExit(r, 0);
      assert.equal(r.stdout.trim(), `✔ ${subject}: id ${firstId} already registered (BACKWARD_TRANSITIVE)`);
      const versions = await registryGet(`/subjects/${encodeURIComponent(subject)}/versions`);
      assert.deepEqual(versions.body, [1]);
    } finally {
      writeFileSync(schemaFile, original);
    }
    // What docs/contracts.md tells a client to send when it looks the schema up: the stored text, which is the canonical text.
    const stored = String((await registryGet(`/subjects/${encodeURIComponent(subject)}/versions/latest`)).body.schema);
    assert.equal(stored, canonicalSchemaText(readOutputSchema()));
    const res = await fetch(`${stack.schemaRegistryUrl.replace(/\/+$/, '')}/subjects/${encodeURIComponent(subject)}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: stored }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { id: number }).id, firstId);
  });

  it('finds a version registered before the canonical text (the file as JSON.stringify gave it), so it adds none', async () => {
    const legacySubject = `${subject}-legacy`;
    const schema = Object.fromEntries(Object.entries(readOutputSchema()).reverse()) as AvroRecord;
    const res = await fetch(`${stack.schemaRegistryUrl.replace(/\/+$/, '')}/subjects/${encodeURIComponent(legacySubject)}/versions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema: JSON.stringify(schema) }),
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(res.status, 200);
    const legacyId = ((await res.json()) as { id: number }).id;
    assert.notEqual(JSON.stringify(schema), canonicalSchemaText(schema), 'the legacy text is not the canonical one');
    assert.equal((await registry.lookup(legacySubject, schema))?.id, legacyId);
    assert.deepEqual((await registryGet(`/subjects/${encodeURIComponent(legacySubject)}/versions`)).body, [1]);
  });

  it('the --registry-url flag works as well as the environment variable', async () => {
    const noUrl = { ...env };
    delete noUrl.SCHEMA_REGISTRY_URL;
    const r = await dataprod(['register', '--registry-url', stack.schemaRegistryUrl, copy.dir], noUrl);
    assertExit(r, 0);
    assert.equal(r.stdout.trim(), `✔ ${subject}: id ${firstId} already registered (BACKWARD_TRANSITIVE)`);
  });

  /** The output schema with customer_id changed from string to int: old records cannot be read with it. */
  function breakingSchema(): AvroRecord {
    const breaking = structuredClone(readOutputSchema());
    const customerId = breaking.fields.find((f) => f.name === 'customer_id');
    assert.ok(customerId);
    assert.equal(customerId.type, 'string');
    customerId.type = 'int';
    return breaking;
  }

  /** Runs `dataprod register` on the copy with `schema` as its output schema, then restores the file. */
  async function registerWith(schema: AvroRecord): Promise<CliResult> {
    const original = readFileSync(schemaFile, 'utf8');
    writeOutputSchema(schema);
    try {
      return await dataprod(['register', copy.dir], env);
    } finally {
      writeFileSync(schemaFile, original);
    }
  }

  it('refuses a breaking change, with the advice to bump the major version, and leaves the subject unchanged', async () => {
    const latestBefore = await registry.latest(subject);
    const r = await registerWith(breakingSchema());
    assertExit(r, 1);
    const out = r.stdout + r.stderr;
    assert.match(
      r.stdout,
      new RegExp(
        `^✖ ${escape(subject)}: ${escape(copy.id)}: (?:\\S*/)?schemas/orders-enriched\\.avsc is not BACKWARD_TRANSITIVE-compatible with what ${escape(subject)} already holds:$`,
        'm',
      ),
    );
    assert.ok(
      out.split('\n').some((l) => l.startsWith('  - ')),
      `no reason line:\n${out}`,
    );
    assert.match(r.stdout, /^A breaking change needs a new major version: bump version to 2\.0\.0 and the topic to \.v2\.$/m);
    assert.doesNotMatch(out, /✔/);

    const latestAfter = await registry.latest(subject);
    assert.deepEqual(latestAfter, latestBefore, 'the subject must be unchanged');
    assert.equal(latestAfter?.id, firstId);
    assert.equal(latestAfter?.version, 1);
    const versions = await registryGet(`/subjects/${encodeURIComponent(subject)}/versions`);
    assert.deepEqual(versions.body, [1]);
  });

  it("quotes the registry's own reason for refusing a breaking change", async () => {
    const r = await registerWith(breakingSchema());
    assertExit(r, 1);
    const reasons = r.stdout.split('\n').filter((l) => l.startsWith('  - '));
    assert.ok(reasons.length > 0, r.stdout);
    assert.doesNotMatch(r.stdout, /no reason given/);
    // Confluent and Apicurio both point at the field by its JSON path: customer_id is fields[1].
    assert.ok(
      reasons.some((l) => l.includes('/fields/1/type')),
      `the reason does not name the changed field:\n${r.stdout}`,
    );
    assert.equal((await registry.latest(subject))?.id, firstId);
  });

  it('refuses removing a field and adding one without a default', async () => {
    const changed = readOutputSchema();
    // Removing a field alone is backward compatible (a new reader ignores it); a new field without
    // a default is not: a new reader cannot fill it from old records.
    changed.fields = changed.fields.filter((f) => f.name !== 'total_eur');
    changed.fields.push({ name: 'region', type: 'string' });
    const r = await registerWith(changed);
    assertExit(r, 1);
    assert.match(r.stdout, new RegExp(`^✖ ${escape(subject)}: .* is not BACKWARD_TRANSITIVE-compatible`, 'm'));
    assert.match(r.stdout, /bump version to 2\.0\.0 and the topic to \.v2\./);
    assert.equal((await registry.latest(subject))?.id, firstId);
  });

  it('registers a compatible change (an optional field with a default) as a new id and version', async () => {
    const evolved = readOutputSchema();
    evolved.fields.push({ name: 'gift_message', type: ['null', 'string'], default: null, doc: 'Added in 1.1.0.' });
    writeOutputSchema(evolved);
    const r = await dataprod(['register', copy.dir], env);
    assertExit(r, 0);
    const match = new RegExp(`^✔ ${escape(subject)}: id (\\d+) registered \\(BACKWARD_TRANSITIVE\\)$`, 'm').exec(r.stdout);
    assert.ok(match, r.stdout);
    const newId = Number(match[1]);
    assert.notEqual(newId, firstId);

    const latest = await registry.latest(subject);
    assert.equal(latest?.id, newId);
    assert.equal(latest?.version, 2);
    assert.deepEqual(latest?.schema, evolved);
    assert.equal(await registry.compatibility(subject), 'BACKWARD_TRANSITIVE');

    const again = await dataprod(['register', copy.dir], env);
    assertExit(again, 0);
    assert.equal(again.stdout.trim(), `✔ ${subject}: id ${newId} already registered (BACKWARD_TRANSITIVE)`);
  });

  it('exits 1 naming the registry when it cannot be reached', async () => {
    const r = await dataprod(['register', copy.dir], { ...env, SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' });
    assertExit(r, 1);
    assert.match(r.stderr, /^dataprod register: .*registry unreachable at http:\/\/127\.0\.0\.1:1/m);
    assert.doesNotMatch(r.stdout, /✔/);
  });
});
