// Pre-merge validation: every check of the seeds' premerge workflow, run as the real `rollout`
// subcommands against a temporary copy of the workspace (its demo ports moved to free ones), so
// that nothing real changes; the evidence lands in premerge_artifacts/.
import { spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { parseDocument } from 'yaml';
import { CONFIG_FILE, type Workspace } from '../config/workspace.js';
import { redactString } from '../audit/redact.js';
import { writeFileAtomic, writeJsonAtomic } from '../domain/fs-atomic.js';
import { freePort } from '../domain/free-port.js';
import { localLayout, readPid } from '../demo/layout.js';
import { serviceAlive } from '../targets/local.js';

/** One check's outcome. */
export interface PremergeCheck {
  name: string;
  title: string;
  ok: boolean;
  skipped?: boolean;
  exitCode: number | null;
  durationMs: number;
  artifact?: string;
  detail: string;
}

/** The whole run. */
export interface PremergeSummary {
  ok: boolean;
  env: string;
  baselineVersion?: string;
  candidateVersion?: string;
  startedAt: string;
  finishedAt: string;
  checks: PremergeCheck[];
  artifacts: string[];
  /** Set when the run was stopped by its signal before every check ran. */
  interrupted?: boolean;
}

export interface PremergeOptions {
  /** How to run this program: [node, cli entry]. */
  cli: [string, string];
  env?: string;
  version?: string;
  onCheck?: (c: PremergeCheck) => void;
  /** Aborted on Ctrl-C / SIGTERM: the running check is stopped, the copy's service too, and the run ends as interrupted. */
  signal?: AbortSignal;
}

/** The artifact names the seeds' PR checklist asks for. */
export const PREMERGE_LOGS = ['deploy-dryrun.log', 'migrate-dryrun.log', 'backup-dryrun.log', 'rollback-dryrun.log', 'postdeploy-smoketests.log', 'test_logging.log'] as const;

/** Copy what a rollout reads (config, schemas, runbooks, migrations, releases), not what it wrote. */
function copyWorkspace(ws: Workspace, to: string): void {
  copyFileSync(ws.configPath, join(to, CONFIG_FILE));
  for (const dir of ['schemas', 'runbooks', 'releases']) if (existsSync(join(ws.root, dir))) cpSync(join(ws.root, dir), join(to, dir), { recursive: true });
  if (existsSync(ws.migrationsDir)) cpSync(ws.migrationsDir, join(to, 'migrations'), { recursive: true, filter: (src) => !/_migration_state\.json$/.test(src) });
}

/** Move every local-target environment of every runbook in the copy to free ports (URLs too). */
async function isolatePorts(runbooksDir: string): Promise<Record<string, string>> {
  const kinds: Record<string, string> = {};
  const moved = new Map<number, number>();
  for (const f of readdirSync(runbooksDir).filter((x) => /\.ya?ml$/.test(x))) {
    const path = join(runbooksDir, f);
    const doc = parseDocument(readFileSync(path, 'utf8'));
    const envs = doc.getIn(['environments']) as { items?: { key: { value: string } }[] } | undefined;
    for (const item of envs?.items ?? []) {
      const env = item.key.value;
      const kind = doc.getIn(['environments', env, 'target', 'kind']) as string | undefined;
      kinds[env] = kind ?? 'unknown';
      const port = doc.getIn(['environments', env, 'target', 'port']) as number | undefined;
      if (kind === 'local' && typeof port === 'number' && !moved.has(port)) moved.set(port, await freePort());
    }
    // One pass, so that a new port is never rewritten again by the next replacement.
    const text = doc.toString().replace(/(127\.0\.0\.1:|localhost:|port: )(\d+)\b/g, (m, pre: string, port: string) => (moved.has(Number(port)) ? `${pre}${moved.get(Number(port))}` : m));
    writeFileSync(path, text);
  }
  return kinds;
}

function run(cli: [string, string], args: string[], cwd: string, signal?: AbortSignal): Promise<{ code: number | null; out: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    // With a signal, an abort sends the check SIGTERM (what Ctrl-C on the whole group would do).
    const child = spawn(cli[0], [cli[1], ...args], { cwd, env: { ...process.env, NO_COLOR: '1', ROLLOUT_OPERATOR: process.env.ROLLOUT_OPERATOR ?? 'premerge' }, stdio: ['ignore', 'pipe', 'pipe'], ...(signal ? { signal, killSignal: 'SIGTERM' as const } : {}) });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', (e) => {
      if (e.name !== 'AbortError') resolve({ code: null, out: `${out}${e.message}\n`, ms: Date.now() - started });
    });
    child.on('close', (code) => resolve({ code, out, ms: Date.now() - started }));
  });
}

/** Run pre-merge validation; artifacts replace ws.premergeDir when done. */
export async function runPremerge(ws: Workspace, opts: PremergeOptions): Promise<PremergeSummary> {
  const env = opts.env ?? 'staging';
  const startedAt = new Date().toISOString();
  const tmp = mkdtempSync(join(tmpdir(), 'rollout-premerge-'));
  const copy = join(tmp, 'workspace');
  const art = join(tmp, 'artifacts');
  mkdirSync(copy);
  mkdirSync(art);
  const checks: PremergeCheck[] = [];
  const cfg = ['--config', join(copy, CONFIG_FILE)];
  let serviceStarted = false;

  const step = async (name: string, title: string, args: string[], artifact?: string, opt: { expectFail?: boolean; copyFrom?: string } = {}): Promise<PremergeCheck> => {
    if (opts.signal?.aborted) throw new Interrupted();
    const r = await run(opts.cli, [...args, ...cfg], copy, opts.signal);
    if (opts.signal?.aborted) throw new Interrupted();
    const text = redactString(`$ rollout ${args.join(' ')}\n${r.out}${r.out.endsWith('\n') || !r.out ? '' : '\n'}exit ${r.code}\n`);
    if (artifact) {
      // A subcommand that writes its own dry-run log in the workspace gets that file first.
      const own = opt.copyFrom ? join(copy, opt.copyFrom) : undefined;
      const body = own && existsSync(own) ? `${readFileSync(own, 'utf8')}\n# --- command output ---\n${text}` : text;
      writeFileAtomic(join(art, artifact), body);
    }
    const ok = r.code === 0;
    const last = r.out.trim().split('\n').filter(Boolean).pop() ?? '';
    const c: PremergeCheck = { name, title, ok, exitCode: r.code, durationMs: r.ms, ...(artifact ? { artifact } : {}), detail: redactString(last).slice(0, 300) };
    checks.push(c);
    opts.onCheck?.(c);
    return c;
  };
  const skip = (name: string, title: string, why: string, artifact?: string): void => {
    if (artifact) writeFileAtomic(join(art, artifact), `skipped: ${why}\n`);
    const c: PremergeCheck = { name, title, ok: true, skipped: true, exitCode: null, durationMs: 0, ...(artifact ? { artifact } : {}), detail: `skipped: ${why}` };
    checks.push(c);
    opts.onCheck?.(c);
  };

  let baseline: string | undefined;
  let candidate: string | undefined;
  let interrupted = false;
  try {
    copyWorkspace(ws, copy);
    const kinds = await isolatePorts(join(copy, 'runbooks'));
    const local = kinds[env] === 'local';
    const config = await step('config', 'quality-gates-config.json and runbooks validate', ['validate-config'], 'validate-config.log');
    if (!config.ok) throw new Error('config invalid');
    const rbDoc = parseDocument(readFileSync(join(copy, 'runbooks', 'dhash.yaml'), 'utf8'));
    candidate = opts.version ?? (rbDoc.getIn(['environments', env, 'default_version']) as string | undefined);
    baseline = currentVersion(ws, env) ?? candidate;
    if (local) {
      serviceStarted = true;
      await step('setup', `${env} copy running the baseline ${baseline ?? '(default)'}`, ['deploy', '--env', env, ...(baseline ? ['--version', baseline] : []), '--yes', '--no-monitor'], 'setup.log');
      await step('smoke-pre', 'pre-deploy smoke tests', ['smoke', '--env', env, '--phase', 'pre-deploy', '--tier', 'all'], 'predeploy-smoketests.log');
    } else skip('smoke-pre', 'pre-deploy smoke tests', `the ${env} target is not the embedded service; premerge never touches a real one`, 'predeploy-smoketests.log');
    await step('backup-dry', 'backup dry-run', ['backup', '--env', env, '--dry-run'], 'backup-dryrun.log', { copyFrom: 'backup-dryrun.log' });
    if (local) {
      const b = await step('backup', 'backup created', ['backup', '--env', env], 'backup.log');
      if (b.ok) {
        for (const f of existsSync(join(copy, 'backups')) ? readdirSync(join(copy, 'backups')) : []) {
          if (f.endsWith('.zip')) copyFileSync(join(copy, 'backups', f), join(art, f));
          // Beside the zip, the checksum names it bare, so `sha256sum -c` works inside the folder.
          if (f.endsWith('.zip.sha256')) writeFileAtomic(join(art, f), readFileSync(join(copy, 'backups', f), 'utf8').replace(/ {2}\S*\//, '  '));
        }
        await step('verify', 'backup verified (sha256, zip, manifest)', ['verify', '--env', env], 'verify.log');
      }
    }
    await step('deploy-dry', `deploy dry-run of ${candidate ?? 'the default version'}`, ['deploy', '--env', env, ...(candidate ? ['--version', candidate] : []), '--dry-run', '--yes', '--no-monitor'], 'deploy-dryrun.log', { copyFrom: 'deploy-dryrun.log' });
    await step('migrate-dry', 'forward migration dry-run', ['migrate', '--env', env, '--type', 'forward', '--dry-run'], 'migrate-dryrun.log', { copyFrom: 'migrate-dryrun.log' });
    await step('rollback-dry', 'rollback dry-run', ['rollback', '--env', env, '--dry-run', '--force'], 'rollback-dryrun.log', { copyFrom: 'rollback-dryrun.log' });
    if (local) {
      const d = await step('deploy', `deploy ${candidate ?? 'the default version'} to the copy`, ['deploy', '--env', env, ...(candidate ? ['--version', candidate] : []), '--yes', '--no-monitor'], 'deploy.log');
      if (d.ok) await step('smoke-post', 'post-deploy smoke tests', ['smoke', '--env', env, '--phase', 'post-deploy', '--tier', 'all'], 'postdeploy-smoketests.log');
      else skip('smoke-post', 'post-deploy smoke tests', 'the deploy to the copy failed', 'postdeploy-smoketests.log');
    } else skip('smoke-post', 'post-deploy smoke tests', `the ${env} target is not the embedded service`, 'postdeploy-smoketests.log');
    await step('notify-dry', 'notification dry-run', ['notify', '--type', 'test', '--env', env, '--message', 'premerge validation', '--dry-run'], 'notify-dryrun.log');
    await step('logging', 'logging validation (redaction, JSON Lines)', ['validate-logging', '--output', join(art, 'test_logging.log')], 'validate-logging.log');
    checks[checks.length - 1]!.artifact = 'test_logging.log';
  } catch (e) {
    if (e instanceof Interrupted) {
      interrupted = true;
      checks.push({ name: 'premerge', title: 'premerge itself', ok: false, exitCode: null, durationMs: 0, detail: 'interrupted before every check ran' });
    } else if (!(e instanceof Error && e.message === 'config invalid')) {
      checks.push({ name: 'premerge', title: 'premerge itself', ok: false, exitCode: null, durationMs: 0, detail: redactString(e instanceof Error ? e.message : String(e)) });
    }
  } finally {
    if (serviceStarted) {
      await run(opts.cli, ['service', 'stop', '--env', env, ...cfg], copy);
      // What the copy started must not outlive it: a service that did not stop (its check was
      // killed mid-restart, say) is killed here, and the run says so.
      const pid = readPid(localLayout(copy, env));
      const left = pid !== undefined && serviceAlive(pid) ? pid : undefined;
      if (left) {
        killQuietly(left);
        checks.push({ name: 'cleanup', title: "the copy's service stopped", ok: false, exitCode: null, durationMs: 0, detail: `pid ${left} was still running after \`service stop\` and was killed` });
      }
    }
  }
  for (const name of PREMERGE_LOGS) if (!existsSync(join(art, name))) writeFileAtomic(join(art, name), 'not produced: an earlier check failed (see summary.md)\n');
  const summary: PremergeSummary = {
    ok: checks.every((c) => c.ok),
    env,
    ...(baseline ? { baselineVersion: baseline } : {}),
    ...(candidate ? { candidateVersion: candidate } : {}),
    startedAt,
    finishedAt: new Date().toISOString(),
    checks,
    artifacts: readdirSync(art).sort(),
    ...(interrupted ? { interrupted } : {}),
  };
  summary.artifacts = [...new Set([...summary.artifacts, 'summary.json', 'summary.md'])].sort();
  writeJsonAtomic(join(art, 'summary.json'), summary);
  writeFileAtomic(join(art, 'summary.md'), summaryMarkdown(summary));
  // Swap the new artifacts in whole: a reader sees the old folder or the new one.
  const old = `${ws.premergeDir}.old-${process.pid}`;
  if (existsSync(ws.premergeDir)) renameSync(ws.premergeDir, old);
  try {
    renameSync(art, ws.premergeDir);
  } catch {
    cpSync(art, ws.premergeDir, { recursive: true });
  }
  rmSync(old, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
  return summary;
}

class Interrupted extends Error {}

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* gone meanwhile */
  }
}

function currentVersion(ws: Workspace, env: string): string | undefined {
  const link = join(ws.deploymentsDir, env, 'current');
  try {
    return basename(readlinkSync(link));
  } catch {
    try {
      return (JSON.parse(readFileSync(join(ws.deploymentsDir, env, 'current.json'), 'utf8')) as { version?: string }).version;
    } catch {
      return undefined;
    }
  }
}

/** The summary as Markdown for the PR. */
export function summaryMarkdown(s: PremergeSummary): string {
  const rows = s.checks.map((c) => `| ${c.skipped ? 'SKIP' : c.ok ? 'PASS' : 'FAIL'} | ${c.title} | ${c.exitCode ?? '-'} | ${(c.durationMs / 1000).toFixed(1)} s | ${c.artifact ?? ''} |`);
  return [
    `# Pre-merge validation: ${s.ok ? 'PASSED' : 'FAILED'}`,
    '',
    `Environment copy: ${s.env}; baseline ${s.baselineVersion ?? '-'}, candidate ${s.candidateVersion ?? '-'}; ${s.startedAt} to ${s.finishedAt}.`,
    '',
    '| result | check | exit | time | artifact |',
    '| --- | --- | ---: | ---: | --- |',
    ...rows,
    '',
    `Artifacts: ${s.artifacts.join(', ')}`,
    '',
  ].join('\n');
}
