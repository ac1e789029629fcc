// What a backup of an environment takes in: the runbook's `backup.include`, else the target's
// state (for the local target: the deployed release folder, the `current` link or pointer, the
// service config and the migration state), walked into manifest-ready entries.
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { EngineContext } from '../config/engine-context.js';
import { ConfigError, StepFailedError } from '../domain/errors.js';
import { resolveLinkTarget, unsafePathReason, type ManifestRoot, MANIFEST_NAME } from './manifest.js';
import { scopeRoots, type ScopeRoot } from './scope.js';

/**
 * What a backup needs of the environment's target: its kind and the version it runs. The use
 * case passes the real target (src/usecases/backup.ts); backup/ sits below targets/ and names
 * no target type itself.
 */
export interface DeployedState {
  readonly kind: string;
  currentVersion(): Promise<string | undefined>;
}

/**
 * One thing to archive, workspace-relative with `/` separators (its file is the workspace root
 * joined with `path`); `mtime` in ms since the epoch. Kept small: a plan of 200k files is held in
 * memory while it is archived (no absolute path or Date per item).
 */
export type PlanItem =
  | { kind: 'file'; path: string; size: number; mode: number; mtime: number }
  | { kind: 'dir'; path: string; mode: number; mtime: number }
  | { kind: 'symlink'; path: string; target: string; mtime: number };

/** The whole plan of a backup. */
export interface BackupPlan {
  roots: ManifestRoot[];
  items: PlanItem[];
  version: string | null;
  files: number;
  bytes: number;
  /** Things skipped (sockets, fifos), as sentences for the log. */
  skipped: string[];
}

/** The roots a backup of this environment covers (scopeRoots, the one derivation), and the deployed version. */
export async function stateRoots(ctx: EngineContext, target: DeployedState): Promise<{ roots: ScopeRoot[]; version: string | null }> {
  const version = (await target.currentVersion().catch(() => undefined)) ?? null;
  const roots = scopeRoots(ctx.ws.root, ctx.env, ctx.target);
  if (ctx.target.backup?.include?.length) return { roots, version };
  if (roots.length === 0) {
    throw new ConfigError(`${ctx.runbook.file}: environment "${ctx.env}" has a ${target.kind} target, so name what to back up in environments.${ctx.env}.backup.include.`);
  }
  if (target.kind === 'local' && version === null) {
    throw new StepFailedError(`Nothing is deployed in ${ctx.env}: ${roots.find((r) => r.path.endsWith('/current'))?.path ?? 'the current link'} does not exist (deploy a release first).`);
  }
  return { roots, version };
}

/** Walk the roots into a plan; a root that does not exist is recorded as absent. */
export async function planBackup(ctx: EngineContext, target: DeployedState): Promise<BackupPlan> {
  const { roots: scope, version } = await stateRoots(ctx, target);
  const paths = scope.map((r) => r.path);
  const roots: ManifestRoot[] = [];
  const items: PlanItem[] = [];
  const skipped: string[] = [];
  const seen = new Set<string>();
  for (const { path: root, absent } of scope) {
    const why = unsafePathReason(root);
    if (why || root === MANIFEST_NAME) throw new ConfigError(`${ctx.runbook.file}: backup path "${root}" has ${why ?? 'a reserved name'}; use a path inside the workspace.`);
    if ([...seen].some((s) => root === s || root.startsWith(`${s}/`) || s.startsWith(`${root}/`))) {
      throw new ConfigError(`${ctx.runbook.file}: backup path "${root}" overlaps another backup path.`);
    }
    seen.add(root);
    const abs = join(ctx.ws.root, root);
    let st;
    try {
      st = lstatSync(abs);
    } catch {
      // What a missing root becomes is part of the scope, so that verify can hold manifests to it.
      if (absent === 'never') throw new StepFailedError(`Cannot back up ${ctx.env}: ${root} does not exist (deploy a release first).`);
      if (absent === 'recorded') roots.push({ path: root, kind: 'absent' });
      continue;
    }
    if (st.isSymbolicLink()) roots.push({ path: root, kind: 'symlink' });
    else if (st.isDirectory()) roots.push({ path: root, kind: 'dir' });
    else if (st.isFile()) roots.push({ path: root, kind: 'file' });
    else {
      skipped.push(`${root} is neither a file, a folder nor a link`);
      continue;
    }
    walk(root, abs, items, skipped);
  }
  if (items.length === 0) throw new StepFailedError(`Nothing to back up for ${ctx.env}: none of ${paths.join(', ')} exists.`);
  let files = 0;
  let bytes = 0;
  for (const it of items) {
    if (it.kind === 'file') {
      files++;
      bytes += it.size;
    }
  }
  return { roots, items, version, files, bytes, skipped };
}

function walk(rel: string, abs: string, out: PlanItem[], skipped: string[]): void {
  const st = lstatSync(abs);
  if (st.isSymbolicLink()) {
    const target = readlinkSync(abs).replaceAll('\\', '/');
    const r = resolveLinkTarget(rel, target);
    if ('reason' in r) throw new StepFailedError(`Cannot back up ${rel}: the link ${r.reason}.`);
    out.push({ kind: 'symlink', path: rel, target, mtime: st.mtimeMs });
  } else if (st.isFile()) {
    out.push({ kind: 'file', path: rel, size: st.size, mode: st.mode & 0o7777, mtime: st.mtimeMs });
  } else if (st.isDirectory()) {
    out.push({ kind: 'dir', path: rel, mode: st.mode & 0o7777, mtime: st.mtimeMs });
    for (const name of readdirSync(abs).sort()) walk(`${rel}/${name}`, join(abs, name), out, skipped);
  } else skipped.push(`${rel} is neither a file, a folder nor a link`);
}
