// End to end in a real terminal (tmux, 80x24, no colour) with the bundled CLI and the embedded demo
// service: a fresh workspace, the demo set-up from the home screen, a walk of a bad release whose
// automatic rollback shows on screen; then `rollout monitor` and a manual rollback by key that
// changes nothing before it is confirmed. The tmux server (own socket) and every service started
// are ended afterwards.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cliPath, makeWorkspace, runCli, shortenMonitoring } from '../helpers/cli.js';
import { killServices } from '../demo/service-helpers.js';
import { waitUntil } from '../helpers/frames.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const SOCKET = `rollout-e2e-${process.pid}`;
let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let stateDir: string;

function tmux(...args: string[]): string {
  const r = spawnSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`tmux ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

function sh(s: string): string {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** Start `rollout ARGS` in a new 80x24 tmux session; the shell stays after it exits to show the code. */
function start(name: string, args: string[], cwd?: string, size: [number, number] = [80, 24]): void {
  const env = ['NO_COLOR=1', `ROLLOUT_STATE_DIR=${stateDir}`, `ROLLOUT_PACKAGE_ROOT=${process.env.ROLLOUT_PACKAGE_ROOT ?? ''}`, 'TERM=xterm-256color'].map(sh).join(' ');
  const cmd = `env ${env} ${sh(process.execPath)} ${sh(cliPath())} ${args.map(sh).join(' ')}; echo EXIT=$?; sleep 600`;
  tmux('new-session', '-d', '-s', name, '-x', String(size[0]), '-y', String(size[1]), '-c', cwd ?? ws.root, cmd);
}

/** End a test's session whatever happened, so that a failed test leaves no TUI holding a lock. */
function endSession(name: string): void {
  spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', name]);
}

function screen(name: string): string {
  return tmux('capture-pane', '-p', '-t', name);
}

async function waitScreen(name: string, want: string | RegExp, ms = 30_000): Promise<string> {
  const ok = (s: string): boolean => (typeof want === 'string' ? s.includes(want) : want.test(s));
  return waitUntil(() => screen(name), ok, `${String(want)} on the "${name}" pane`, { ms, intervalMs: 50, show: (s) => s });
}

/** Presses `key` until `want` is on screen: a key sent while a busy machine is still drawing the pane can land before its handler. */
async function keyUntil(name: string, key: string, want: RegExp, ms = 30_000): Promise<string> {
  const end = Date.now() + ms;
  for (;;) {
    await settled(name, `the key ${JSON.stringify(key)}`);
    // No wait for a change here: the key may be lost on a busy machine (then it is pressed again).
    tmux('send-keys', '-t', name, key);
    try {
      return await waitScreen(name, want, 3000);
    } catch (e) {
      if (Date.now() > end) throw e;
    }
  }
}

/** The monitor's log pane (l, until `opened` shows), then its top (g): every line inside 60 columns, the window's start first. */
async function logPaneAtTop(name: string, opened: RegExp): Promise<void> {
  await keyUntil(name, 'l', opened);
  // (its time is not pinned: at load 10-15 the start event was written at T+00:01)
  const s = await keyUntil(name, 'g', /Log of this window[^\n]*\nT\+\d\d:\d\d started: watching 7 gates/);
  for (const line of s.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
}

/** q on a running monitor asks first; y quits with exit 1 (stopped before the window ended). */
async function quitMonitor(name: string): Promise<void> {
  await keys(name, 'q');
  await waitScreen(name, 'Quit while the window runs?');
  await keys(name, 'y');
  await waitScreen(name, /EXIT=1/);
}

/** Sends the keys, then waits until `want` is on screen (the screen those keys lead to). */
async function keysThen(name: string, want: string | RegExp, ...k: string[]): Promise<string> {
  await keys(name, ...k);
  return waitScreen(name, want);
}

/** The pane once two captures in a row agree: the screen has finished drawing what came before. */
function settled(name: string, what: string): Promise<string> {
  let last: string | undefined;
  return waitUntil(
    () => {
      const now = screen(name);
      const same = now === last;
      last = now;
      return same ? now : undefined;
    },
    (v): v is string => v !== undefined,
    `the "${name}" pane to finish drawing before ${what}`,
    { ms: 15_000, intervalMs: 30 },
  );
}

/** Sends each key once the pane has finished drawing, then waits for the pane to change (the key was taken). */
async function keys(name: string, ...k: string[]): Promise<void> {
  for (const x of k) {
    const what = `the key ${JSON.stringify(x)}`;
    const before = await settled(name, what);
    tmux('send-keys', '-t', name, x);
    await waitUntil(() => screen(name), (s) => s !== before, `the "${name}" pane to change after ${what}`, { ms: 15_000, intervalMs: 20, show: (s) => s });
  }
}

async function serviceVersion(): Promise<string> {
  const r = await runCli(['service', 'status', '--env', 'staging', '--json'], { cwd: ws.root });
  return (JSON.parse(r.stdout) as { version?: string }).version ?? '';
}

beforeAll(async () => {
  ws = await makeWorkspace();
  stateDir = mkdtempSync(join(tmpdir(), 'rollout-e2e-state-'));
  // A window of a minute with a poll a second, so the bad release trips within seconds.
  shortenMonitoring(ws.root, 'staging', { durationMinutes: 1, intervalSeconds: 1, maxWindowMinutes: 0.1 });
});

afterAll(async () => {
  if (hasTmux) {
    spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
    // kill-server leaves the socket file behind.
    if (process.getuid) rmSync(join(process.env.TMUX_TMPDIR ?? '/tmp', `tmux-${process.getuid()}`, SOCKET), { force: true });
  }
  await killServices(ws.root);
  ws.cleanup();
  rmSync(stateDir, { recursive: true, force: true });
});

describe.skipIf(!hasTmux)('the TUI in a real terminal', () => {
  afterEach(() => {
    for (const n of ['walk', 'mon', 'stop', 'oncall', 'alt', 'drill', 'narrow', 'resize']) endSession(n);
  });

  it('resized with the help open (80 -> 60 -> 160x48 -> 80 columns), the help box is drawn whole at once: no blank row in it, the title on top', async () => {
    start('resize', []);
    await waitScreen('resize', /\? help/);
    await keysThen('resize', 'Keys — home', '?');
    /** The settled pane once `want` shows, with the help box's rows checked: none blank, none past the edge. */
    const helpAt = async (columns: number, rows: number, want: RegExp): Promise<string> => {
      tmux('resize-window', '-t', 'resize', '-x', String(columns), '-y', String(rows));
      await waitScreen('resize', want);
      const s = await settled('resize', `the help at ${columns}x${rows}`);
      const lines = s.split('\n');
      const top = lines.findIndex((l) => l.startsWith('┌'));
      const bottom = lines.findIndex((l) => l.startsWith('└'));
      expect(top).toBeGreaterThan(0);
      expect(bottom).toBeGreaterThan(top);
      // Ink re-lays the old frame out at the new width at once; a row that then changed from
      // wrapped to cut kept its wrapped height: blank rows inside the box until the next redraw.
      for (const l of lines.slice(top + 1, bottom)) expect(l, s).not.toMatch(/^│\s*│$/);
      for (const l of lines) expect(l.length).toBeLessThanOrEqual(columns);
      expect(lines[0]).toMatch(/^guarded-rollout · /);
      return s;
    };
    // 60 columns: each key on one row, cut at the edge (the wrapped help does not fit 24 rows).
    let s = await helpAt(60, 24, /│ o {16}name: set the operator name \(remembere…/);
    expect(s).toMatch(/│ t {16}tune: thresholds proposed from the rec… │\n│ \? /);
    // 160x48: the whole help, each sentence on one row.
    s = await helpAt(160, 48, /chosen environment \(read-only until you confirm\) │/);
    await helpAt(80, 24, /│ {18}chosen environment \(read-only until you confirm\)/);
    await keysThen('resize', 'EXIT=0', 'q', 'q');
  }, 60_000);

  it('sets the demo up from home, walks a bad release and shows the automatic rollback', async () => {
    start('walk', []);
    let s = await waitScreen('walk', 'Operator: not set yet');
    expect(s).toContain('(*) dhash');
    expect(s).toContain('(*) staging');
    // The keys work at once on a fresh machine: ? is help (mentioning rollback), not a name.
    await keysThen('walk', 'rollout rollback --env ENV', '?');
    await keysThen('walk', '(*) staging', 'q');
    await keysThen('walk', 'type your name', 'Enter');
    await keysThen('walk', 'Operator: e2e', 'e2e', 'Enter');
    await keys('walk', 'Enter');
    s = await waitScreen('walk', 'Nothing is deployed on staging yet.');
    await keys('walk', 'y');
    s = await waitScreen('walk', 'The demo is set up: staging runs 1.0.0 with a verified backup.');
    expect(await serviceVersion()).toBe('1.0.0');
    await keysThen('walk', 'Release to roll out on staging (deployed now: 1.0.0)', 'Enter');
    await keysThen('walk', '> 1.2.0-backlog', 'Down');
    await keys('walk', 'Enter');
    // The checklist prompt (not just the step's spinner): its items and hints.
    s = await waitScreen('walk', 'enter continue');
    expect(s).toMatch(/\[ok\] Latest backup in backups\/ with its \.sha256/);
    await keysThen('walk', 'Deploy operator sign-off', 'Enter');
    await keys('walk', 'e2e', 'Enter');
    await waitScreen('walk', 'MONITOR staging 1.2.0-backlog', 60_000);
    s = await waitScreen('walk', /low_confidence_queue\s+\d+ items\s+>2000 items now/, 30_000);
    expect(s).toContain('r rollback');
    s = await waitScreen('walk', /ROLLBACK of staging — automatic: low_confidence_queue breached \(value \d+/, 60_000);
    s = await waitScreen('walk', 'Incident: INC-', 60_000);
    expect(s).toMatch(/done\s+Rollback executed/);
    expect(s).toMatch(/done\s+Consecutive OK health checks/);
    // The walk then ends on the monitor step, the rollback still on screen.
    s = await waitScreen('walk', /8\.monitor:FAILED[\s\S]*enter|8\.monitor:FAILED[\s\S]*q quit/, 60_000);
    expect(s).toMatch(/ROLLBACK of staging — automatic: low_confidence_queue breached/);
    expect(s).not.toMatch(/internal error|at .*\.js:\d+/);
    for (const line of s.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(await serviceVersion()).toBe('1.0.0');
    await keysThen('walk', 'EXIT=1', 'q');
    // The TUI left no lock behind.
    expect(spawnSync('ls', [join(ws.root, '.rollout', 'locks')], { encoding: 'utf8' }).stdout).not.toMatch(/\.lock/);
  }, 180_000);

  it('rolls back by key from rollout monitor: r asks, nothing changes until y, then the rollback screen', async () => {
    expect((await runCli(['deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--no-monitor'], { cwd: ws.root })).code).toBe(0);
    start('mon', ['monitor', '--env', 'staging']);
    let s = await waitScreen('mon', /MONITOR staging 1\.1\.0 · T\+/);
    await waitScreen('mon', /health_failures\s+0/);
    await keys('mon', 'r');
    s = await waitScreen('mon', 'Roll back staging?');
    s = await waitScreen('mon', 'running 1.1.0 → restoring 1.0.0');
    expect(s).toMatch(/Backup: backups\/dhash_staging_\d{8}_\d{6}\.zip, taken \d+ (s|min) ago/);
    expect(s).toMatch(/Verified: sha256 [0-9a-f]{16}… matches/);
    expect(await serviceVersion()).toBe('1.1.0');
    // NO_COLOR: the screen is plain text, every state a word.
    expect(tmux('capture-pane', '-p', '-e', '-t', 'mon')).not.toContain('\u001b[');
    await keys('mon', 'y');
    s = await waitScreen('mon', /ROLLBACK of staging — requested by the operator/);
    s = await waitScreen('mon', 'staging now runs 1.0.0.', 60_000);
    expect(s).toContain('ROLLED BACK');
    expect(s).toContain('Incident: INC-');
    expect(s).toMatch(/MONITOR staging 1\.0\.0 /);
    expect(await serviceVersion()).toBe('1.0.0');
    await keysThen('mon', /EXIT=\d/, 'q');
  }, 180_000);

  it('Ctrl-C on the monitor of a walk asks first, then stops safely: the walk is resumable and no lock is left', async () => {
    start('stop', []);
    await waitScreen('stop', 'Operator: e2e');
    await keysThen('stop', 'Release to roll out on staging', 'Enter');
    await keysThen('stop', 'enter continue', 'Enter');
    await keysThen('stop', 'Deploy operator sign-off', 'Enter');
    await keys('stop', 'e2e', 'Enter');
    await waitScreen('stop', /MONITOR staging 1\.1\.0 · T\+/, 60_000);
    await keys('stop', 'C-c');
    let s = await waitScreen('stop', 'Quit while the window runs?');
    expect(s).toContain('What stays running: the staging service at 1.1.0.');
    await keys('stop', 'y');
    s = await waitScreen('stop', 'interrupted');
    expect(s).toContain('--resume');
    await keysThen('stop', /EXIT=\d/, 'q');
    expect(await serviceVersion()).toBe('1.1.0');
    expect(spawnSync('ls', [join(ws.root, '.rollout', 'locks')], { encoding: 'utf8' }).stdout).not.toMatch(/\.lock/);
    const st = JSON.parse(readFileSync(join(ws.root, '.rollout', 'runs', 'dhash_staging.json'), 'utf8')) as { finished: boolean; steps: { id: string; status: string }[] };
    expect(st.finished).toBe(false);
    expect(st.steps.find((x) => x.id === 'deploy')!.status).toBe('done');
    expect(st.steps.find((x) => x.id === 'monitor')!.status).not.toBe('done');
  }, 180_000);

  it('a training drill asks at its decision point and scores the answer', async () => {
    // A workspace with the shipped staging gates (the shared one has shortened windows).
    const fresh = await makeWorkspace();
    try {
      start('drill', ['train', '--scenario', 'p95-regression', '--speed', '120'], fresh.root);
      await waitScreen('drill', /DECIDE NOW: hash times jumped right after the release/, 60_000);
      await keys('drill', 'r', 'Enter');
      // The rollback is confirmed as production asks: the environment's name, typed.
      await waitScreen('drill', "Confirm the rollback: type the environment's name (staging)");
      await keys('drill', 'staging', 'Enter');
      const s = await waitScreen('drill', /EXIT=\d/, 60_000);
      expect(s).toMatch(/SCORE: 3\/3/);
    expect(s).toMatch(/\[ok\]\s+decision at T\+13:00 \(roll back\): you rolled back at T\+1\d:\d\d/);
    expect(s).toContain('EXIT=0');
    } finally {
      endSession('drill');
      fresh.cleanup();
    }
  }, 90_000);

  it('draws on the alternate screen; after Ctrl-C the shell prompt and the earlier scrollback are back', async () => {
    // A real shell in the pane, with a line of scrollback before the TUI starts.
    tmux('new-session', '-d', '-s', 'alt', '-x', '80', '-y', '24', '-c', ws.root, 'env PS1=READY$ bash --norc --noprofile');
    await waitScreen('alt', 'READY$');
    await keysThen('alt', /^EARLIER-SCROLLBACK-LINE$/m, 'echo EARLIER-SCROLLBACK-LINE', 'Enter');
    const env = ['NO_COLOR=1', `ROLLOUT_STATE_DIR=${stateDir}`, `ROLLOUT_PACKAGE_ROOT=${process.env.ROLLOUT_PACKAGE_ROOT ?? ''}`, 'TERM=xterm-256color'].map(sh).join(' ');
    tmux('send-keys', '-t', 'alt', `env ${env} ${sh(process.execPath)} ${sh(cliPath())}; echo EXIT=$?`, 'Enter');
    let s = await waitScreen('alt', 'Operator: e2e');
    // Full screen: the shell's lines are not on it, and tmux reports the alternate screen.
    expect(s).not.toContain('EARLIER-SCROLLBACK-LINE');
    expect(tmux('display-message', '-p', '-t', 'alt', '#{alternate_on}').trim()).toBe('1');
    await keys('alt', 'C-c');
    s = await waitScreen('alt', 'EXIT=0');
    expect(tmux('display-message', '-p', '-t', 'alt', '#{alternate_on}').trim()).toBe('0');
    expect(s).toMatch(/^EARLIER-SCROLLBACK-LINE$/m);
    expect(s).toMatch(/READY\$ *$/m);
    expect(s).not.toContain('Operator: e2e');
  }, 60_000);

  it('on-call fast path: running → restoring, the older backup picked from the list is restored, NOBODY NOTIFIED with no channels', async () => {
    // 1.1.0 backed up, then a bad release over it: the newest backup holds 1.1.0, older ones 1.0.0.
    expect((await runCli(['deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--no-monitor'], { cwd: ws.root })).code).toBe(0);
    expect((await runCli(['backup', '--env', 'staging'], { cwd: ws.root })).code).toBe(0);
    expect((await runCli(['deploy', '--env', 'staging', '--version', '1.2.0-backlog', '--yes', '--no-monitor'], { cwd: ws.root })).code).toBe(0);
    start('oncall', ['rollback', '--env', 'staging']);
    let s = await waitScreen('oncall', 'Roll back staging?');
    s = await waitScreen('oncall', 'running 1.2.0-backlog → restoring 1.1.0');
    expect(s).toMatch(/Verified: sha256 [0-9a-f]{16}… matches/);
    expect(s).toMatch(/> 1\.1\.0 +\d+ (s|min) ago +[\d.]+ KB +dhash_staging_/);
    expect(s).toMatch(/ {2}1\.0\.0 +\d+ (s|min) ago +[\d.]+ KB +dhash_staging_/);
    expect(await serviceVersion()).toBe('1.2.0-backlog');
    await keys('oncall', 'j');
    s = await waitScreen('oncall', 'running 1.2.0-backlog → restoring 1.0.0');
    await keys('oncall', 'y');
    s = await waitScreen('oncall', 'staging now runs 1.0.0.', 60_000);
    expect(s).toContain('ROLLED BACK');
    expect(s).toMatch(/done\s+Backup integrity verified/);
    // No channel is configured in this workspace: the screen says nobody was told.
    expect(s).toMatch(/ALERT\s+NOBODY NOTIFIED \(critical\)/);
    expect(s).not.toContain('sent via fallback');
    expect(s).toContain('Incident: INC-');
    expect(await serviceVersion()).toBe('1.0.0');
    await keysThen('oncall', 'EXIT=0', 'q');
  }, 120_000);
  it('at 60 columns the monitor keeps every line inside the terminal and state words whole; its log pane scrolls; a resumed window is redrawn from its journal', async () => {
    expect((await runCli(['deploy', '--env', 'staging', '--version', '1.1.0', '--yes', '--no-monitor'], { cwd: ws.root })).code).toBe(0);
    start('narrow', ['monitor', '--env', 'staging'], undefined, [60, 24]);
    let s = await waitScreen('narrow', /health_failures\s+0/);
    s = await waitScreen('narrow', /polls every 1 s · [2-9]\d* polls/);
    for (const line of s.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    expect(s).not.toMatch(/every \?/);
    // State words whole at 60 columns: "ok", never a clipped "o…".
    expect(s).toMatch(/^> health_failures\S*\s.*\sok\b/m);
    expect(s).not.toMatch(/\b(BREAC|no-dat|insuff)…/);
    // The key hints wrap between hints, never inside one ("q" on one row, "quit" on the next).
    expect(s).toMatch(/^.*\bq quit\b/m);
    expect(s).toMatch(/^.*\br rollback\b/m);
    await logPaneAtTop('narrow', /Log of this window/);
    await quitMonitor('narrow');
    endSession('narrow');
    // Resumed: the polls so far and the stop are on screen from the journal, with their times.
    start('narrow', ['monitor', '--env', 'staging', '--resume'], undefined, [60, 24]);
    await waitScreen('narrow', /MONITOR staging 1\.1\.0/);
    await waitScreen('narrow', /resumed: watching 7 gates/);
    // The stop is in the log; g: the top of the log, the window's start as the journal recorded it.
    await logPaneAtTop('narrow', /Log of this window[\s\S]*T\+\d\d:\d\d the monitor was stopped/);
    await quitMonitor('narrow');
  }, 120_000);
});
