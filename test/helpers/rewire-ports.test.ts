// The test workspace helper moves each local environment by what the runbook says, not by the
// literal text 741x: a runbook on other ports is moved too, and nothing else in the file changes.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO, rewirePorts } from './cli.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function workspaceWith(runbook: string): string {
  dir = mkdtempSync(join(tmpdir(), 'rollout-rewire-'));
  mkdirSync(join(dir, 'runbooks'));
  writeFileSync(join(dir, 'runbooks', 'dhash.yaml'), runbook);
  return dir;
}

type Env = { target: { kind: string; port?: number }; health: { url?: string }; metrics: { url?: string }; smoke: { url?: string }[] };

describe('rewirePorts', () => {
  it('moves the shipped runbook: each environment to its own free port, every URL of it along', async () => {
    const before = readFileSync(join(REPO, 'runbooks', 'dhash.yaml'), 'utf8');
    const root = workspaceWith(before);
    const ports = await rewirePorts(root);
    const after = readFileSync(join(root, 'runbooks', 'dhash.yaml'), 'utf8');
    expect(new Set(Object.values(ports)).size).toBe(3);
    const envs = (parse(after) as { environments: Record<string, Env> }).environments;
    for (const [name, port] of Object.entries(ports)) {
      const e = envs[name]!;
      expect(e.target.port).toBe(port);
      for (const url of [e.health.url, e.metrics.url, ...e.smoke.map((c) => c.url)]) expect(new URL(url!).port, `${name} ${url}`).toBe(String(port));
    }
    // Only the port numbers changed: same lines, same comments and layout.
    const strip = (t: string): string => t.replace(/\b\d{4,5}\b/g, 'N');
    expect(strip(after)).toBe(strip(before));
  });

  it('moves a runbook on other ports (8111/8112), leaving a non-local environment and foreign URLs alone', async () => {
    const root = workspaceWith(`name: other
steps: []
environments:
  production:
    target: { kind: local, port: 8111 }
    health: { kind: http, url: "http://127.0.0.1:8111/health" }
    metrics: { kind: http-json, url: http://localhost:8111/metrics }
    smoke:
      - { id: h, kind: http, url: "http://127.0.0.1:8111/health" }
      - { id: other, kind: http, url: "http://127.0.0.1:8112/health" }
      - { id: remote, kind: http, url: "http://10.0.0.5:8111/health" }
  staging:
    target: { kind: local, port: 8112 }
    health: { kind: http, url: "http://127.0.0.1:8112/health" }
    metrics: { kind: http-json, url: "http://127.0.0.1:8112/metrics" }
  real:
    target: { kind: command, deploy: "true" }
    health: { kind: http, url: "http://127.0.0.1:8111/health" }
    metrics: { kind: http-json, url: "http://127.0.0.1:8111/metrics" }
`);
    const ports = await rewirePorts(root);
    expect(Object.keys(ports).sort()).toEqual(['production', 'staging']);
    const envs = (parse(readFileSync(join(root, 'runbooks', 'dhash.yaml'), 'utf8')) as { environments: Record<string, Env> }).environments;
    const p = envs.production!;
    expect(p.target.port).toBe(ports.production);
    expect(p.health.url).toBe(`http://127.0.0.1:${ports.production}/health`);
    expect(p.metrics.url).toBe(`http://localhost:${ports.production}/metrics`);
    // Another environment's port named inside production is not production's to move; a remote host is not loopback.
    expect(p.smoke.map((c) => c.url)).toEqual([`http://127.0.0.1:${ports.production}/health`, 'http://127.0.0.1:8112/health', 'http://10.0.0.5:8111/health']);
    expect(envs.staging!.health.url).toBe(`http://127.0.0.1:${ports.staging}/health`);
    expect(envs.real!.health.url).toBe('http://127.0.0.1:8111/health');
  });
});
