// A temp workspace whose staging environment is watched through a fake dhash service of the
// test's own on 127.0.0.1, with a short window and 0.5 s polling.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeWorkspace, readJsonLines, shortenMonitoring } from '../helpers/cli.js';
import { FakeService, type TestServer } from '../metrics/servers.js';

export interface MonitorWs {
  root: string;
  svc: FakeService;
  server: TestServer;
  cleanup: () => Promise<void>;
  journals: () => string[];
  journal: (name?: string) => Record<string, unknown>[];
}

/**
 * Workspace + fake service; `metricsUrl` lets a test point metrics at a faulty endpoint, and
 * `metricsTimeoutMs` (400 by default, so that a hanging endpoint costs little) can give a window on
 * the event clock the time a loaded machine takes to answer.
 */
export async function monitorWorkspace(o: { durationMinutes?: number; metricsUrl?: string; intervalSeconds?: number; metricsTimeoutMs?: number } = {}): Promise<MonitorWs> {
  const ws = await makeWorkspace();
  const svc = new FakeService();
  const server = await svc.serve();
  // Steady healthy traffic (100 extractions a second), so that windowed gates get enough observations.
  const traffic = setInterval(() => svc.traffic(20, 300), 200);
  const rb = join(ws.root, 'runbooks', 'dhash.yaml');
  let text = readFileSync(rb, 'utf8').replaceAll(`127.0.0.1:${ws.ports.staging}/health`, `127.0.0.1:${server.port}/health`);
  text = text.replace(`metrics: { kind: http-json, url: "http://127.0.0.1:${ws.ports.staging}/metrics" }`, `metrics: { kind: http-json, url: "${o.metricsUrl ?? `${server.url}/metrics`}", timeout_ms: ${o.metricsTimeoutMs ?? 400} }`);
  writeFileSync(rb, text);
  shortenMonitoring(ws.root, 'staging', { durationMinutes: o.durationMinutes ?? 0.05, intervalSeconds: o.intervalSeconds ?? 0.5, maxWindowMinutes: 0.05 });
  const logs = join(ws.root, 'logs');
  const journals = (): string[] => {
    try {
      return readdirSync(logs).filter((f) => f.startsWith('monitor_staging_')).sort();
    } catch {
      return [];
    }
  };
  return {
    root: ws.root,
    svc,
    server,
    journals,
    journal: (name) => {
      const n = name ?? journals().at(-1);
      if (!n) return [];
      return readJsonLines(join(logs, n));
    },
    cleanup: async () => {
      clearInterval(traffic);
      await server.close();
      ws.cleanup();
    },
  };
}
