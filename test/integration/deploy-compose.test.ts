/**
 * The docker compose stack, checked without a Docker engine: `docker-compose config` on
 * docker-compose.yml (Debian package `docker-compose`), `promtool check config` on the Prometheus
 * config (which checks the rule file it loads too), the committed rule file against a fresh
 * `dataprod rules products`, every query of the Grafana dashboard against the metrics a worker
 * exports and the recording rules, and the Dockerfile's runtime stage. Then `dataprod
 * demo-produce`, the stack's demo upstream, against the real test broker and registry.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import avsc from 'avsc';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { RegistryClient } from '../../src/contracts/registry-client.js';
import { parseFrame } from '../../src/contracts/wire.js';
import { DEFAULT_KAFKA_VERSION } from '../../src/devstack/kafka.js';
import { waitUntil } from '../../src/devstack/net.js';
import { Metrics } from '../../src/observability/metrics.js';
import { readTopic, testKafka } from '../support/kafka.js';
import { copyProduct, readSchema, type ProductCopy } from '../support/products.js';
import { testStack } from '../support/stack.js';
import { requireTool, runTool as run, type RunResult } from '../support/tools.js';

const repo = fileURLToPath(new URL('../..', import.meta.url));
const COMPOSE_FILE = join(repo, 'docker-compose.yml');
const PROMETHEUS_CONFIG = join(repo, 'deploy', 'compose', 'prometheus.yml');
const RULES_FILE = join(repo, 'deploy', 'compose', 'rules', 'dataprod.rules.yml');
const DASHBOARD = join(repo, 'deploy', 'compose', 'grafana', 'dashboards', 'dataprod.json');
const DATASOURCES = join(repo, 'deploy', 'compose', 'grafana', 'provisioning', 'datasources', 'prometheus.yml');
const DASHBOARD_PROVIDERS = join(repo, 'deploy', 'compose', 'grafana', 'provisioning', 'dashboards', 'dataprod.yml');
const REGENERATE = 'npm run build && node bin/dataprod.js rules products --out deploy/compose/rules/dataprod.rules.yml';

const show = (r: RunResult) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

/** `dataprod <args>` from the sources (no build needed). */
const dataprodArgs = (args: string[]) => ['--import', 'tsx', join(repo, 'src', 'cli', 'main.ts'), ...args];

// --- docker-compose.yml ------------------------------------------------------------------------

interface ComposeService {
  image?: string;
  build?: string | { context: string };
  command?: string[];
  environment?: Record<string, string | number>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  volumes?: string[];
  ports?: string[];
  stop_grace_period?: string;
}

const compose = () =>
  parseYaml(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as { version?: unknown; services: Record<string, ComposeService> };

describe('docker-compose.yml', () => {
  it('passes `docker-compose config`', async () => {
    requireTool('docker-compose', 'apt-get install docker-compose');
    const r = await run('docker-compose', ['-f', COMPOSE_FILE, 'config']);
    assert.equal(r.code, 0, show(r));
    const normalised = parseYaml(r.stdout) as { services: Record<string, unknown> };
    assert.deepEqual(Object.keys(normalised.services).sort(), [
      'demo-producer',
      'grafana',
      'kafka',
      'prometheus',
      'schema-registry',
      'worker',
    ]);
  });

  it('uses the compose specification (no version key) and pins every image to a version', () => {
    const file = compose();
    assert.equal(file.version, undefined, 'the compose specification has no version: key');
    for (const [name, service] of Object.entries(file.services)) {
      assert.ok(service.image, `${name} names an image`);
      if (service.build !== undefined) continue; // built from this repo: the Dockerfile pins its base
      const tag = /^[^:@]+(?::([^@]+))?(?:@sha256:[0-9a-f]{64})?$/.exec(service.image)?.[1];
      assert.ok(tag && /\d/.test(tag) && !/latest/.test(tag), `${name}: image ${service.image} is not pinned to a version`);
    }
    assert.equal(file.services.kafka!.image, `apache/kafka:${DEFAULT_KAFKA_VERSION}`, 'the compose file runs the Kafka of the local stack');
    assert.equal(file.services['schema-registry']!.image, 'confluentinc/cp-schema-registry:7.7.1');
  });

  it('gives every service a healthcheck and starts each one after what it needs is healthy', () => {
    const { services } = compose();
    for (const [name, service] of Object.entries(services)) assert.ok(service.healthcheck?.test, `${name} has a healthcheck`);
    const healthy = (service: string, needs: string[]) => {
      for (const need of needs) {
        assert.equal(services[service]!.depends_on?.[need]?.condition, 'service_healthy', `${service} waits for ${need} to be healthy`);
      }
    };
    healthy('schema-registry', ['kafka']);
    healthy('demo-producer', ['kafka', 'schema-registry']);
    // The worker refuses to start without its input topics: the demo producer creates them.
    healthy('worker', ['kafka', 'schema-registry', 'demo-producer']);
    healthy('grafana', ['prometheus']);
  });

  it('runs the worker and the demo producer from this repo against the compose network', () => {
    const { services } = compose();
    for (const name of ['worker', 'demo-producer']) {
      const service = services[name]!;
      const context = typeof service.build === 'string' ? service.build : service.build?.context;
      assert.equal(context, '.', `${name} is built from this repo's Dockerfile`);
      assert.equal(service.environment?.KAFKA_BROKERS, 'kafka:9092');
      assert.equal(service.environment?.SCHEMA_REGISTRY_URL, 'http://schema-registry:8081');
    }
    assert.deepEqual(services.worker!.command, ['run', '/app/products']);
    assert.deepEqual(services['demo-producer']!.command?.slice(0, 4), ['demo-produce', '/app/products', '--rate', '50']);
    assert.ok(
      services.worker!.ports?.some((p) => String(p).endsWith(':9464')),
      'the control port is published',
    );
    assert.match(JSON.stringify(services.worker!.healthcheck!.test), /\/healthz/);
    // Docker's default 10 s stop timeout would kill the worker in the middle of its drain.
    const grace = Number(services.worker!.environment?.DATAPROD_SHUTDOWN_GRACE_MS ?? 30_000) / 1000;
    const stop = /^(\d+)s$/.exec(services.worker!.stop_grace_period ?? '')?.[1];
    assert.ok(
      stop !== undefined && Number(stop) > grace,
      `stop_grace_period (${services.worker!.stop_grace_period}) must exceed the ${grace} s drain`,
    );
  });

  it('mounts files that exist: the Prometheus config, its rules, Grafana provisioning and dashboards', () => {
    const { services } = compose();
    const binds = Object.values(services).flatMap((s) => (s.volumes ?? []).filter((v) => v.startsWith('./')));
    assert.ok(binds.length >= 4, binds.join(', '));
    for (const bind of binds) assert.ok(existsSync(join(repo, bind.split(':')[0]!)), `${bind}: the source does not exist`);
    const prometheus = services.prometheus!.volumes!.join(' ');
    assert.match(prometheus, /\.\/deploy\/compose\/prometheus\.yml:\/etc\/prometheus\/prometheus\.yml/);
    assert.match(prometheus, /\.\/deploy\/compose\/rules:\/etc\/prometheus\/rules/);
  });
});

// --- Prometheus --------------------------------------------------------------------------------

describe('deploy/compose/prometheus.yml and its rules', () => {
  it('passes `promtool check config`, rule file included', async () => {
    requireTool('promtool', 'apt-get install prometheus');
    const config = parseYaml(readFileSync(PROMETHEUS_CONFIG, 'utf8')) as {
      rule_files: string[];
      scrape_configs: { static_configs: { targets: string[] }[] }[];
    };
    // Relative to the config file's folder, in the repo and under /etc/prometheus in the container.
    assert.deepEqual(config.rule_files, ['rules/dataprod.rules.yml']);
    assert.ok(
      config.scrape_configs.some((s) => s.static_configs.some((c) => c.targets.includes('worker:9464'))),
      'Prometheus scrapes the worker',
    );
    const r = await run('promtool', ['check', 'config', PROMETHEUS_CONFIG]);
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout + r.stderr, /SUCCESS: 1 rule files found/);
    assert.match(r.stdout + r.stderr, /SUCCESS: 92 rules found/);
  });

  it('loads the rules `dataprod rules products` generates now', async () => {
    const r = await run(process.execPath, dataprodArgs(['rules', 'products']));
    assert.equal(r.code, 0, show(r));
    assert.ok(r.stdout.includes('groups:'), r.stdout);
    assert.equal(readFileSync(RULES_FILE, 'utf8'), r.stdout, `deploy/compose/rules/dataprod.rules.yml is stale: ${REGENERATE}`);
  });
});

// --- Grafana -----------------------------------------------------------------------------------

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
  'atan2',
]);

/** Metric names a PromQL expression selects (functions, keywords, labels, strings, durations and Grafana variables left out). */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, ' ')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w.:$])([a-zA-Z_:][\w:]*)(?![\w:])(\s*\()?/g)) {
    const [, name, call] = m;
    if (call || PROMQL_KEYWORDS.has(name!.toLowerCase())) continue;
    names.add(name!);
  }
  return [...names];
}

interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: { expr?: string; refId: string; datasource?: { uid?: string } }[];
  panels?: Panel[];
}

describe('the Grafana dashboard', () => {
  it('extracts metric names from PromQL', () => {
    assert.deepEqual(
      metricNames(
        'sum by (product, le) (rate(dataprod_x_bucket{product=~"$product", le="30"}[$__rate_interval])) / on (product) group_left dataprod:y:rate5m{slo="a"} > bool 1e3',
      ),
      ['dataprod_x_bucket', 'dataprod:y:rate5m'],
    );
    assert.deepEqual(metricNames('time() - max by (product) (up offset 5m) or vector(0)'), ['up']);
  });

  it('is valid JSON with panels whose every query names a metric the worker exports or a recording rule', async () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
      uid: string;
      title: string;
      panels: Panel[];
      templating: { list: { query: string | { query: string } }[] };
    };
    assert.ok(dashboard.uid && dashboard.title);

    const exported = new Set<string>();
    const registry = new Registry();
    new Metrics(registry, { processMetrics: true });
    for (const metric of await registry.getMetricsAsJSON()) {
      exported.add(metric.name);
      if (String(metric.type) === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) exported.add(metric.name + suffix);
    }
    const rules = parseYaml(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: { record?: string }[] }[] };
    const recorded = new Set(rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : []))));
    assert.ok(
      exported.has('dataprod_records_consumed_total') && exported.has('dataprod_append_to_publish_seconds_bucket'),
      [...exported].join(', '),
    );
    assert.ok(recorded.has('dataprod:slo_error_budget:ratio'));

    const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
    assert.ok(panels.length >= 8, `${panels.length} panels`);
    const used = new Set<string>();
    for (const panel of panels) {
      assert.ok(panel.targets?.length, `panel "${panel.title}" has queries`);
      for (const target of panel.targets!) {
        assert.ok(target.expr, `panel "${panel.title}" ${target.refId} has a PromQL expression`);
        const names = metricNames(target.expr!);
        assert.ok(names.length > 0, `panel "${panel.title}" ${target.refId} selects no metric: ${target.expr}`);
        for (const name of names) {
          assert.ok(
            exported.has(name) || recorded.has(name),
            `panel "${panel.title}" ${target.refId}: ${name} is neither exported by the worker nor recorded by a rule`,
          );
          used.add(name);
        }
      }
    }
    for (const variable of dashboard.templating.list) {
      const query = typeof variable.query === 'string' ? variable.query : variable.query.query;
      // Grafana's label_values(<metric>, <label>) is not PromQL: its first argument is the metric.
      const name = /^label_values\(\s*([a-zA-Z_:][\w:]*)/.exec(query)?.[1];
      assert.ok(name && exported.has(name), `variable query ${query} does not select an exported metric`);
    }
    // What the issue asks the dashboard to show.
    for (const name of [
      'dataprod_records_published_total',
      'dataprod_dlq_records_total',
      'dataprod_consumer_lag_records',
      'dataprod_consumer_lag_seconds',
      'dataprod_last_event_timestamp_seconds',
      'dataprod:slo_error_budget:ratio',
    ]) {
      assert.ok(used.has(name), `the dashboard does not show ${name}`);
    }
    assert.ok(
      [...used].some((n) => /^dataprod:sli_\w+_error_ratio:rate1h$/.test(n)),
      'the dashboard shows burn rates from the SLI recording rules',
    );
    assert.ok(
      panels.some((p) => p.targets!.some((t) => /by \(product, reason\)/.test(t.expr!) && t.expr!.includes('dataprod_dlq_records_total'))),
      'dead letters by reason',
    );
  });

  it('queries the provisioned Prometheus datasource, and the provider serves the dashboard folder', () => {
    const datasources = parseYaml(readFileSync(DATASOURCES, 'utf8')) as { datasources: { uid: string; type: string; url: string }[] };
    const [prometheus] = datasources.datasources;
    assert.equal(prometheus?.type, 'prometheus');
    assert.equal(prometheus?.url, 'http://prometheus:9090');
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      for (const uid of [panel.datasource?.uid, ...panel.targets!.map((t) => t.datasource?.uid)])
        assert.equal(uid, prometheus!.uid, `panel "${panel.title}"`);
    }
    const providers = parseYaml(readFileSync(DASHBOARD_PROVIDERS, 'utf8')) as { providers: { options: { path: string } }[] };
    const volumes = compose().services.grafana!.volumes!;
    assert.ok(volumes.includes(`./deploy/compose/grafana/dashboards:${providers.providers[0]!.options.path}:ro`), volumes.join(', '));
    assert.ok(volumes.includes('./deploy/compose/grafana/provisioning:/etc/grafana/provisioning:ro'), volumes.join(', '));
  });
});

// --- Dockerfile --------------------------------------------------------------------------------

describe('Dockerfile', () => {
  const text = () => readFileSync(join(repo, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
  /** Instructions (comments dropped, continuations joined) of each stage, by stage name. */
  const stages = () => {
    const out: { from: string; name?: string; lines: string[] }[] = [];
    for (const line of text()
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'))) {
      const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
      if (from) out.push({ from: from[1]!, name: from[2], lines: [] });
      else out.at(-1)?.lines.push(line);
    }
    return out;
  };

  it('builds in one stage and runs from a pinned Node LTS slim image with production dependencies only', () => {
    const all = stages();
    assert.ok(all.length >= 2, 'multi-stage');
    const image = /^ARG NODE_IMAGE=(\S+)$/m.exec(text())?.[1];
    for (const stage of all) assert.ok(stage.from === '${NODE_IMAGE}' || /^node:/.test(stage.from), stage.from);
    assert.match(image ?? all.at(-1)!.from, /^node:(20|22|24)\.\d+\.\d+-\w+-slim$/, 'a Node LTS slim image pinned to a release');
    const build = all[0]!.lines.join('\n');
    assert.match(build, /npm ci/);
    assert.match(build, /npm run build/);
    const runtime = all.at(-1)!.lines.join('\n');
    assert.match(runtime, /npm ci --omit=dev/);
    assert.match(runtime, /COPY --from=\S+ \S*dist/);
    assert.match(runtime, /^COPY bin /m);
    assert.match(runtime, /^COPY products \.\/products$/m);
    assert.match(runtime, /^WORKDIR \/app$/m);
  });

  it('runs `dataprod run /app/products` as a non-root user, with a /healthz healthcheck', () => {
    const runtime = stages().at(-1)!.lines;
    const user = runtime.filter((l) => /^USER\s/i.test(l)).at(-1);
    assert.ok(user, 'the runtime stage sets USER');
    assert.doesNotMatch(user!, /^USER\s+(root|0)(:|$)/i);
    const healthcheck = runtime.find((l) => /^HEALTHCHECK\s/i.test(l));
    assert.ok(healthcheck, 'HEALTHCHECK');
    assert.match(healthcheck!, /CMD \["node", "-e", .*\/healthz/);
    assert.equal(JSON.parse(healthcheck!.slice(healthcheck!.indexOf('CMD [') + 4))[0], 'node', 'the healthcheck is in exec form');
    const json = (instruction: string) =>
      JSON.parse(runtime.find((l) => l.startsWith(`${instruction} `))!.slice(instruction.length + 1)) as string[];
    assert.deepEqual(json('ENTRYPOINT'), ['node', '/app/bin/dataprod.js']);
    assert.deepEqual(json('CMD'), ['run', '/app/products']);
    assert.ok(runtime.includes('EXPOSE 9464'));
    assert.match(runtime.join('\n'), /ENV NODE_ENV=production\s+DATAPROD_HTTP_PORT=9464/);
  });

  it('the healthcheck command exits 0 on /healthz 200 and 1 on 503 or no answer', async () => {
    const healthcheck = stages()
      .at(-1)!
      .lines.find((l) => /^HEALTHCHECK\s/i.test(l))!;
    const [command, ...args] = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD [') + 4)) as string[];
    assert.equal(command, 'node');
    let status = 200;
    const paths: string[] = [];
    const server = createServer((req, res) => {
      paths.push(req.url ?? '');
      res.writeHead(status).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = String((server.address() as AddressInfo).port);
    try {
      const probe = () => run(process.execPath, args, { env: { PATH: process.env.PATH, DATAPROD_HTTP_PORT: port } });
      assert.equal((await probe()).code, 0);
      status = 503;
      assert.equal((await probe()).code, 1);
      assert.deepEqual(paths, ['/healthz', '/healthz']);
    } finally {
      server.close();
    }
    const down = await run(process.execPath, args, { env: { PATH: process.env.PATH, DATAPROD_HTTP_PORT: port } });
    assert.equal(down.code, 1, 'nothing listening');
  });

  it('.dockerignore keeps dependencies, builds, caches, git and test output out of the context', () => {
    const ignored = readFileSync(join(repo, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.cache', '.git', 'test', '*.log'])
      assert.ok(ignored.includes(entry), `.dockerignore lacks ${entry}`);
    for (const needed of ['src', 'bin', 'products', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      assert.ok(!ignored.includes(needed), `.dockerignore must not exclude ${needed}`);
    }
  });
});

// --- dataprod demo-produce ---------------------------------------------------------------------

describe('dataprod demo-produce', () => {
  const copies: ProductCopy[] = [];
  const children: ChildProcess[] = [];
  const temp = mkdtempSync(join(tmpdir(), 'dataprod-demo-produce-'));
  after(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const copy of copies) copy.remove();
    rmSync(temp, { recursive: true, force: true });
  });

  it('refuses a product it has no generator for, before connecting, naming the port', async () => {
    const copy = copyProduct('page-views', (doc) => {
      doc.set('name', 'inventory-levels');
      doc.set('id', `${String(doc.get('domain'))}.inventory-levels`);
      doc.setIn(['inputPorts', 0, 'contract', 'schema'], 'schemas/page-view.avsc');
      doc.deleteIn(['inputPorts', 0, 'contract', 'constraints']);
      doc.delete('quality');
    });
    copies.push(copy);
    const r = await run(process.execPath, dataprodArgs(['demo-produce', copy.dir]), {
      env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' },
    });
    assert.equal(r.code, 1, show(r));
    assert.match(
      r.stderr,
      /^dataprod demo-produce: cannot produce demo events:\n {2}web\.inventory-levels: inputPorts\[0\] \(clicks, raw\.\S+\): no demo generator for reader schema \w+; demo-produce knows RawOrder \(orders-enriched\), RawClick \(page-views\)/m,
    );
  });

  it('registers the raw contract, creates the topic and produces framed raw events until SIGTERM, then exits 0', async () => {
    const stack = await testStack();
    const copy = copyProduct('orders-enriched');
    copies.push(copy);
    const readyFile = join(temp, 'ready');
    const log: string[] = [];
    const child = spawn(process.execPath, dataprodArgs(['demo-produce', copy.dir, '--rate', '50', '--ready-file', readyFile]), {
      cwd: repo,
      env: {
        ...process.env,
        KAFKA_BROKERS: stack.brokers.join(','),
        SCHEMA_REGISTRY_URL: stack.schemaRegistryUrl,
        DATAPROD_LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => log.push(chunk.toString()));
    const exit = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;

    await waitUntil(async () => existsSync(readyFile), {
      what: 'demo-produce ready file',
      timeoutMs: 60_000,
      intervalMs: 100,
      abortReason: () => (child.exitCode !== null ? `exited with ${child.exitCode}:\n${log.join('')}` : undefined),
    });
    await sleep(5_000);
    child.kill('SIGTERM');
    const [code, signal] = await exit;
    const output = log.join('');
    assert.equal(signal, null, output);
    assert.equal(code, 0, output);
    assert.ok(!existsSync(readyFile), 'the ready file is removed on stop');

    // The last line reports what the broker acknowledged: all of it must be on the topic.
    const stopped = output
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; produced?: Record<string, { acknowledged: number; failed: number }> })
      .find((l) => l.msg === 'demo producer stopped');
    const counts = stopped?.produced?.[copy.inputTopic];
    assert.ok(counts, output);
    assert.equal(counts.failed, 0, output);
    assert.ok(counts.acknowledged >= 200, `${counts.acknowledged} records in about 5 s at 50/s`);

    const registry = new RegistryClient({ url: stack.schemaRegistryUrl });
    const readerSchema = readSchema('orders-enriched', 'raw-order.avsc');
    const registered = await registry.lookup(copy.inputSubject, readerSchema);
    assert.ok(registered, `the raw contract is registered under ${copy.inputSubject}`);

    const kafka = testKafka(stack.brokers);
    const admin = kafka.admin();
    await admin.connect();
    try {
      const metadata = await admin.fetchTopicMetadata({ topics: [copy.inputTopic] });
      assert.equal(metadata.topics[0]!.partitions.length, 3);
    } finally {
      await admin.disconnect();
    }

    const records = await readTopic(kafka, copy.inputTopic, counts.acknowledged);
    assert.equal(records.length, counts.acknowledged);
    const type = avsc.Type.forSchema(readerSchema as avsc.Schema);
    let framed = 0;
    let json = 0;
    for (const record of records) {
      const parsed = parseFrame(record.value);
      if (parsed.ok) {
        framed += 1;
        assert.equal(parsed.schemaId, registered.id, 'framed with the id registered under the subject');
        const order = type.fromBuffer(parsed.body) as { order_id: string };
        assert.equal(record.key, order.order_id);
      } else {
        // About 2% are JSON sent by mistake, on purpose (they are dead-lettered as not-avro).
        assert.equal(parsed.reason, 'not-avro');
        assert.ok(JSON.parse(record.value!.toString()), record.value!.toString());
        json += 1;
      }
    }
    assert.ok(framed > json * 10, `${framed} framed, ${json} JSON`);
    assert.ok(json > 0, 'some events are bad on purpose');
  });
});
