// What a backup of an environment may contain: the ONE derivation of its roots from the runbook,
// used by `rollout backup` (what it archives), by verify (what a manifest may name) and by the
// restore (what it may replace or remove). A manifest is data from a file anyone can rewrite,
// .sha256 included, so it never decides by itself which workspace paths a rollback touches.
import { join, relative, sep } from 'node:path';
import type { LoadedRunbook } from '../config/runbook.js';
import type { EnvironmentRunbook } from '../config/runbook-schema.js';
import type { Workspace } from '../config/workspace.js';
import type { EngineContext } from '../config/engine-context.js';
import { localLayout } from '../demo/layout.js';
import { RefusedError } from '../domain/errors.js';
import type { Manifest, ManifestEntry } from './manifest.js';

/**
 * How a missing root is handled by `rollout backup`: `recorded` as an `absent` root (a restore
 * then removes it), `never` (the backup refuses to run without it, so no genuine manifest marks it
 * absent), or `omitted` (left out of the manifest altogether).
 */
export type AbsentRule = 'recorded' | 'never' | 'omitted';

/** One workspace-relative root a backup of the environment may hold. */
export interface ScopeRoot {
  path: string;
  absent: AbsentRule;
}

/** The roots of one environment, and those of the others (to name them in a refusal). */
export interface BackupScope {
  env: string;
  /** Where the rule comes from (the runbook file), for messages. */
  source: string;
  roots: ScopeRoot[];
  others: { env: string; paths: string[] }[];
}

/** The part of an environment's runbook section that decides its backup roots. */
export type ScopeSpec = Pick<EnvironmentRunbook, 'target' | 'backup'>;

function clean(p: string): string {
  return p.replaceAll('\\', '/').replace(/\/+$/, '');
}

/**
 * THE derivation: the roots a backup of `env` archives. The runbook's `backup.include` when set
 * (each may be missing, and is then recorded absent); else, for a local target, the deployed
 * releases, the `current` link, the service config, the migration state and the `current.json`
 * pointer (kept only where it exists). A command target without `backup.include` has none.
 */
export function scopeRoots(wsRoot: string, env: string, spec: ScopeSpec): ScopeRoot[] {
  const include = spec.backup?.include;
  if (include && include.length > 0) return include.map((p) => ({ path: clean(p), absent: 'recorded' as const }));
  const t = spec.target;
  if (t.kind !== 'local') return [];
  const l = localLayout(wsRoot, env, t.deploy_dir ? join(wsRoot, t.deploy_dir) : undefined);
  const rel = (abs: string): string => relative(wsRoot, abs).split(sep).join('/');
  return [
    // A backup refuses to run with nothing deployed, so a genuine manifest never drops the releases.
    { path: rel(l.releasesDir), absent: 'never' },
    // Absent where symlinks are not allowed (the pointer file stands in).
    { path: rel(l.current), absent: 'recorded' },
    { path: rel(l.configFile), absent: 'recorded' },
    { path: `migrations/${env}_migration_state.json`, absent: 'recorded' },
    { path: rel(l.currentPointer), absent: 'omitted' },
  ];
}

/** The scope of `env` in a loaded runbook, or a refusal when the runbook does not define it. */
export function backupScope(ws: Workspace, runbook: LoadedRunbook, env: string): BackupScope {
  const own = Object.hasOwn(runbook.environments, env) ? runbook.environments[env] : undefined;
  if (!own) {
    throw new RefusedError(`The backup is of environment "${env}", which ${runbook.file} does not define, so what it may restore cannot be checked; refusing it.`);
  }
  const others = Object.keys(runbook.environments)
    .filter((e) => e !== env)
    .map((e) => ({ env: e, paths: scopeRoots(ws.root, e, runbook.environments[e]!).map((r) => r.path) }));
  return { env, source: runbook.file, roots: scopeRoots(ws.root, env, own), others };
}

/** A scope resolver over the runbook an engine context was loaded with. */
export function contextScope(ctx: Pick<EngineContext, 'ws' | 'runbook'>): (env: string) => BackupScope {
  return (env) => backupScope(ctx.ws, ctx.runbook, env);
}

function inside(path: string, root: string): boolean {
  // (no `${root}/` per call: this runs for every entry of a manifest)
  return path.startsWith(root) && (path.length === root.length || path.charCodeAt(root.length) === 0x2f);
}

function whose(scope: BackupScope, path: string): string | undefined {
  return scope.others.find((o) => o.paths.some((p) => inside(path, p) || inside(p, path)))?.env;
}

function refuser(scope: BackupScope, display: string): (what: string) => never {
  return (what) => {
    throw new RefusedError(`${display}: ${what}; refusing it.`, [`A backup of ${scope.env} may only hold ${scope.roots.map((r) => r.path).join(', ') || 'nothing (no backup.include)'} (from ${scope.source}).`]);
  };
}

/** The roots half of checkManifestScope: every root inside the scope, absent only where a backup records it so. */
export function checkScopeRoots(manifest: Pick<Manifest, 'env' | 'roots'>, scope: BackupScope, display: string, clip: (s: string) => string = (s) => s): void {
  const refuse = refuser(scope, display);
  if (manifest.env !== scope.env) refuse(`the manifest is of ${clip(manifest.env)}, not of ${scope.env}`);
  const seen = new Set<string>();
  for (const r of manifest.roots) {
    const rule = scope.roots.find((s) => s.path === r.path);
    if (!rule) {
      const other = whose(scope, r.path);
      refuse(`the manifest names the root "${clip(r.path)}", ${other ? `which belongs to environment ${other}, and ` : 'which '}a backup of ${scope.env} never covers`);
    }
    if (seen.has(r.path)) refuse(`the manifest names the root "${clip(r.path)}" twice`);
    seen.add(r.path);
    if (r.kind === 'absent' && rule!.absent !== 'recorded') refuse(`the manifest marks "${clip(r.path)}" absent, which a backup of ${scope.env} never does (a restore would delete it)`);
  }
}

/**
 * Refuse (exit 3, naming the path) a manifest that reaches outside what the environment's backup
 * covers: a root not in the scope (or of another environment), a root marked absent that a backup
 * never marks absent, a root whose kind disagrees with its own entry, an entry outside every
 * present root. Pure: used by verify and, independently, by the restore before it touches anything.
 */
export function checkManifestScope(
  manifest: Pick<Manifest, 'env' | 'roots' | 'entries'>,
  scope: BackupScope,
  display: string,
  clip: (s: string) => string = (s) => s,
  /** The manifest's entries by path, when the caller has them already (verify). */
  byPath: Pick<ReadonlyMap<string, ManifestEntry>, 'get'> = new Map(manifest.entries.map((e) => [e.path, e] as const)),
): void {
  const refuse = refuser(scope, display);
  checkScopeRoots(manifest, scope, display, clip);
  const present = manifest.roots.filter((r) => r.kind !== 'absent');
  for (const r of present) {
    const e = byPath.get(r.path);
    if (!e || e.kind !== r.kind) refuse(`the root "${clip(r.path)}" is listed as a ${r.kind} but the manifest has ${e ? `a ${e.kind}` : 'no entry'} at that path`);
  }
  for (const e of manifest.entries) {
    let covered = false;
    for (let k = 0; k < present.length && !covered; k++) covered = inside(e.path, present[k]!.path);
    if (!covered) {
      const other = whose(scope, e.path);
      refuse(`the manifest lists "${clip(e.path)}", outside the paths a backup of ${scope.env} covers${other ? ` (it belongs to environment ${other})` : ''}`);
    }
  }
}

