// Helpers for tests that run the embedded dhash service: HTTP reads and making sure no service
// outlives its test. Waiting is test/helpers/frames.ts waitUntil (tolerateErrors while a server starts).
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';

/** GET a URL and parse JSON (status included). */
export async function getJson<T = Record<string, unknown>>(url: string): Promise<{ status: number; body: T }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return { status: r.status, body: (await r.json()) as T };
}

/** GET a URL as text. */
export async function getText(url: string): Promise<{ status: number; text: string; type: string }> {
  const r = await fetch(url, { signal: AbortSignal.timeout(3000) });
  return { status: r.status, text: await r.text(), type: r.headers.get('content-type') ?? '' };
}

/** True when something accepts connections on 127.0.0.1:port. */
export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.setTimeout(500, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** True when the process runs (a zombie waiting to be reaped counts as gone). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Stop every service a workspace started (the pid files under deployments/), SIGKILL if need be. */
export async function killServices(root: string, extraPids: number[] = []): Promise<void> {
  const pids = [...extraPids];
  const dir = join(root, 'deployments');
  if (existsSync(dir)) {
    for (const env of readdirSync(dir)) {
      const f = join(dir, env, 'service.pid');
      if (existsSync(f)) pids.push(Number(readFileSync(f, 'utf8').trim()));
    }
  }
  for (const pid of pids.filter((p) => p > 0 && alive(p))) {
    process.kill(pid, 'SIGTERM');
    const end = Date.now() + 4000;
    while (alive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
}

/** The p95 (upper bucket bound, ms) of the hash times observed between two /metrics readings. */
export function windowP95(before: { buckets: number[]; bounds: number[] }, after: { buckets: number[]; bounds: number[] }): number {
  const d = after.buckets.map((c, i) => c - (before.buckets[i] ?? 0));
  const total = d[d.length - 1] ?? 0;
  if (total === 0) return 0;
  const idx = d.findIndex((c) => c >= 0.95 * total);
  return idx < after.bounds.length ? after.bounds[idx]! : Number.POSITIVE_INFINITY;
}

/** Every file, folder and symlink under some workspace folders, with contents: to prove nothing changed. */
export function snapshot(root: string, dirs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string): void => {
    const p = join(root, rel);
    let st;
    try {
      st = lstatSync(p);
    } catch {
      return;
    }
    if (st.isSymbolicLink()) out[rel] = `-> ${readlinkSync(p)}`;
    else if (st.isDirectory()) {
      out[rel] = 'dir';
      for (const e of readdirSync(p)) walk(join(rel, e));
    } else out[rel] = readFileSync(p, 'utf8');
  };
  for (const d of dirs) walk(d);
  return out;
}
