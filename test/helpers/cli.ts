// Spawning the built CLI and making temp workspaces: real processes, real files.
import { execFileSync, spawn } from 'node:child_process';
import { expect } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isScalar, parseDocument, visit, type Scalar } from 'yaml';
import { freePort } from '../../src/domain/free-port.js';

/** A free TCP port on 127.0.0.1. */
export { freePort };

export const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** The bundled CLI built by the global setup. */
export function cliPath(): string {
  const d = process.env.ROLLOUT_TEST_DIST;
  if (!d) throw new Error('ROLLOUT_TEST_DIST is not set: run the tests through vitest (global setup builds the CLI)');
  return join(d, 'cli.js');
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `rollout ARGS` in `cwd` and collect its output. */
export function runCli(args: string[], opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: '1', ROLLOUT_STATE_DIR: join(tmpdir(), 'rollout-test-state'), ...opts.env })) if (v !== undefined) env[k] = v;
    const child = spawn(process.execPath, [cliPath(), ...args], { cwd: opts.cwd ?? REPO, env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Past the timeout: SIGTERM first, so that a command that cleans up on it (premerge stops its
    // copy's service, deploy and monitor stop their loops) leaves nothing running; SIGKILL 5 s later.
    let hard: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      hard = setTimeout(() => child.kill('SIGKILL'), 5_000);
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      clearTimeout(hard);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A temp workspace: the shipped config and runbooks, with the demo ports moved to free ones. */
export async function makeWorkspace(): Promise<{ root: string; ports: Record<string, number>; cleanup: () => void }> {
  const root = mkdtempSync(join(tmpdir(), 'rollout-ws-'));
  cpSync(join(REPO, 'quality-gates-config.json'), join(root, 'quality-gates-config.json'));
  cpSync(join(REPO, 'schemas'), join(root, 'schemas'), { recursive: true });
  cpSync(join(REPO, 'runbooks'), join(root, 'runbooks'), { recursive: true });
  const ports = await rewirePorts(root);
  return { root, ports, cleanup: () => rmSync(root, { recursive: true, force: true }) };
}

/**
 * Move every local-target environment of a workspace's runbook to a free port: the port is read
 * from the parsed runbook (environments.<env>.target.port), and that environment's loopback URLs
 * on it follow. Edits go to the exact source ranges of the YAML nodes, so the rest of the file
 * (comments, flow style, anchors) stays as written and a runbook with other ports works the same.
 */
export async function rewirePorts(root: string, file = 'dhash.yaml'): Promise<Record<'production' | 'staging' | 'development', number>> {
  const rb = join(root, 'runbooks', file);
  const text = readFileSync(rb, 'utf8');
  const doc = parseDocument(text);
  const envs = doc.get('environments');
  if (!isMap(envs)) throw new Error(`${rb}: no environments map`);
  const edits: { from: number; to: number; text: string }[] = [];
  const ports: Record<string, number> = {};
  for (const pair of envs.items) {
    const name = String(isScalar(pair.key) ? pair.key.value : pair.key);
    const env = pair.value;
    if (!isMap(env) || env.getIn(['target', 'kind']) !== 'local') continue;
    const old = Number(env.getIn(['target', 'port']));
    const port = await freePort();
    ports[name] = port;
    const loopback = new RegExp(`(//(?:127\\.0\\.0\\.1|localhost|\\[::1\\]):)${old}\\b`, 'g');
    const portNode = env.getIn(['target', 'port'], true);
    if (isScalar(portNode) && portNode.range) edits.push({ from: portNode.range[0], to: portNode.range[1], text: String(port) });
    // Aliases are not followed: an anchored node is moved once, where it is defined.
    visit(env, {
      Scalar(_k, node: Scalar) {
        if (!node.range || typeof node.value !== 'string') return;
        const [from, to] = node.range;
        const src = text.slice(from, to);
        loopback.lastIndex = 0;
        if (loopback.test(src)) edits.push({ from, to, text: src.replace(loopback, `$1${port}`) });
        loopback.lastIndex = 0;
      },
    });
  }
  let out = text;
  for (const e of edits.sort((a, b) => b.from - a.from)) out = out.slice(0, e.from) + e.text + out.slice(e.to);
  writeFileSync(rb, out);
  return ports as Record<'production' | 'staging' | 'development', number>;
}

/** Give an environment of a workspace a short monitor window, fast polling and short gate windows,
 * so that a whole monitored rollout runs in seconds (SPEC: fractions are allowed). */
export function shortenMonitoring(root: string, env: string, o: { durationMinutes: number; intervalSeconds: number; maxWindowMinutes: number }): void {
  const p = join(root, 'quality-gates-config.json');
  const cfg = JSON.parse(readFileSync(p, 'utf8')) as { environments: Record<string, { monitoring?: unknown; quality_gates: Record<string, { window_minutes: number }> }> };
  const e = cfg.environments[env]!;
  e.monitoring = { duration_minutes: o.durationMinutes, polling: [{ interval_seconds: o.intervalSeconds }] };
  for (const g of Object.values(e.quality_gates)) g.window_minutes = Math.min(g.window_minutes, o.maxWindowMinutes);
  writeFileSync(p, JSON.stringify(cfg, null, 2));
}

/**
 * The environment under which a monitor window of the CLI, in the workspace at `root`, runs on its
 * event clock (src/cli/test-monitor-clock.ts): every poll of the window happens and a slow read
 * does not eat it, whatever the load. For tests whose short window must pass; not for those about
 * the cadence. The hook is honoured only for the workspace ROLLOUT_TEST_WORKSPACE names.
 */
export function eventClock(root: string): Record<string, string> {
  return { ROLLOUT_TEST_MONITOR_CLOCK: 'events', ROLLOUT_TEST_WORKSPACE: root };
}

/** Is ansible-playbook installed? (the tests that drive it skip with a sentence when not) */
export function hasAnsible(): boolean {
  try {
    execFileSync('ansible-playbook', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Run `rollout ARGS` with ROLLOUT_TEST_PAUSE_AT=point, wait until it pauses there, run `whilePaused`, then kill -9 it. */
export async function killCliAt(cwd: string, args: string[], point: string, env: Record<string, string> = {}, whilePaused?: () => Promise<void>, pauseTimeoutMs = 20_000): Promise<void> {
  const child = spawn(process.execPath, [cliPath(), ...args], { cwd, env: { ...process.env, ...env, NO_COLOR: '1', ROLLOUT_TEST_PAUSE_AT: point }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
  // The child is killed whatever happens, also when it never pauses (a slow machine, a long playbook).
  try {
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`rollout ${args[0]} never paused at ${point}: ${out}`)), pauseTimeoutMs);
      const onData = (d: Buffer): void => {
        out += d.toString();
        if (out.includes(`ROLLOUT_TEST_PAUSED ${point}`)) {
          clearTimeout(t);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', () => reject(new Error(`rollout ${args[0]} exited before pausing at ${point}: ${out}`)));
    });
    await whilePaused?.();
  } finally {
    child.kill('SIGKILL');
  }
  expect(await exited).toBe('SIGKILL');
}

/** A JSON-lines log as objects; a line torn by a kill -9 (or still being written) is skipped. */
export function readJsonLines(file: string): Record<string, unknown>[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
}
