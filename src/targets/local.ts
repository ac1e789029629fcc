// The local target: the embedded dhash service on 127.0.0.1, deployed into deployments/<env>/
// (layout in src/demo/layout.ts). Releases are copied in whole (temp folder + rename), the config
// is written atomically, `current` is switched atomically, and the service is restarted detached.
import { closeSync, cpSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, watch, type FSWatcher } from 'node:fs';
import { createConnection } from 'node:net';
import { basename, dirname, join, relative } from 'node:path';
import type { EnvironmentRunbook } from '../config/runbook-schema.js';
import { serviceEntry } from '../demo/entry.js';
import { localLayout, readCurrentVersion, readPid, switchCurrent, type LocalLayout } from '../demo/layout.js';
import { serviceLogPath } from '../domain/service-log.js';
import { StepFailedError, UsageError } from '../domain/errors.js';
import { writeJsonAtomic } from '../domain/fs-atomic.js';
import { processAlive } from '../lock/env-lock.js';
import { checkHealth, type HealthSpec } from '../probes/health.js';
import { getText } from '../probes/http-get.js';
import { shippedDir } from '../config/shipped.js';
import { scopeRoots } from '../backup/scope.js';
import { cachedValidation } from '../config/validated-cache.js';
import type { PlannedAction, RollbackTemplate, RunningInstance, ServiceStatus, Target } from './contract.js';

export type LocalTargetSpec = Extract<EnvironmentRunbook['target'], { kind: 'local' }>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
// How often start and stop look for the pid file or the process's end: each look is one small
// file read, and a 25 ms step added ~12 ms on average to each of the two waits of a restart.
const POLL_MS = 5;
// With an fs.watch on the pid file's folder the wait wakes on the file's rename; this look only
// covers an event the watcher did not deliver.
const WATCHED_POLL_MS = 25;

/** Call `onChange` whenever `name` in `dir` is created, renamed or changed; undefined where the folder cannot be watched. */
function watchFolder(dir: string, name: string, onChange: () => void): FSWatcher | undefined {
  try {
    const w = watch(dir, { persistent: false }, (_event, file) => {
      if (file === null || file === name) onChange();
    });
    // A watcher that fails later (the folder removed) just stops waking the wait: its polls go on.
    w.on('error', () => undefined);
    return w;
  } catch {
    return undefined;
  }
}

/** True when the process runs; an exited child not yet reaped (a zombie, Linux) counts as gone. */
export function serviceAlive(pid: number): boolean {
  if (!processAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (macOS, Windows): kill(pid, 0) is all there is
  }
}

/**
 * True when process `pid` started after `file` was last written, so it cannot be the service that
 * wrote it: the service died (kill -9, reboot) and its pid was reused by another program, which
 * must be neither taken for the service nor stopped. False when unknown (no /proc). Two files of
 * /proc, no request: deploy's validate asks this instead of probing the port.
 */
export function startedAfter(pid: number, file: string): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after "(comm) ": state is field 3, starttime (clock ticks after boot, USER_HZ 100) field 22.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    const uptime = Number.parseFloat(readFileSync('/proc/uptime', 'utf8'));
    if (!Number.isFinite(ticks) || !Number.isFinite(uptime)) return false;
    const startedAtMs = Date.now() - (uptime - ticks / 100) * 1000;
    // 2 s of slack: tick rounding and a clock stepped back a little must not hide a live service.
    return startedAtMs > statSync(file).mtimeMs + 2000;
  } catch {
    return false;
  }
}

// One collator for every comparison: localeCompare with options builds a new ICU collator per call
// (~1 ms each; a deploy's version sort spent 12 ms of its profile there).
let collator: Intl.Collator | undefined;

/** Sort versions so that 1.10.0 comes after 1.9.0 and 1.2.0-x after 1.2.0. */
export function compareVersions(a: string, b: string): number {
  collator ??= new Intl.Collator('en', { numeric: true });
  return collator.compare(a, b);
}

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function portAnswers(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    const done = (v: boolean): void => {
      s.destroy();
      resolve(v);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** The embedded service of one environment. */
export class LocalTarget implements Target {
  readonly kind = 'local' as const;
  readonly layout: LocalLayout;
  readonly url: string;

  constructor(
    private readonly root: string,
    private readonly env: string,
    private readonly spec: LocalTargetSpec,
    private readonly health: HealthSpec,
    private readonly backupInclude?: string[],
  ) {
    this.layout = localLayout(root, env, spec.deploy_dir ? join(root, spec.deploy_dir) : undefined);
    this.url = `http://127.0.0.1:${spec.port}/`;
  }

  /** The folder of shipped releases (workspace first, then the package). */
  releasesSource(): string | undefined {
    return shippedDir(this.root, this.spec.releases);
  }

  async availableVersions(): Promise<string[]> {
    const dir = this.releasesSource();
    if (!dir) return [];
    return readdirSync(dir)
      .filter((v) => existsSync(join(dir, v, 'release.json')))
      .sort(compareVersions);
  }

  /** True when availableVersions() would list `version` (the same test, without listing and sorting them all). */
  hasRelease(version: string): boolean {
    const dir = this.releasesSource();
    // Only a name the folder lists: never a path ("../x") that merely resolves to a release.
    return dir !== undefined && readdirSync(dir).includes(version) && existsSync(join(dir, version, 'release.json'));
  }

  /** The version `current` points at in the deployment folder (what a restart would run). */
  async currentVersion(): Promise<string | undefined> {
    return readCurrentVersion(this.layout);
  }

  /** What the process on the port says it runs (its /version), never the deployment folder. */
  async running(): Promise<RunningInstance | undefined> {
    const m = await serviceInfo(this.spec.port);
    if (!m?.version) return undefined;
    return { version: m.version, ...(m.pid !== undefined ? { pid: m.pid } : {}), ...(m.startedAt ? { startedAt: m.startedAt } : {}) };
  }

  /** The restored files are the backup's release: a restart runs it. */
  async rollbackTo(_t: RollbackTemplate, onLine?: (line: string) => void): Promise<void> {
    await this.restart(onLine);
  }

  private rel(p: string): string {
    return relative(this.root, p).split('\\').join('/');
  }

  async install(version: string, onLine?: (line: string) => void): Promise<void> {
    const src = this.releasesSource();
    const from = src ? join(src, version) : undefined;
    if (!from || !existsSync(join(from, 'release.json'))) {
      throw new UsageError(`Unknown version "${version}": available are ${(await this.availableVersions()).join(', ') || 'none'}.`);
    }
    // A broken release file stops here, before anything changes. Its validation (zod) is kept in
    // the workspace's cache for these exact bytes, so most deploys load no validator at all.
    const relFile = join(from, 'release.json');
    let bytes: Buffer | undefined;
    try {
      bytes = readFileSync(relFile);
    } catch {
      bytes = undefined; // readRelease says why, in its own words
    }
    if (!bytes) (await import('../demo/release.js')).readRelease(from);
    else await cachedValidation(this.root, 'release', bytes, async () => (await import('../demo/release.js')).parseRelease(bytes.toString('utf8'), relFile));
    const dest = join(this.layout.releasesDir, version);
    mkdirSync(this.layout.releasesDir, { recursive: true });
    if (existsSync(dest) && sameFile(join(dest, 'release.json'), join(from, 'release.json'))) {
      onLine?.(`release ${version} already in ${this.rel(dest)}`);
    } else {
      // Copy beside the final place, then rename: a reader sees no release or a whole one.
      const tmp = join(this.layout.releasesDir, `.${version}.${process.pid}.tmp`);
      rmSync(tmp, { recursive: true, force: true });
      cpSync(from, tmp, { recursive: true });
      rmSync(dest, { recursive: true, force: true });
      renameSync(tmp, dest);
      onLine?.(`copied release ${version} to ${this.rel(dest)}`);
    }
    this.writeConfig(version);
    onLine?.(`wrote ${this.rel(this.layout.configFile)}`);
    const how = switchCurrent(this.layout, version);
    onLine?.(how === 'symlink' ? `switched ${this.rel(this.layout.current)} -> releases/${version}` : `switched ${this.rel(this.layout.currentPointer)} to ${version}`);
  }

  /** Write config/<env>/dhash.json atomically, keeping the settings migrations put there. */
  private writeConfig(version: string): void {
    let existing: Record<string, unknown> = {};
    try {
      existing = JSON.parse(readFileSync(this.layout.configFile, 'utf8')) as Record<string, unknown>;
    } catch {
      /* first deploy */
    }
    writeJsonAtomic(this.layout.configFile, { ...existing, env: this.env, port: this.spec.port, version, settings: existing.settings ?? {}, updated_at: new Date().toISOString() });
  }

  async restart(onLine?: (line: string) => void): Promise<void> {
    await this.stop(onLine);
    await this.start(onLine);
  }

  /** The pid of our running service, if any (a stale pid file, or one whose pid was reused, is ignored). */
  runningPid(): number | undefined {
    const pid = readPid(this.layout);
    return pid && serviceAlive(pid) && !startedAfter(pid, this.layout.pidFile) ? pid : undefined;
  }

  async start(onLine?: (line: string) => void): Promise<void> {
    const running = this.runningPid();
    if (running) {
      onLine?.(`the ${this.env} service is already running (pid ${running})`);
      return;
    }
    const version = readCurrentVersion(this.layout);
    if (!version || !existsSync(join(this.layout.releasesDir, version))) {
      throw new StepFailedError(`Nothing is deployed in ${this.rel(this.layout.dir)} yet, so there is no service to start.`, [`rollout deploy --env ${this.env} --version VERSION`]);
    }
    if (await portAnswers(this.spec.port)) {
      throw new StepFailedError(`Port ${this.spec.port} on 127.0.0.1 is in use by another program, so the ${this.env} service cannot start.`, ['Stop that program, or give the environment another port in the runbook (target.port).']);
    }
    // node:child_process only here: `service status` and the other readers never start anything.
    const { spawn } = await import('node:child_process');
    rmSync(this.layout.pidFile, { force: true });
    const entry = serviceEntry();
    mkdirSync(this.layout.dir, { recursive: true });
    const fd = openSync(this.layout.logFile, 'a');
    const humanLog = serviceLogPath(join(this.root, 'logs'), this.env, Date.now());
    const args = [...entry.args, '--env', this.env, '--port', String(this.spec.port), '--dir', this.layout.dir, '--config', this.layout.configFile, '--root', this.root, '--log', humanLog];
    const child = spawn(entry.command, args, { detached: true, stdio: ['ignore', fd, fd], cwd: entry.cwd ?? this.root, windowsHide: true });
    closeSync(fd);
    let exited: number | null | undefined;
    // The wait below wakes on events: the service renames its pid file into place once it listens
    // (inotify through fs.watch on the folder), or the child exits. The look every POLL_MS stays
    // only where the folder cannot be watched; with a watcher, a slow look is the fallback.
    let wake: (() => void) | undefined;
    const rouse = (): void => wake?.();
    child.once('exit', (code) => {
      exited = code;
      rouse();
    });
    child.once('error', () => {
      exited = -1;
      rouse();
    });
    child.unref();
    onLine?.(`started ${version} (pid ${child.pid ?? '?'}) on 127.0.0.1:${this.spec.port}; its log: ${this.rel(humanLog)}`);
    const watcher = watchFolder(dirname(this.layout.pidFile), basename(this.layout.pidFile), rouse);
    try {
      const deadline = Date.now() + 15_000;
      while (Date.now() < deadline) {
        if (readPid(this.layout) === child.pid) return;
        if (exited !== undefined) break;
        await new Promise<void>((r) => {
          const t = setTimeout(r, watcher ? WATCHED_POLL_MS : POLL_MS);
          wake = () => {
            clearTimeout(t);
            r();
          };
        });
        wake = undefined;
      }
    } finally {
      watcher?.close();
    }
    if (exited === undefined && child.pid) process.kill(child.pid, 'SIGKILL');
    throw new StepFailedError(`The ${this.env} service did not start: ${this.lastLogLine() ?? 'no output'} (see ${this.rel(this.layout.logFile)}).`);
  }

  private lastLogLine(): string | undefined {
    try {
      const lines = readFileSync(this.layout.logFile, 'utf8').trim().split(/\r?\n/);
      const last = lines.pop();
      if (!last) return undefined;
      try {
        const j = JSON.parse(last) as { msg?: string; error?: string };
        return [j.msg, j.error].filter(Boolean).join(': ');
      } catch {
        return last.slice(0, 200);
      }
    } catch {
      return undefined;
    }
  }

  async stop(onLine?: (line: string) => void): Promise<void> {
    const pid = readPid(this.layout);
    // Gone, or its pid now another program's (started after the file was written): stop nothing.
    if (!pid || !serviceAlive(pid) || startedAfter(pid, this.layout.pidFile)) {
      rmSync(this.layout.pidFile, { force: true });
      return;
    }
    // A pid file can outlive its process (reboot, kill -9) and the pid be reused: only stop a
    // process that either is our service answering on the port or answers nothing at all.
    const answering = await servicePid(this.spec.port);
    if (answering !== undefined && answering !== pid) {
      rmSync(this.layout.pidFile, { force: true });
      onLine?.(`stale pid file (pid ${pid}) removed; the service on the port is pid ${answering}`);
      return;
    }
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 5_000;
    // Looked for every 2 ms: the service is down from here until the new one listens, and each
    // look is one kill(pid, 0) and one read of /proc/<pid>/stat.
    while (Date.now() < deadline && serviceAlive(pid)) await sleep(2);
    if (serviceAlive(pid)) {
      process.kill(pid, 'SIGKILL');
      onLine?.(`pid ${pid} did not stop within 5 s; killed`);
      const d2 = Date.now() + 2_000;
      while (Date.now() < d2 && serviceAlive(pid)) await sleep(25);
    }
    // A process killed while frozen (SIGSTOP) is reported gone before the kernel has closed its
    // listening socket: wait for the port to be released, so the next start does not find it taken.
    const d3 = Date.now() + 3_000;
    while (Date.now() < d3 && (await portAnswers(this.spec.port, 200))) await sleep(50);
    rmSync(this.layout.pidFile, { force: true });
    onLine?.(`stopped the ${this.env} service (pid ${pid})`);
  }

  async status(): Promise<ServiceStatus> {
    const deployed = readCurrentVersion(this.layout);
    const pid = this.runningPid();
    const health = await checkHealth(this.health, { timeoutMs: 1500 });
    const st: ServiceStatus = { running: Boolean(pid), url: this.url, health: { ok: health.ok, detail: health.detail } };
    if (deployed) st.deployedVersion = deployed;
    if (pid) {
      st.pid = pid;
      const m = await serviceInfo(this.spec.port);
      st.version = m?.version ?? deployed;
      if (m?.version && deployed && m.version !== deployed) st.note = `the running service is ${m.version}, but ${deployed} is in place (a restart would run it)`;
    } else if (await portAnswers(this.spec.port)) {
      st.note = `port ${this.spec.port} answers, but not from this environment's service (no live pid in ${this.rel(this.layout.pidFile)})`;
    }
    return st;
  }

  stateFiles(): string[] {
    // The backup scope is the one list (src/backup/scope.ts); roots a backup omits when missing are left out here too.
    return scopeRoots(this.root, this.env, { target: this.spec, ...(this.backupInclude?.length ? { backup: { include: this.backupInclude } } : {}) })
      .filter((r) => r.absent !== 'omitted' || existsSync(join(this.root, r.path)))
      .map((r) => r.path);
  }

  plan(version: string): PlannedAction[] {
    const src = this.releasesSource();
    return [
      { step: 'install', action: `copy ${src ? join(src, version) : `releases/${version}`} to ${this.rel(join(this.layout.releasesDir, version))} (temp folder + rename)` },
      { step: 'install', action: `write ${this.rel(this.layout.configFile)} (version ${version}, port ${this.spec.port})` },
      { step: 'install', action: `switch ${this.rel(this.layout.current)} -> releases/${version} (atomic rename)` },
      { step: 'restart', action: `stop the running service (SIGTERM to the pid in ${this.rel(this.layout.pidFile)})` },
      { step: 'restart', action: `start ${[...serviceEntryText(), '--env', this.env, '--port', String(this.spec.port), '--dir', this.rel(this.layout.dir)].join(' ')} (detached, output to ${this.rel(this.layout.logFile)} and logs/dhash_${this.env}_<ts>.log)` },
    ];
  }
}

function serviceEntryText(): string[] {
  try {
    const e = serviceEntry();
    return ['node', ...e.args.map((a) => a.split(/[\\/]/).slice(-2).join('/'))];
  } catch {
    return ['dhash-service'];
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    return statSync(a).size === statSync(b).size && readFileSync(a).equals(readFileSync(b));
  } catch {
    return false;
  }
}

/** What the service on a port says about itself (/version; /metrics JSON from older releases), if it answers. */
async function serviceInfo(port: number): Promise<{ pid?: number; version?: string; startedAt?: string } | undefined> {
  for (const path of ['/version', '/metrics']) {
    try {
      const r = await getText(`http://127.0.0.1:${port}${path}`, { timeoutMs: 1000, headers: { accept: 'application/json' } });
      if (r.status === 404) continue;
      if (r.status < 200 || r.status > 299) return undefined;
      const j = JSON.parse(r.text) as { pid?: unknown; version?: unknown; started_at?: unknown };
      return { ...(typeof j.pid === 'number' ? { pid: j.pid } : {}), ...(typeof j.version === 'string' ? { version: j.version } : {}), ...(typeof j.started_at === 'string' ? { startedAt: j.started_at } : {}) };
    } catch {
      return undefined;
    }
  }
  return undefined;
}

async function servicePid(port: number): Promise<number | undefined> {
  return (await serviceInfo(port))?.pid;
}
