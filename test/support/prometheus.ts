import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kafkaLibDir } from '../../src/devstack/index.js';
import { freePort, waitUntil } from '../../src/devstack/net.js';
import { ManagedProcess } from '../../src/devstack/process.js';

const exec = promisify(execFile);

export interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing';
}

/** A real Prometheus on a free 127.0.0.1 port, scraping `targets` every second and evaluating `rulesFile`. */
export async function startPrometheus(
  workDir: string,
  targets: string[],
  rulesFile?: string,
): Promise<{ url: string; stop(): Promise<void>; query(expr: string): Promise<number | undefined>; alerts(): Promise<PromAlert[]> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(workDir, 'prometheus.yml'),
    `global: { scrape_interval: 1s, evaluation_interval: 1s }\n` +
      (rulesFile ? `rule_files: ['${rulesFile}']\n` : '') +
      `scrape_configs:\n  - job_name: dataprod\n    static_configs: [{ targets: [${targets.map((t) => `'${t}'`).join(', ')}] }]\n`,
  );
  const process = new ManagedProcess({
    name: 'prometheus',
    command: 'prometheus',
    args: [
      `--config.file=${join(workDir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(workDir, 'tsdb')}`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    logFile: join(workDir, 'prometheus.log'),
  });
  process.start();
  await waitUntil(async () => (await fetch(`${url}/-/ready`)).ok, { what: 'prometheus', timeoutMs: 30_000 });
  return {
    url,
    stop: () => process.stop(),
    async query(expr) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
      const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
      const first = body.data.result[0];
      return first ? Number(first.value[1]) : undefined;
    },
    async alerts() {
      const res = await fetch(`${url}/api/v1/alerts`);
      return ((await res.json()) as { data: { alerts: PromAlert[] } }).data.alerts;
    },
  };
}

/** Lag per partition of `topic` as Kafka's own kafka-consumer-groups tool (ConsumerGroupCommand) reports it. */
export async function kafkaToolLag(brokers: string[], group: string, topic: string): Promise<Map<number, number>> {
  const { stdout } = await exec('java', [
    '-cp',
    `${kafkaLibDir()}/*`,
    '-Dlog4j.configuration=file:/dev/null',
    'org.apache.kafka.tools.consumer.group.ConsumerGroupCommand',
    '--bootstrap-server',
    brokers.join(','),
    '--describe',
    '--group',
    group,
  ]);
  const lags = new Map<number, number>();
  for (const line of stdout.split('\n')) {
    const cols = line.trim().split(/\s+/);
    // GROUP TOPIC PARTITION CURRENT-OFFSET LOG-END-OFFSET LAG CONSUMER-ID HOST CLIENT-ID
    if (cols[1] === topic) lags.set(Number(cols[2]), Number(cols[5]));
  }
  return lags;
}
