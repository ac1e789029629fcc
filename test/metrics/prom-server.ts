// A real Prometheus (Debian package `prometheus`, binary /usr/bin/prometheus) on a loopback port
// with a temp config and data folder, scraping the given targets every second; stop() ends it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../helpers/cli.js';

/** The prometheus binary, if installed. */
export function findPrometheus(): string | undefined {
  if (process.env.PROMETHEUS_BIN && existsSync(process.env.PROMETHEUS_BIN)) return process.env.PROMETHEUS_BIN;
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, 'prometheus'))) return join(dir, 'prometheus');
  return undefined;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A running Prometheus. */
export interface PromServer {
  url: string;
  dir: string;
  stop: () => Promise<void>;
  /** One instant query through the HTTP API (test-side checks). */
  query: (q: string) => Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
}

/**
 * Start Prometheus scraping `targets` (host:port) as job "dhash" every second. `scrapeExtra` adds
 * lines under the job (e.g. params); without it the scrape is a stock one (Prometheus's own Accept).
 */
export async function startPrometheus(bin: string, targets: string[], scrapeExtra: string[] = []): Promise<PromServer> {
  const dir = mkdtempSync(join(tmpdir(), 'prom-test-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  writeFileSync(
    join(dir, 'prometheus.yml'),
    ['global: { scrape_interval: 1s, evaluation_interval: 1s }', 'scrape_configs:', '  - job_name: dhash', '    metrics_path: /metrics', ...scrapeExtra.map((l) => `    ${l}`), `    static_configs: [ { targets: [${targets.map((t) => `'${t}'`).join(', ')}] } ]`, ''].join('\n'),
  );
  const prom: ChildProcess = spawn(bin, [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: 'ignore' });
  const stop = async (): Promise<void> => {
    if (prom.exitCode === null && prom.signalCode === null) {
      const gone = new Promise((r) => prom.once('exit', r));
      prom.kill('SIGTERM');
      await Promise.race([gone, sleep(5000)]);
      if (prom.exitCode === null && prom.signalCode === null) prom.kill('SIGKILL');
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const query = async (q: string) => {
    const r = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(q)}`);
    const j = (await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
    return j.data.result;
  };
  for (let i = 0; i < 150; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) return { url, dir, stop, query };
    } catch {
      /* not up yet */
    }
    await sleep(200);
  }
  await stop();
  throw new Error('prometheus did not become ready in 30 s');
}
