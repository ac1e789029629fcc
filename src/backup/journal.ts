// The rollback journal: written (atomically) before every step of a rollback that changes the
// environment, removed when the rollback ends. A journal left behind means a rollback was
// killed; its phase says whether the environment is untouched, mid-swap, or already restored.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Workspace } from '../config/workspace.js';
import { writeJsonAtomic } from '../domain/fs-atomic.js';
import type { ManifestRoot } from './manifest.js';

/** The phases of a rollback, in order. Before `swapping` nothing in the environment has changed. */
export const ROLLBACK_PHASES = ['started', 'verified', 'archived', 'staged', 'swapping', 'swapped', 'restarted', 'healthy'] as const;
export type RollbackPhase = (typeof ROLLBACK_PHASES)[number];

/** One path to swap: the staged copy goes in, the old one is moved aside (kept until the end). */
export interface SwapItem {
  path: string;
  kind: ManifestRoot['kind'];
  /** Absolute path of the staged new content (absent roots have none). */
  staged: string | null;
  /** Absolute path where the old content is moved (null when there was nothing there). */
  aside: string | null;
  done: boolean;
}

/** What the journal records. */
export interface RollbackJournal {
  id: string;
  env: string;
  backup: string;
  version: string | null;
  operator: string;
  pid: number;
  started_at: string;
  phase: RollbackPhase;
  pre_rollback?: string;
  /** Temp folders to remove once the rollback is settled. */
  temp: string[];
  swaps: SwapItem[];
}

/** Where the journal of an environment lives. */
export function journalPath(ws: Workspace, env: string): string {
  return join(ws.root, '.rollout', 'rollback', `${env}.journal.json`);
}

/** Write the journal (temp + fsync + rename). */
export function writeJournal(ws: Workspace, j: RollbackJournal): void {
  writeJsonAtomic(journalPath(ws, j.env), j);
}

/** Remove the journal once a rollback is settled. */
export function clearJournal(ws: Workspace, env: string): void {
  rmSync(journalPath(ws, env), { force: true });
}

/** The journal of a rollback that did not finish, if any. */
export function interruptedRollback(ws: Workspace, env: string): RollbackJournal | undefined {
  const p = journalPath(ws, env);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as RollbackJournal;
  } catch {
    return undefined;
  }
}
