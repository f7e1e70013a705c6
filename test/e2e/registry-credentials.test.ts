/**
 * A registry URL with credentials in it (`http://user:password@host/...`): `dataprod register`
 * sends them as basic auth to a URL without them, and the password appears nowhere in stdout or
 * stderr. The registry is the shared one behind a recording proxy on 127.0.0.1, so the test sees
 * what went over the wire. Credentials both in the URL and in SCHEMA_REGISTRY_USER are refused.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { copyProduct, type ProductCopy } from '../support/products.js';
import { testStack } from '../support/stack.js';

const bin = fileURLToPath(new URL('../../bin/dataprod.js', import.meta.url));
const PASSWORD = 'Reg-Secret-9k';

function dataprod(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` }),
    );
  });
}

describe('registry URL with credentials', { timeout: 120_000 }, () => {
  let proxy: Server;
  let proxyUrl: string;
  let product: ProductCopy;
  const seen: { url: string; authorization: string | undefined }[] = [];

  before(async () => {
    const registry = (await testStack()).schemaRegistryUrl;
    product = copyProduct('orders-enriched');
    proxy = createServer((req, res) => {
      seen.push({ url: req.url ?? '', authorization: req.headers.authorization });
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        const path = (req.url ?? '/').replace(/^\/registry/, '');
        fetch(`${registry}${path}`, {
          method: req.method,
          headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
          body: body.length > 0 ? body : undefined,
        })
          .then(async (r) => {
            res.writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' });
            res.end(Buffer.from(await r.arrayBuffer()));
          })
          .catch(() => res.writeHead(502).end());
      });
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    proxyUrl = `127.0.0.1:${(proxy.address() as AddressInfo).port}/registry`;
  });

  after(async () => {
    await new Promise((r) => proxy?.close(r));
    product?.remove();
  });

  it('sends them as basic auth and prints the password nowhere', async () => {
    const r = await dataprod(['register', product.dir], {
      SCHEMA_REGISTRY_URL: `http://alice:${PASSWORD}@${proxyUrl}`,
      DATAPROD_LOG_LEVEL: 'debug',
    });
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /registered/);
    assert.ok(seen.length > 0, 'the registry was asked');
    for (const s of seen) {
      assert.equal(s.authorization, `Basic ${Buffer.from(`alice:${PASSWORD}`).toString('base64')}`);
      assert.ok(!s.url.includes(PASSWORD));
    }
    assert.ok(!r.out.includes(PASSWORD), `the password in the output:\n${r.out}`);
  });

  it('refuses them in both the URL and SCHEMA_REGISTRY_USER, naming the URL variable, without the password', async () => {
    const r = await dataprod(['register', product.dir], {
      SCHEMA_REGISTRY_URL: `http://alice:${PASSWORD}@${proxyUrl}`,
      SCHEMA_REGISTRY_USER: 'bob',
    });
    assert.notEqual(r.code, 0);
    assert.match(r.out, /SCHEMA_REGISTRY_URL\): holds credentials/);
    assert.ok(!r.out.includes(PASSWORD), `the password in the output:\n${r.out}`);
  });

  it('never prints the password of a URL that does not parse', async () => {
    const r = await dataprod(['register', product.dir], { SCHEMA_REGISTRY_URL: `http://alice:${PASSWORD}@[not-a-host/x` });
    assert.notEqual(r.code, 0);
    assert.match(r.out, /SCHEMA_REGISTRY_URL/);
    assert.ok(!r.out.includes(PASSWORD), `the password in the output:\n${r.out}`);
  });
});
