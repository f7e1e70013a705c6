/**
 * deploy/k8s: parses every YAML document under the folder and checks what the runtime needs from
 * Kubernetes: probes on the control port, a termination grace above the drain budget, resources,
 * a locked-down container, credentials only through Secret references, and labels and ports that
 * tie the Deployment, PodDisruptionBudget, Service and ServiceMonitor together.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { OPTIONS, type OptionSpec } from '../../../src/config/runtime.js';

const K8S_DIR = fileURLToPath(new URL('../../../deploy/k8s/', import.meta.url));
const KUSTOMIZATION = 'kustomization.yaml';
const isExample = (file: string) => /\.example\.ya?ml$/.test(file);

type Obj = Record<string, unknown>;
interface Doc {
  file: string;
  kind: string;
  name: string;
  body: Obj;
}

function yamlFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((entry) => {
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) return yamlFiles(full);
      return /\.ya?ml$/.test(entry) ? [relative(K8S_DIR, full)] : [];
    });
}

const FILES = yamlFiles(K8S_DIR);

/** Every document of every file; a YAML error or an empty manifest fails here, not later. */
const DOCS: Doc[] = FILES.flatMap((file) => {
  const text = readFileSync(join(K8S_DIR, file), 'utf8');
  return parseAllDocuments(text).flatMap((doc, i) => {
    assert.deepEqual(
      doc.errors.map((e) => e.message),
      [],
      `${file}, document ${i + 1}: YAML errors`,
    );
    const body = doc.toJS() as Obj | null;
    if (body === null) return [];
    const metadata = (body.metadata ?? {}) as Obj;
    return [{ file, kind: String(body.kind), name: String(metadata.name ?? ''), body }];
  });
});

const obj = (value: unknown, what: string): Obj => {
  assert.ok(
    typeof value === 'object' && value !== null && !Array.isArray(value),
    `${what}: expected a mapping, got ${JSON.stringify(value)}`,
  );
  return value as Obj;
};
const list = (value: unknown, what: string): unknown[] => {
  assert.ok(Array.isArray(value), `${what}: expected a list, got ${JSON.stringify(value)}`);
  return value;
};
const at = (root: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((node, key) => obj(node, `${path} (at ${key})`)[key], root);

/** The only manifest (example files excluded) of this kind. */
function only(kind: string): Doc {
  const found = DOCS.filter((d) => d.kind === kind && !isExample(d.file));
  assert.equal(found.length, 1, `expected exactly one ${kind} in deploy/k8s, found ${found.map((d) => d.file).join(', ') || 'none'}`);
  return found[0]!;
}

const deployment = only('Deployment');
const configMap = only('ConfigMap');
const podSpec = obj(at(deployment.body, 'spec.template.spec'), 'Deployment pod spec');
const podLabels = obj(at(deployment.body, 'spec.template.metadata.labels'), 'Deployment pod labels');
const containers = list(podSpec.containers, 'containers').map((c, i) => obj(c, `containers[${i}]`));
const container = containers.find((c) => c.name === 'dataprod') ?? containers[0]!;
const configData = obj(configMap.body.data, 'ConfigMap data') as Record<string, string>;
const env = list(container.env ?? [], 'env').map((e, i) => obj(e, `env[${i}]`));

const OPTION_ENVS = new Set((OPTIONS as readonly OptionSpec[]).map((o) => o.env));
/** Variables that carry credentials: the options of kind secret, and the user names that go with them. */
const CREDENTIAL_ENVS = new Set([
  ...(OPTIONS as readonly OptionSpec[]).filter((o) => o.kind === 'secret').map((o) => o.env),
  'KAFKA_SASL_USERNAME',
  'SCHEMA_REGISTRY_USER',
]);

/** The effective value of a dataprod option in the pod: the ConfigMap's, else the default. */
function setting(envName: string): string {
  const spec = (OPTIONS as readonly OptionSpec[]).find((o) => o.env === envName)!;
  const value = configData[envName] ?? spec.default;
  assert.ok(value !== undefined, `${envName} has no value in the ConfigMap and no default`);
  return String(value);
}

const subset = (selector: Obj, labels: Obj) => Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Kubernetes quantities: cpu in cores, memory in bytes. */
function quantity(value: unknown): number {
  const m = /^([0-9.]+)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(String(value));
  assert.ok(m, `not a Kubernetes quantity: ${String(value)}`);
  const units: Record<string, number> = { m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
  return Number(m[1]) * (m[2] ? units[m[2]]! : 1);
}

describe('deploy/k8s manifests', () => {
  it('parse, and every document is a named Kubernetes object', () => {
    assert.ok(FILES.length > 0, 'no YAML file under deploy/k8s');
    for (const doc of DOCS) {
      assert.ok(typeof doc.body.apiVersion === 'string', `${doc.file}: ${doc.kind} has no apiVersion`);
      if (doc.kind === 'Kustomization') continue;
      assert.ok(doc.name !== '', `${doc.file}: ${doc.kind} has no metadata.name`);
    }
  });

  it('kustomization lists every manifest file and not the example secret', () => {
    const kustomization = DOCS.find((d) => d.file === KUSTOMIZATION);
    assert.ok(kustomization, `deploy/k8s/${KUSTOMIZATION} is missing`);
    const resources = list(kustomization.body.resources, 'kustomization resources').map(String);
    const manifests = FILES.filter((f) => f !== KUSTOMIZATION && !isExample(f));
    assert.deepEqual([...resources].sort(), [...manifests].sort(), 'kustomization resources must be exactly the manifest files');
    assert.ok(!resources.some(isExample), 'the example secret must not be applied');
    const namespace = kustomization.body.namespace;
    for (const doc of DOCS.filter((d) => isExample(d.file))) {
      assert.equal(at(doc.body, 'metadata.namespace'), namespace, `${doc.file}: create it in the namespace the kustomization deploys to`);
    }
  });

  it('runs the image with the products folder and the control port named http', () => {
    assert.equal(container.image, 'dataprod:0.1.0');
    assert.deepEqual(container.args, ['run', '/app/products']);
    const port = list(container.ports, 'ports')
      .map((p) => obj(p, 'port'))
      .find((p) => p.name === 'http');
    assert.ok(port, 'no container port named http');
    assert.equal(String(port.containerPort), setting('DATAPROD_HTTP_PORT'), 'containerPort must be the control port (DATAPROD_HTTP_PORT)');
    assert.equal(port.containerPort, 9464);
  });

  it('probes /healthz for liveness and /readyz for readiness on the control port', () => {
    const probeOn = (name: string, path: string) => {
      const probe = obj(container[name], name);
      const get = obj(probe.httpGet, `${name}.httpGet`);
      assert.equal(get.path, path, `${name} path`);
      assert.ok(
        get.port === 'http' || String(get.port) === setting('DATAPROD_HTTP_PORT'),
        `${name} must target the control port, got ${String(get.port)}`,
      );
      return probe;
    };
    probeOn('livenessProbe', '/healthz');
    const readiness = probeOn('readinessProbe', '/readyz');
    // Each /readyz makes one registry request with a 10 s timeout (docs/runtime.md, control port).
    assert.ok(
      Number(readiness.timeoutSeconds) > 10,
      `readinessProbe.timeoutSeconds must exceed the registry check's 10 s, got ${String(readiness.timeoutSeconds)}`,
    );
    if (container.startupProbe !== undefined) probeOn('startupProbe', '/healthz');
  });

  it('gives the drain more time than DATAPROD_SHUTDOWN_GRACE_MS before the kubelet kills the pod', () => {
    const graceMs = Number(setting('DATAPROD_SHUTDOWN_GRACE_MS'));
    const termination = Number(podSpec.terminationGracePeriodSeconds);
    assert.ok(Number.isFinite(termination), 'terminationGracePeriodSeconds must be set');
    assert.ok(
      termination > graceMs / 1000,
      `terminationGracePeriodSeconds ${termination} must be above the drain timeout ${graceMs / 1000} s`,
    );
  });

  it('requests and limits cpu and memory, requests within limits', () => {
    const resources = obj(container.resources, 'resources');
    for (const level of ['requests', 'limits']) {
      for (const resource of ['cpu', 'memory']) {
        assert.ok(obj(resources[level], level)[resource] !== undefined, `resources.${level}.${resource} is missing`);
      }
    }
    for (const resource of ['cpu', 'memory']) {
      const request = quantity(at(resources, `requests.${resource}`));
      const limit = quantity(at(resources, `limits.${resource}`));
      assert.ok(request <= limit, `${resource}: request above limit`);
    }
    // docs/benchmarks.md: peak RSS up to 335 MiB draining a backlog; the limit must leave room.
    assert.ok(quantity(at(resources, 'limits.memory')) >= 512 * 2 ** 20, 'memory limit below 512Mi');
  });

  it('runs as non-root on a read-only root file system without privileges, with a writable /tmp', () => {
    const podSecurity = obj(podSpec.securityContext ?? {}, 'pod securityContext');
    const security = obj(container.securityContext, 'container securityContext');
    assert.equal(security.runAsNonRoot ?? podSecurity.runAsNonRoot, true, 'runAsNonRoot');
    assert.equal(security.readOnlyRootFilesystem, true, 'readOnlyRootFilesystem');
    assert.equal(security.allowPrivilegeEscalation, false, 'allowPrivilegeEscalation');
    assert.ok(list(at(security, 'capabilities.drop'), 'capabilities.drop').includes('ALL'), 'capabilities.drop must include ALL');
    // tsx writes its compile cache under the OS temporary folder (checked against a read-only root).
    const mounts = list(container.volumeMounts ?? [], 'volumeMounts').map((m) => obj(m, 'volumeMount'));
    const tmp = mounts.find((m) => m.mountPath === '/tmp');
    assert.ok(tmp, 'a read-only root needs a writable volume at /tmp');
    const volume = list(podSpec.volumes, 'volumes')
      .map((v) => obj(v, 'volume'))
      .find((v) => v.name === tmp.name);
    assert.ok(volume && volume.emptyDir !== undefined, '/tmp must be an emptyDir');
  });

  it('takes settings from the ConfigMap and credentials only through secretKeyRef', () => {
    const fromConfigMaps = list(container.envFrom ?? [], 'envFrom').map((e) => obj(e, 'envFrom'));
    assert.ok(
      fromConfigMaps.some((e) => at(e, 'configMapRef.name') === configMap.name),
      `envFrom must reference the ConfigMap ${configMap.name}`,
    );
    for (const key of ['KAFKA_BROKERS', 'SCHEMA_REGISTRY_URL', 'DATAPROD_LOG_LEVEL', 'DATAPROD_SHUTDOWN_GRACE_MS', 'DATAPROD_HTTP_PORT']) {
      assert.ok(configData[key] !== undefined && configData[key] !== '', `ConfigMap must set ${key}`);
    }
    const secretExample = DOCS.find((d) => d.kind === 'Secret' && isExample(d.file));
    assert.ok(secretExample, 'deploy/k8s needs a secret.example.yaml showing the Secret keys');
    const exampleKeys = Object.keys(obj(secretExample.body.stringData ?? secretExample.body.data, 'example Secret data'));

    const referenced = new Map<string, Obj>();
    for (const entry of env) {
      const name = String(entry.name);
      if (entry.valueFrom !== undefined) {
        const ref = obj(entry.valueFrom, `${name}.valueFrom`).secretKeyRef;
        if (ref !== undefined) referenced.set(name, obj(ref, `${name}.secretKeyRef`));
      }
      if (CREDENTIAL_ENVS.has(name)) {
        assert.equal(entry.value, undefined, `${name} must not have a literal value`);
        assert.ok(referenced.has(name), `${name} must come from a secretKeyRef`);
      }
    }
    for (const name of [
      'KAFKA_SASL_MECHANISM',
      'KAFKA_SASL_USERNAME',
      'KAFKA_SASL_PASSWORD',
      'SCHEMA_REGISTRY_USER',
      'SCHEMA_REGISTRY_PASSWORD',
    ]) {
      const ref = referenced.get(name);
      assert.ok(ref, `${name} must be a secretKeyRef`);
      assert.equal(ref.name, secretExample.name, `${name}: the Secret shown in ${secretExample.file}`);
      assert.ok(exampleKeys.includes(String(ref.key)), `${name}: key ${String(ref.key)} is not in ${secretExample.file}`);
      assert.equal(ref.optional, true, `${name}: optional, so clusters without authentication need no Secret`);
    }
    for (const key of Object.keys(configData)) {
      assert.ok(!CREDENTIAL_ENVS.has(key), `ConfigMap holds the credential ${key}: put it in the Secret`);
    }
  });

  it('holds no literal credentials outside the example, whose values are placeholders', () => {
    const secretish = /pass(word)?|secret|token|credential/i;
    const walk = (node: unknown, path: string, file: string): void => {
      if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`, file));
      if (typeof node !== 'object' || node === null) return;
      const entries = Object.entries(node as Obj);
      // An env entry { name: X_PASSWORD, value: ... } hides the secret name in a value.
      const named = (node as Obj).name;
      if (typeof named === 'string' && secretish.test(named) && (node as Obj).value !== undefined) {
        assert.fail(`${file}: ${path} sets ${named} to a literal value`);
      }
      for (const [key, value] of entries) {
        if (secretish.test(key) && (typeof value === 'string' || typeof value === 'number')) {
          assert.fail(`${file}: ${path}.${key} holds a literal value`);
        }
        walk(value, `${path}.${key}`, file);
      }
    };
    for (const doc of DOCS.filter((d) => !isExample(d.file))) {
      assert.notEqual(doc.kind, 'Secret', `${doc.file}: a Secret in the applied manifests; keep credentials out of the repository`);
      walk(doc.body, doc.kind, doc.file);
    }
    for (const doc of DOCS.filter((d) => isExample(d.file) && d.kind === 'Secret')) {
      const values = obj(doc.body.stringData ?? {}, `${doc.file} stringData`);
      assert.equal(doc.body.data, undefined, `${doc.file}: use stringData with placeholders`);
      for (const [key, value] of Object.entries(values)) {
        if (key === 'KAFKA_SASL_MECHANISM') continue; // a choice, not a credential
        assert.match(String(value), /^<[a-z-]+>$/, `${doc.file}: ${key} must be a placeholder like <sasl-password>`);
      }
    }
  });

  it('uses only variables dataprod reads', () => {
    const names = [...env.map((e) => String(e.name)), ...Object.keys(configData)];
    for (const doc of DOCS.filter((d) => isExample(d.file) && d.kind === 'Secret')) {
      names.push(...Object.keys(obj(doc.body.stringData ?? {}, 'stringData')));
    }
    const unknown = names.filter((n) => !OPTION_ENVS.has(n));
    assert.deepEqual(unknown, [], 'not in OPTIONS (src/config/runtime.ts)');
  });

  it('runs two replicas and scrapes them by annotation', () => {
    assert.equal(at(deployment.body, 'spec.replicas'), 2);
    assert.ok(
      subset(obj(at(deployment.body, 'spec.selector.matchLabels'), 'selector'), podLabels),
      'the Deployment selector must match its pod labels',
    );
    const annotations = obj(at(deployment.body, 'spec.template.metadata.annotations'), 'pod annotations');
    assert.equal(annotations['prometheus.io/scrape'], 'true');
    assert.equal(annotations['prometheus.io/port'], setting('DATAPROD_HTTP_PORT'));
    assert.equal(annotations['prometheus.io/path'], '/metrics');
  });

  it('has a PodDisruptionBudget over the Deployment pods that lets one go at a time', () => {
    const pdb = only('PodDisruptionBudget');
    assert.equal(pdb.body.apiVersion, 'policy/v1');
    const selector = obj(at(pdb.body, 'spec.selector.matchLabels'), 'PDB selector');
    assert.ok(Object.keys(selector).length > 0, 'empty PDB selector');
    assert.ok(
      subset(selector, podLabels),
      `PDB selector ${JSON.stringify(selector)} does not select the pods ${JSON.stringify(podLabels)}`,
    );
    const spec = obj(pdb.body.spec, 'PDB spec');
    const replicas = Number(at(deployment.body, 'spec.replicas'));
    if (spec.maxUnavailable !== undefined) assert.equal(spec.maxUnavailable, 1);
    else assert.ok(Number(spec.minAvailable) >= 1 && Number(spec.minAvailable) < replicas, 'minAvailable must leave one pod to evict');
  });

  it('has a Service on the named control port and a ServiceMonitor scraping it', () => {
    const service = only('Service');
    const selector = obj(at(service.body, 'spec.selector'), 'Service selector');
    assert.ok(Object.keys(selector).length > 0 && subset(selector, podLabels), 'the Service must select the Deployment pods');
    const ports = list(at(service.body, 'spec.ports'), 'Service ports').map((p) => obj(p, 'Service port'));
    const port = ports.find((p) => p.targetPort === 'http');
    assert.ok(port, 'a Service port must target the named container port http');
    assert.equal(String(port.port), setting('DATAPROD_HTTP_PORT'));

    const monitor = only('ServiceMonitor');
    assert.equal(monitor.body.apiVersion, 'monitoring.coreos.com/v1');
    const monitorSelector = obj(at(monitor.body, 'spec.selector.matchLabels'), 'ServiceMonitor selector');
    const serviceLabels = obj(at(service.body, 'metadata.labels'), 'Service labels');
    assert.ok(
      Object.keys(monitorSelector).length > 0 && subset(monitorSelector, serviceLabels),
      'the ServiceMonitor must select the Service by its labels',
    );
    const endpoints = list(at(monitor.body, 'spec.endpoints'), 'endpoints').map((e) => obj(e, 'endpoint'));
    assert.ok(endpoints.length > 0);
    for (const endpoint of endpoints) {
      assert.equal(endpoint.port, port.name, 'the ServiceMonitor endpoint must name the Service port');
      assert.equal(endpoint.path ?? '/metrics', '/metrics');
    }
  });
});
