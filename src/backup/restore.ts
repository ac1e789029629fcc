// Restoring a backup: extract every checked entry into temp folders beside its target, then swap
// them in with renames under the rollback journal. Before the swap nothing in the environment has
// changed; a swap interrupted by kill -9 is finished forward by recoverRollback() on the next run.
import { existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, chmodSync } from 'node:fs';
import { dirname, join, basename } from 'node:path';
import type { Workspace } from '../config/workspace.js';
import { RefusedError, StepFailedError } from '../domain/errors.js';
import { clearJournal, writeJournal, type RollbackJournal, type SwapItem } from './journal.js';
import type { ArchiveLimits } from './limits.js';
import { resolveLinkTarget, type Manifest, type ManifestRoot } from './manifest.js';
import { testPause } from '../domain/test-pause.js';
import { checkScopeRoots, type BackupScope } from './scope.js';
import { scanArchive, type ScanProgress } from './verify.js';


function exists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

/** The staging and aside paths for a root: hidden siblings, so renames stay on one filesystem. */
export function swapPaths(ws: Workspace, root: ManifestRoot, id: string): SwapItem {
  const abs = join(ws.root, root.path);
  const dir = dirname(abs);
  const name = basename(abs);
  return {
    path: root.path,
    kind: root.kind,
    staged: root.kind === 'absent' ? null : join(dir, `.${name}.rollback-${id}.new`),
    aside: join(dir, `.${name}.rollback-${id}.old`),
    done: false,
  };
}

// Pointers (the `current` link or current.json) go last, so that the release they name is in
// place before they switch to it.
function pointerLast(a: ManifestRoot, b: ManifestRoot): number {
  const isPtr = (r: ManifestRoot): number => (/(^|\/)current(\.json)?$/.test(r.path) ? 1 : 0);
  return isPtr(a) - isPtr(b);
}

/** The swaps a restore of `roots` will make, in order (pointers last): known before anything is staged, so a journal can name the staging folders. */
export function plannedSwaps(ws: Workspace, roots: ManifestRoot[], id: string): SwapItem[] {
  return [...roots].sort(pointerLast).map((r) => swapPaths(ws, r, id));
}

/**
 * Extract a (verified) backup into staging folders, checking every entry again as it is written.
 * `manifestRoots`: the roots verify read (a rollback writes the staging folders they give into its
 * journal first); undefined: the roots of the archive's own manifest, once it is checked and
 * before anything is written (a restore with no journal, e.g. the benchmark's).
 */
export async function stageBackup(ws: Workspace, zipPath: string, display: string, manifestRoots: ManifestRoot[] | undefined, id: string, opts: { scope: BackupScope; limits?: ArchiveLimits; onProgress?: (p: ScanProgress) => void; writeThread?: boolean }): Promise<SwapItem[]> {
  // The same rule as verify, applied again here before anything is written or removed: the
  // roots handed in may come from a caller that skipped verify, or from an archive since replaced.
  if (manifestRoots) checkScopeRoots({ env: opts.scope.env, roots: manifestRoots }, opts.scope, display);
  const scopeFor = (env: string): BackupScope => {
    if (env !== opts.scope.env) throw new RefusedError(`${display} is now a backup of ${env}, not of ${opts.scope.env}; refusing it.`);
    return opts.scope;
  };
  const sameRoots = (m: Manifest, roots: ManifestRoot[]): boolean => m.roots.length === roots.length && m.roots.every((r, i) => r.path === roots[i]!.path && r.kind === roots[i]!.kind);
  let swaps = manifestRoots ? plannedSwaps(ws, manifestRoots, id) : [];
  const stagedFor = (p: string): string => {
    for (const s of swaps) {
      if (s.staged && (p === s.path || p.startsWith(`${s.path}/`))) return s.staged + p.slice(s.path.length);
    }
    // verify already refuses entries outside the roots; this is a second lock on the door.
    throw new StepFailedError(`${display}: "${p}" lies outside the paths the backup covers.`);
  };
  for (const s of swaps) if (s.staged) rmSync(s.staged, { recursive: true, force: true });
  // Folders that hold a restored file (or one below them): no mkdir for them at the end.
  const made = new Set<string>();
  let lastDir = '';
  try {
    await scanArchive(zipPath, display, {
      scope: scopeFor,
      destination: ws.root,
      ...(opts.limits ? { limits: opts.limits } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.writeThread !== undefined ? { writeThread: opts.writeThread } : {}),
      sink: {
        begin(manifest) {
          if (manifestRoots) {
            if (!sameRoots(manifest, manifestRoots)) throw new RefusedError(`${display} changed since it was verified (its manifest names other roots); refusing it.`);
            return;
          }
          // (its roots were just held to the scope, with the rest of the manifest)
          swaps = plannedSwaps(ws, manifest.roots, id);
          for (const s of swaps) if (s.staged) rmSync(s.staged, { recursive: true, force: true });
        },
        file(entry) {
          const path = stagedFor(entry.path);
          // Its folder and theirs exist once the files are written (the writer makes them).
          const dir = dirname(path);
          if (dir !== lastDir) for (let d = (lastDir = dir); !made.has(d); d = dirname(d)) made.add(d);
          return { path, mode: (entry.mode ?? 0o644) & 0o777 };
        },
        async finish(manifest: Manifest) {
          const dirs = new Set(manifest.entries.filter((x) => x.kind === 'dir').map((x) => x.path));
          for (const e of manifest.entries) {
            const dest = stagedFor(e.path);
            if (e.kind === 'dir') {
              if (!made.has(dest)) mkdirSync(dest, { recursive: true });
            }
            else if (e.kind === 'symlink') {
              mkdirSync(dirname(dest), { recursive: true });
              // Windows needs to know a link to a folder is one; elsewhere the type is ignored.
              const to = resolveLinkTarget(e.path, e.target);
              const isDir = 'path' in to && (dirs.has(to.path) || manifest.roots.some((r) => r.path === to.path && r.kind === 'dir'));
              symlinkSync(e.target, dest, isDir ? 'dir' : 'file');
            }
          }
          await testPause('extracting');
          // Folder modes last (a read-only folder would refuse its own files).
          for (const e of manifest.entries) if (e.kind === 'dir' && e.mode !== undefined) chmodSync(stagedFor(e.path), e.mode & 0o777);
        },
      },
    });
  } catch (e) {
    for (const s of swaps) if (s.staged) rmSync(s.staged, { recursive: true, force: true });
    throw e;
  }
  return swaps;
}

/** Swap staged content in (old content aside), one rename per path, recording each in the journal. */
export async function swapIn(ws: Workspace, j: RollbackJournal): Promise<void> {
  j.phase = 'swapping';
  writeJournal(ws, j);
  let first = true;
  for (const s of j.swaps) {
    if (s.done) continue;
    swapOne(ws, s);
    s.done = true;
    writeJournal(ws, j);
    if (first) await testPause('swapping');
    first = false;
  }
  j.phase = 'swapped';
  writeJournal(ws, j);
}

function swapOne(ws: Workspace, s: SwapItem): void {
  const target = join(ws.root, s.path);
  const stagedThere = s.staged !== null && exists(s.staged);
  // Already swapped (killed after the renames, before the journal said so).
  if (s.staged !== null && !stagedThere && exists(target)) return;
  if (exists(target) && s.aside) {
    if (exists(s.aside)) rmSync(s.aside, { recursive: true, force: true });
    renameSync(target, s.aside);
  }
  if (s.staged !== null && stagedThere) {
    mkdirSync(dirname(target), { recursive: true });
    renameSync(s.staged, target);
  }
}

/** What cleanupSwaps could not remove (an immutable file, a busy mount): the path and why. */
export interface LeftOver {
  path: string;
  error: string;
}

/**
 * Remove the aside copies and staging leftovers of a journal: what was removed, and what could not
 * be (never thrown: a rollback that is done, or the next one settling this journal, must not fail
 * or be blocked forever by old files that will not go; the caller names them for the operator).
 */
export function cleanupSwaps(j: RollbackJournal): { removed: string[]; left: LeftOver[] } {
  const removed: string[] = [];
  const left: LeftOver[] = [];
  const rm = (p: string): void => {
    if (!exists(p)) return;
    try {
      rmSync(p, { recursive: true, force: true });
      removed.push(p);
    } catch (e) {
      left.push({ path: p, error: e instanceof Error ? e.message : String(e) });
    }
  };
  for (const s of j.swaps) {
    if (s.aside) rm(s.aside);
    if (s.staged) rm(s.staged);
  }
  for (const t of j.temp) rm(t);
  return { removed, left };
}

/** One sentence naming what cleanupSwaps left (workspace-relative), or '' when nothing. */
export function leftOverNote(ws: Workspace, left: readonly LeftOver[]): string {
  if (left.length === 0) return '';
  const rel = (p: string): string => (p.startsWith(`${ws.root}/`) ? p.slice(ws.root.length + 1) : p);
  return `could not remove ${left.map((l) => `${rel(l.path)} (${l.error.replace(/\.$/, '')})`).join(', ')}; remove ${left.length === 1 ? 'it' : 'them'} by hand.`;
}

/**
 * Remove the temporary pre-rollback archives (rollbacks/.pre_rollback_<env>_*.tmp) of rollbacks of
 * `env` that were killed: the caller holds the environment's lock, so no live rollback of `env`
 * is writing one. Returns what was removed, with sizes, for an honest report.
 */
export function sweepTempArchives(ws: Workspace, env: string): { path: string; bytes: number }[] {
  if (!existsSync(ws.rollbacksDir)) return [];
  const re = new RegExp(`^\\.pre_rollback_${env.replace(/[^a-z0-9-]/g, '')}_\\d{8}_\\d{6}\\.tar\\.gz\\.\\d+\\.tmp$`);
  const out: { path: string; bytes: number }[] = [];
  for (const name of readdirSync(ws.rollbacksDir)) {
    if (!re.test(name)) continue;
    const p = join(ws.rollbacksDir, name);
    let bytes = 0;
    try {
      bytes = lstatSync(p).size;
      rmSync(p, { force: true });
    } catch {
      continue;
    }
    out.push({ path: p, bytes });
  }
  return out;
}

/** What recovering an interrupted rollback did, in one sentence for the operator. */
export interface Recovery {
  phase: RollbackJournal['phase'];
  backup: string;
  message: string;
}

/** Settle a rollback that was killed: untouched -> clean up; mid-swap -> finish the swap; after -> clean up. */
export function recoverRollback(ws: Workspace, j: RollbackJournal): Recovery {
  const who = `An earlier rollback of ${j.env} (${j.backup}, started ${j.started_at} by ${j.operator})`;
  let message: string;
  if (j.phase === 'swapping') {
    for (const s of j.swaps) {
      if (!s.done) swapOne(ws, s);
      s.done = true;
    }
    j.phase = 'swapped';
    writeJournal(ws, j);
    message = `${who} was interrupted while swapping files in; the swap was finished, so ${j.env} holds that backup (version ${j.version ?? 'unknown'}).`;
  } else if (j.phase === 'swapped' || j.phase === 'restarted' || j.phase === 'healthy') {
    message = `${who} had restored its files but was interrupted at "${j.phase}", before the restart and health checks finished.`;
  } else {
    message = `${who} was interrupted at "${j.phase}", before it changed anything.`;
  }
  // Say what was cleaned up only when something was: the message is read during an incident.
  const { removed, left } = cleanupSwaps(j);
  if (removed.length > 0) message = `${message.replace(/\.$/, '')}; removed its ${removed.length} temporary file${removed.length === 1 ? '' : 's'} (${removed.map((p) => basename(p)).join(', ')}).`;
  if (left.length > 0) message = `${message} It ${leftOverNote(ws, left)}`;
  if (existsSync(join(ws.root, '.rollout'))) clearJournal(ws, j.env);
  return { phase: j.phase, backup: j.backup, message };
}
