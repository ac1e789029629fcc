// Given the package as `npm pack` makes it (package.json's "files", the bundle the build makes),
// when it is installed globally into a temp prefix with no network, then `rollout` runs from an
// unrelated folder with none of this checkout around: help, version, the man page, `rollout init`,
// a full demo rollout there (walk, backup, status, the seeds' smoke script, stop) and the TUI.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventClock, REPO, rewirePorts, shortenMonitoring } from '../helpers/cli.js';
import { alive, killServices } from '../demo/service-helpers.js';

const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string; files: string[]; dependencies?: Record<string, string>; scripts: Record<string, string> };
const isWin = process.platform === 'win32';
let tmp: string;
let prefix: string;
let binDir: string;
let work: string;
const figures: Record<string, string | number> = {};

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment of a machine with only the installed package: no test hooks pointing at this checkout. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^ROLLOUT_|^npm_|^VITEST|^NODE_OPTIONS$/.test(k)) env[k] = v;
  env.PATH = `${binDir}${delimiter}${process.env.PATH ?? ''}`;
  env.NO_COLOR = '1';
  env.ROLLOUT_STATE_DIR = join(tmp, 'state');
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, opts: { env?: Record<string, string>; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env: opts.env ?? cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'], shell: isWin });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
}

const rollout = (args: string[], cwd: string, timeoutMs?: number): Promise<Run> => run(join(binDir, isWin ? 'rollout.cmd' : 'rollout'), args, cwd, { ...(timeoutMs ? { timeoutMs } : {}) });

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'rollout-pkg-'));
  // The package folder as npm pack sees it: this checkout's shipped files and the bundle the
  // global setup built with scripts/build.mjs (the same function prepack runs).
  const stage = join(tmp, 'stage');
  mkdirSync(stage);
  for (const f of ['package.json', 'README.md', 'bin', 'runbooks', 'releases', 'migrations', 'schemas', 'quality-gates-config.json', 'scripts']) cpSync(join(REPO, f), join(stage, f), { recursive: true });
  cpSync(process.env.ROLLOUT_TEST_DIST!, join(stage, 'dist'), { recursive: true });
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], stage, { env: { ...process.env, npm_config_update_notifier: 'false' } as Record<string, string> });
  expect(packed.code, packed.stderr).toBe(0);
  const info = (JSON.parse(packed.stdout) as { filename: string; size: number; unpackedSize: number; entryCount: number; files: { path: string }[] }[])[0]!;
  figures.tarball_bytes = info.size;
  figures.unpacked_bytes = info.unpackedSize;
  figures.files = info.entryCount;
  expect(info.files.map((f) => f.path)).toEqual(expect.arrayContaining(['dist/cli.js', 'dist/dhash-service.js', 'dist/workers/write-worker.js', 'dist/workers/pack-worker.js', 'dist/workers/hash-worker.js', 'dist/rollout.1', 'bin/rollout.js', 'runbooks/dhash.yaml', 'releases/1.1.0/release.json', 'migrations/dhash/001-match-threshold.json', 'scripts/deploy_dhash.sh', 'scripts/deploy_dhash.ps1', 'scripts/monitor_dhash.js']));
  // No source, tests, maps or dev tooling in the package.
  expect(info.files.filter((f) => /^(src|test|node_modules)\/|\.map$|\.ts$/.test(f.path))).toEqual([]);

  prefix = join(tmp, 'prefix');
  binDir = isWin ? prefix : join(prefix, 'bin');
  const t0 = Date.now();
  // --offline: the package has no runtime dependencies, so nothing is fetched.
  const inst = await run('npm', ['install', '-g', '--prefix', prefix, '--offline', '--no-audit', '--no-fund', join(tmp, info.filename)], tmp, { env: { ...process.env, npm_config_update_notifier: 'false' } as Record<string, string> });
  figures.install_ms = Date.now() - t0;
  expect(inst.code, inst.stderr).toBe(0);
  expect(inst.stdout).toMatch(/added 1 package/);
  work = join(tmp, 'unrelated', 'folder');
  mkdirSync(work, { recursive: true });
}, 180_000);

afterAll(async () => {
  if (work) await killServices(join(work, 'demo'));
  // The figures the issue asks for, in the test output.
  console.log(`package: ${JSON.stringify(figures)}`);
  rmSync(tmp, { recursive: true, force: true });
});

describe('the packed package installed globally', () => {
  it('declares no runtime dependencies and builds on prepack and prepare', () => {
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(pkg.scripts.prepack).toBe('node scripts/build.mjs');
    expect(pkg.scripts.prepare).toBe('node scripts/build.mjs');
    const installed = join(prefix, isWin ? '' : 'lib', 'node_modules', 'guarded-rollout');
    expect(existsSync(join(installed, 'node_modules'))).toBe(false);
  });

  it('answers --help, help COMMAND and --version --json from an unrelated folder, and installs the man page', async () => {
    const help = await rollout(['--help'], work);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: rollout');
    expect(help.stdout).toMatch(/\n {2}init \[options\] \[dir\]/);
    const h = await rollout(['help', 'deploy'], work);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('--backup-first');
    const v = await rollout(['--version', '--json'], work);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ name: 'guarded-rollout', version: pkg.version });
    if (!isWin) {
      const man = readFileSync(join(prefix, 'share', 'man', 'man1', 'rollout.1'), 'utf8');
      expect(man).toMatch(/^\.TH ROLLOUT 1 /);
      expect(man).toContain('rollout init');
    }
    // Outside a workspace, a command says how to get one.
    const none = await rollout(['validate-config'], work);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^rollout: No quality-gates-config\.json in /);
  });

  it('init makes a workspace where a whole demo rollout runs, then everything is stopped', async () => {
    const init = await rollout(['init', 'demo'], work);
    expect(init.code, init.stderr).toBe(0);
    const ws = join(work, 'demo');
    await rewirePorts(ws);
    shortenMonitoring(ws, 'staging', { durationMinutes: 0.05, intervalSeconds: 0.5, maxWindowMinutes: 0.05 });
    expect((await rollout(['validate-config'], ws)).code).toBe(0);
    // First release and its backup (what the TUI's demo set-up does), then the whole runbook for
    // the next one: checklist, backup, verify, sign-off, migrate, deploy, smoke, T+60 monitor.
    const first = await rollout(['deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor'], ws);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const backup = await rollout(['backup', '--env', 'staging', '--json'], ws);
    expect(backup.code, backup.stderr).toBe(0);
    // The walk's 3 s monitor window must pass whatever the load: the one test hook let through is the event clock.
    const walk = await run(join(binDir, isWin ? 'rollout.cmd' : 'rollout'), ['run', 'dhash', '--env', 'staging', '--version', '1.1.0', '--confirm', 'all', '--sign-off', 'alice', '--operator', 'alice', '--yes'], ws, { env: cleanEnv(eventClock(ws)), timeoutMs: 180_000 });
    expect(walk.code, walk.stdout + walk.stderr).toBe(0);
    const st = await rollout(['service', 'status', '--env', 'staging', '--json'], ws);
    const status = JSON.parse(st.stdout) as { running: boolean; version: string; pid: number };
    expect(status).toMatchObject({ running: true, version: '1.1.0' });
    // The service runs from the installed package's bundle, not from this checkout.
    if (existsSync(`/proc/${status.pid}/cmdline`)) expect(readFileSync(`/proc/${status.pid}/cmdline`, 'utf8')).toContain(join(prefix, isWin ? '' : 'lib', 'node_modules', 'guarded-rollout', 'dist', 'dhash-service.js'));
    expect(readdirSync(join(ws, 'backups')).filter((f) => /^dhash_staging_\d{8}_\d{6}\.zip(\.sha256)?$/.test(f)).length).toBeGreaterThanOrEqual(4);
    if (!isWin) {
      // The seeds' script, as copied by init, finds the installed rollout on PATH.
      const smoke = await run(join(ws, 'scripts', 'smoke_tests.sh'), ['--env', 'staging', '--post-deploy'], ws);
      expect(smoke.code, smoke.stderr).toBe(0);
      expect(smoke.stdout).toMatch(/4 passed, 0 failed/);
    }
    expect(readdirSync(join(ws, 'logs')).some((f) => /^dhash_staging_\d{8}_\d{6}\.log$/.test(f))).toBe(true);
    const stop = await rollout(['service', 'stop', '--env', 'staging'], ws);
    expect(stop.code).toBe(0);
    expect(alive(status.pid)).toBe(false);
  }, 240_000);

  const hasTmux = !isWin && spawnSync('tmux', ['-V']).status === 0;
  it.skipIf(!hasTmux)('opens the TUI in a terminal from the new workspace', async () => {
    const ws = join(work, 'demo');
    const socket = `rollout-pkg-${process.pid}`;
    const tmux = (...a: string[]): string => spawnSync('tmux', ['-L', socket, ...a], { encoding: 'utf8' }).stdout;
    const env = Object.entries(cleanEnv({ TERM: 'xterm-256color' })).filter(([k]) => /^(PATH|HOME|NO_COLOR|TERM|ROLLOUT_STATE_DIR)$/.test(k));
    const cmd = `env ${env.map(([k, v]) => `'${k}=${v.replaceAll("'", "'\\''")}'`).join(' ')} rollout; echo EXIT=$?; sleep 60`;
    spawnSync('tmux', ['-L', socket, 'new-session', '-d', '-s', 'tui', '-x', '80', '-y', '24', '-c', ws, cmd]);
    try {
      let screen = '';
      const end = Date.now() + 30_000;
      while (!screen.includes('(*) dhash') && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 200));
        screen = tmux('capture-pane', '-p', '-t', 'tui');
      }
      expect(screen).toContain('(*) dhash');
      expect(screen).toContain('staging');
      tmux('send-keys', '-t', 'tui', 'q');
      const end2 = Date.now() + 10_000;
      while (!screen.includes('EXIT=') && Date.now() < end2) {
        await new Promise((r) => setTimeout(r, 200));
        screen = tmux('capture-pane', '-p', '-t', 'tui');
      }
      expect(screen).toContain('EXIT=0');
    } finally {
      spawnSync('tmux', ['-L', socket, 'kill-server']);
      if (process.getuid) rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid()}`, socket), { force: true });
    }
  }, 60_000);

  it('keeps the package small: under 3 MB packed, installed offline in under a minute', () => {
    expect(Number(figures.tarball_bytes)).toBeLessThan(3 * 1024 * 1024);
    expect(Number(figures.install_ms)).toBeLessThan(60_000);
  });
});
