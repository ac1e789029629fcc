// The artifacts checklist's automatic checks: backup-present, backup-verified, config-valid,
// {path} and {glob}. Each reports what it found in one phrase, so a screen and a log can show it.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { listRunbooks } from '../config/runbook-files.js';
import type { RunbookStep } from '../config/runbook-schema.js';
import { RolloutError } from '../domain/errors.js';
import type { EngineContext } from '../config/engine-context.js';
import type { BackupInfo, RunnerEngines, StepIO } from './runner-engines.js';
import { listBackups } from '../backup/names.js';
import { formatBytes } from '../domain/format.js';

/** The newest backup of the environment by name (not verified here), workspace-relative. */
export function newestBackup(ctx: EngineContext): BackupInfo | undefined {
  const name = listBackups(ctx.ws.backupsDir, ctx.env)[0];
  if (!name) return undefined;
  let bytes = 0;
  try {
    bytes = statSync(join(ctx.ws.backupsDir, name)).size;
  } catch {
    return undefined;
  }
  return { path: `backups/${name}`, sha256: '', bytes, verified: false };
}

type ChecklistStep = Extract<RunbookStep, { type: 'checklist' }>;
type ChecklistItemDef = ChecklistStep['items'][number];

/** One checklist item as checked now. */
export interface ChecklistItemResult {
  id: string;
  label: string;
  /** The check's name: manual, backup-present, backup-verified, config-valid, path, glob. */
  check: string;
  required: boolean;
  manual: boolean;
  /** true / false for automatic items; manual items are true once the operator confirmed them. */
  ok: boolean;
  /** What was found (or not), in one phrase. */
  found: string;
  /** What the operator can do when it is missing (ENV filled in). */
  fix?: string;
  /** The artifact behind it, when it is a backup (its hash goes into the sign-off). */
  backup?: BackupInfo;
}

/** Turn a glob of `*`, `?` and `**` segments into a matcher of one path segment list. */
function globMatch(pattern: string[], parts: string[]): boolean {
  if (pattern.length === 0) return parts.length === 0;
  const [head, ...rest] = pattern as [string, ...string[]];
  if (head === '**') {
    for (let i = 0; i <= parts.length; i++) if (globMatch(rest, parts.slice(i))) return true;
    return false;
  }
  if (parts.length === 0) return false;
  const re = new RegExp(`^${head.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')}$`);
  return re.test(parts[0]!) && globMatch(rest, parts.slice(1));
}

/** Files under `root` matching a workspace-relative glob (first `limit` found). */
export function globFiles(root: string, pattern: string, limit = 50): string[] {
  const pat = pattern.replaceAll('\\', '/').split('/').filter((s) => s && s !== '.');
  const out: string[] = [];
  const walk = (dir: string, rel: string[], depth: number): void => {
    if (out.length >= limit || depth > 12) return;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names.sort()) {
      if (n === 'node_modules' || n === '.git') continue;
      const p = join(dir, n);
      const r = [...rel, n];
      let isDir = false;
      try {
        isDir = statSync(p).isDirectory();
      } catch {
        continue;
      }
      if (!isDir && globMatch(pat, r)) out.push(r.join('/'));
      if (isDir) walk(p, r, depth + 1);
      if (out.length >= limit) return;
    }
  };
  walk(root, [], 0);
  return out;
}

/** Check one item; manual items come back unconfirmed (ok = confirmed.has(id)). */
export async function checkItem(ctx: EngineContext, engines: RunnerEngines, item: ChecklistItemDef, confirmed: ReadonlySet<string>, io: StepIO): Promise<ChecklistItemResult> {
  const fix = item.fix?.replaceAll('ENV', ctx.env);
  const base = { id: item.id, label: item.label, required: item.required, ...(fix ? { fix } : {}) };
  const check = item.check;
  if (check === 'manual') {
    const ok = confirmed.has(item.id);
    return { ...base, check: 'manual', manual: true, ok, found: ok ? 'confirmed by the operator' : 'to be confirmed by the operator' };
  }
  const auto = { ...base, manual: false };
  if (check === 'backup-present') {
    const b = engines.latestBackup(ctx);
    if (!b) return { ...auto, check, ok: false, found: `no backup of ${ctx.env} in backups/` };
    const hasSum = existsSync(join(ctx.ws.root, `${b.path}.sha256`));
    return hasSum ? { ...auto, check, ok: true, found: `${b.path} (${formatBytes(b.bytes)}) with its .sha256`, backup: b } : { ...auto, check, ok: false, found: `${b.path} has no .sha256 beside it` };
  }
  if (check === 'backup-verified') {
    const b = engines.latestBackup(ctx);
    if (!b) return { ...auto, check, ok: false, found: `no backup of ${ctx.env} to verify` };
    try {
      const r = await engines.verifyBackup(ctx, { path: b.path, ...io });
      const v = r.backup ?? { ...b, verified: true };
      return { ...auto, check, ok: v.verified, found: v.verified ? `${v.path} verifies (sha256 ${v.sha256.slice(0, 12)}…)` : `${v.path} does not verify: ${v.detail ?? r.summary}`, backup: v };
    } catch (e) {
      if (e instanceof RolloutError) return { ...auto, check, ok: false, found: e.message.replace(/\.$/, '') };
      throw e;
    }
  }
  if (check === 'config-valid') {
    try {
      // Loaded here, not with the module: the TUI's first frame needs this module, not yaml and zod.
      const [{ loadGatesConfig }, { loadRunbook }] = await Promise.all([import('../config/gates.js'), import('../config/runbook.js')]);
      loadGatesConfig(ctx.ws.configPath, 'quality-gates-config.json');
      const files = listRunbooks(ctx.ws.runbooksDir);
      for (const f of files) loadRunbook(join(ctx.ws.runbooksDir, f), `runbooks/${f}`);
      return { ...auto, check, ok: true, found: `quality-gates-config.json and ${files.length} runbook${files.length === 1 ? '' : 's'} valid` };
    } catch (e) {
      if (e instanceof RolloutError) return { ...auto, check, ok: false, found: e.message.replace(/\.$/, '') };
      throw e;
    }
  }
  if ('path' in check) {
    const p = join(ctx.ws.root, check.path);
    if (!existsSync(p)) return { ...auto, check: 'path', ok: false, found: `${check.path} not found` };
    const st = statSync(p);
    return { ...auto, check: 'path', ok: true, found: st.isDirectory() ? `${check.path}/ present` : `${check.path} (${formatBytes(st.size)})` };
  }
  const hits = globFiles(ctx.ws.root, check.glob);
  return { ...auto, check: 'glob', ok: hits.length > 0, found: hits.length ? `${hits.length === 50 ? '50+' : hits.length} match${hits.length === 1 ? '' : 'es'}, e.g. ${hits[0]}` : `nothing matches ${check.glob}` };
}

/** Check every item of a checklist step. */
export async function checkAll(ctx: EngineContext, engines: RunnerEngines, step: ChecklistStep, confirmed: ReadonlySet<string>, io: StepIO): Promise<ChecklistItemResult[]> {
  const out: ChecklistItemResult[] = [];
  for (const item of step.items) out.push(await checkItem(ctx, engines, item, confirmed, io));
  return out;
}
