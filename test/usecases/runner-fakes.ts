// Stand-in engines for the runner's and the screens' tests: they do real, small things on disk
// (a backup is a real file with a real .sha256 that verification re-hashes) and record the calls,
// so the tests can check what the runner asked of the engines and what it wrote itself.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileStamp } from '../../src/domain/time.js';
import { RefusedError } from '../../src/domain/errors.js';
import type { EngineContext } from '../../src/config/engine-context.js';
import type { BackupInfo, EngineOutcome, RunnerEngines, SmokeRow, StepIO } from '../../src/usecases/runner-engines.js';
import { newestBackup } from '../../src/usecases/runner-checklist.js';

export interface FakeOptions {
  smokeFails?: boolean;
  /** Deploy waits until the abort signal (to test Ctrl-C), then reports it stopped. */
  deployBlocksUntilAbort?: boolean;
  deployFails?: boolean;
  /** The monitor reports a live session, then runs until the abort signal. */
  monitorUntilAbort?: boolean;
}

/** Fake engines and the calls they saw. */
export function fakeEngines(o: FakeOptions = {}): RunnerEngines & { calls: string[]; opts: FakeOptions } {
  const calls: string[] = [];
  let seq = 0;
  const writeBackup = (ctx: EngineContext, io: StepIO): BackupInfo => {
    mkdirSync(ctx.ws.backupsDir, { recursive: true });
    const name = `dhash_${ctx.env}_${fileStamp(Date.UTC(2026, 10, 23, 10, 0, seq++))}.zip`;
    const data = Buffer.alloc(256 * 1024, name);
    writeFileSync(join(ctx.ws.backupsDir, name), data);
    const sha = createHash('sha256').update(data).digest('hex');
    writeFileSync(join(ctx.ws.backupsDir, `${name}.sha256`), `${sha}  backups/${name}\n`);
    io.onProgress({ done: data.length / 2, total: data.length });
    io.onProgress({ done: data.length, total: data.length });
    return { path: `backups/${name}`, sha256: sha, bytes: data.length, verified: false };
  };
  const eng: RunnerEngines & { calls: string[]; opts: FakeOptions } = {
    calls,
    opts: o,
    availableVersions: async () => ['1.0.0', '1.1.0', '1.2.0-failing'],
    currentVersion: async () => '1.0.0',
    latestBackup: (ctx) => newestBackup(ctx),
    createBackup: async (ctx, io) => {
      calls.push(`backup${io.dryRun ? ':dry' : ''}`);
      if (io.dryRun) return { summary: 'dry-run: would archive 3 files' };
      const b = writeBackup(ctx, io);
      return { summary: `${b.path} written`, backup: b };
    },
    verifyBackup: async (ctx, io) => {
      calls.push(`verify:${io.path ?? 'latest'}`);
      const b = io.path ? { path: io.path } : newestBackup(ctx);
      if (!b) throw new RefusedError(`No backup of ${ctx.env} to verify.`);
      const abs = join(ctx.ws.root, b.path);
      const data = readFileSync(abs);
      const sha = createHash('sha256').update(data).digest('hex');
      const want = existsSync(`${abs}.sha256`) ? readFileSync(`${abs}.sha256`, 'utf8').slice(0, 64) : '';
      if (sha !== want) throw new RefusedError(`${b.path} does not match its .sha256.`);
      io.onProgress({ done: data.length, total: data.length });
      return { summary: `${b.path} verifies`, backup: { path: b.path, sha256: sha, bytes: data.length, verified: true } };
    },
    migrate: async (_ctx, io) => {
      calls.push(`migrate:${io.direction}${io.dryRun ? ':dry' : ''}`);
      io.onSubstep('001_add_index', 'running');
      io.onLine('applying 001_add_index');
      io.onSubstep('001_add_index', 'ok');
      return { summary: '1 migration applied' };
    },
    deploy: async (_ctx, io) => {
      calls.push(`deploy:${io.version}${io.dryRun ? ':dry' : ''}`);
      io.onSubstep('install', 'running');
      io.onLine(`installing ${io.version}`);
      io.onSubstep('install', 'ok');
      if (o.deployBlocksUntilAbort) {
        io.onSubstep('restart', 'running');
        await new Promise<void>((r) => (io.signal.aborted ? r() : io.signal.addEventListener('abort', () => r(), { once: true })));
        io.onSubstep('restart', 'failed', 'stopped: the previous release was put back');
        return { summary: 'deploy stopped; previous release restored', failed: true };
      }
      if (o.deployFails) throw new RefusedError('health never turned OK; the previous release was put back.');
      io.onSubstep('restart', 'ok');
      return { summary: `${io.version} deployed`, version: io.version };
    },
    smoke: async (_ctx, io) => {
      calls.push(`smoke:${io.phase}`);
      const rows: SmokeRow[] = [
        { id: 'health', tier: 'critical', ok: true, detail: 'HTTP 200', ms: 3 },
        { id: 'golden-hash', tier: 'critical', ok: !o.smokeFails, detail: o.smokeFails ? 'hash 00ff… expected 0f0f…' : 'hash matches', ms: 5 },
      ];
      return { summary: `${rows.filter((r) => r.ok).length}/${rows.length} passed`, smoke: rows };
    },
    monitor: async (_ctx, io) => {
      calls.push(`monitor${io.dryRun ? ':dry' : ''}`);
      if (o.monitorUntilAbort) {
        io.onSession({ kind: 'monitor', handle: { fake: true } });
        await new Promise<void>((r) => (io.signal.aborted ? r() : io.signal.addEventListener('abort', () => r(), { once: true })));
        return { summary: 'stopped by the operator', failed: true };
      }
      return { summary: 'window passed: all gates ok' };
    },
    rollback: async (_ctx, io) => {
      calls.push(`rollback${io.dryRun ? ':dry' : ''}${io.backup ? `:${io.backup}` : ''}`);
      return { summary: 'restored', incidentId: 'INC-20261123-100000' };
    },
    notify: async (_ctx, n) => {
      calls.push(`notify:${n.type}`);
      return { summary: 'fallback' };
    },
  };
  return eng;
}

/** Put a backup in place before a walk (as the demo setup does). */
export async function seedBackup(ctx: EngineContext, engines: RunnerEngines): Promise<EngineOutcome> {
  const io: StepIO = { onLine: () => undefined, onProgress: () => undefined, onSubstep: () => undefined, signal: new AbortController().signal };
  return engines.createBackup(ctx, { dryRun: false, ...io });
}
