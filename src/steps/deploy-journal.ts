// The deploy journal (deployments/<env>/deploy-journal.json): which step a deploy reached, written
// atomically before and after each step. A deploy killed at any step leaves it "in-progress" with
// a dead pid; the next deploy, rollback or service command notices and says how to go on.
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { writeJsonAtomic } from '../domain/fs-atomic.js';
import { serviceAlive } from '../targets/local.js';

export const DEPLOY_STEPS = ['validate', 'backup', 'migrate', 'install', 'restart', 'health', 'smoke'] as const;
export type DeployStep = (typeof DEPLOY_STEPS)[number];

/** One step's entry in the journal. */
export interface JournalStep {
  step: DeployStep;
  status: 'started' | 'ok' | 'failed' | 'skipped';
  at: string;
  detail?: string;
}

/** The journal of the latest deploy of an environment. */
export interface DeployJournal {
  id: string;
  env: string;
  to_version: string;
  from_version?: string;
  operator: string;
  pid: number;
  host: string;
  started_at: string;
  updated_at: string;
  status: 'in-progress' | 'done' | 'failed' | 'superseded';
  step: DeployStep;
  steps: JournalStep[];
  error?: string;
  /** What ran just before the restart (read from the target): a resume proves the restart by a changed instance. */
  restart_from?: { version: string; pid?: number; startedAt?: string; revision?: string; identity?: string } | null;
  /** When `rollout deploy --resume` (or a walk's --resume) took the deploy over. */
  resumed_at?: string[];
}

/** Where an environment's deploy journal lives. */
export function deployJournalPath(root: string, env: string): string {
  return join(root, 'deployments', env, 'deploy-journal.json');
}

/** The journal, if there is a readable one. */
export function readDeployJournal(root: string, env: string): DeployJournal | undefined {
  const p = deployJournalPath(root, env);
  if (!existsSync(p)) return undefined;
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as DeployJournal;
  } catch {
    return undefined;
  }
}

/** Write the journal atomically. */
export function writeDeployJournal(root: string, j: DeployJournal): void {
  j.updated_at = new Date().toISOString();
  writeJsonAtomic(deployJournalPath(root, j.env), j);
}

/** A deploy that was stopped mid-way (its process is gone), if any. */
export function interruptedDeploy(root: string, env: string): DeployJournal | undefined {
  const j = readDeployJournal(root, env);
  if (!j || j.status !== 'in-progress') return undefined;
  if (j.host === hostname() && serviceAlive(j.pid) && j.pid !== process.pid) return undefined; // still running
  return j;
}

/** One sentence on an interrupted deploy, and what the operator can do next. */
export function describeInterruptedDeploy(j: DeployJournal, state: { deployed?: string; running?: string }): { message: string; nextSteps: string[] } {
  const where = state.running ? `the service runs ${state.running}` : 'the service is not running';
  const inPlace = state.deployed && state.deployed !== state.running ? `, ${state.deployed} is in place` : '';
  const message = `A deploy of ${j.to_version} to ${j.env}${j.from_version ? ` (from ${j.from_version})` : ''} by ${j.operator} started ${j.started_at} was interrupted at the "${j.step}" step; ${where}${inPlace}.`;
  const nextSteps = [`resume it: rollout deploy --env ${j.env} --resume`, `or deploy it again from the start: rollout deploy --env ${j.env} --version ${j.to_version}`];
  if (j.from_version && j.from_version !== j.to_version) nextSteps.push(`or go back to the previous release: rollout deploy --env ${j.env} --version ${j.from_version}`);
  nextSteps.push(`or restore a backup: rollout rollback --env ${j.env}`);
  return { message, nextSteps };
}

/** Whether the journal records `step` as finished (ok or skipped) after its last start. */
export function stepDone(j: DeployJournal, step: DeployStep): boolean {
  const last = [...j.steps].reverse().find((s) => s.step === step);
  return last !== undefined && (last.status === 'ok' || last.status === 'skipped');
}

/** When the journal's last restart began (ms), if it did. */
export function restartStartedAt(j: DeployJournal): number | undefined {
  const r = [...j.steps].reverse().find((s) => s.step === 'restart' && s.status === 'started');
  const at = r ? Date.parse(r.at) : Number.NaN;
  return Number.isFinite(at) ? at : undefined;
}

/** A fresh journal for a deploy starting now. */
export function newDeployJournal(env: string, to: string, from: string | undefined, operator: string): DeployJournal {
  const now = new Date().toISOString();
  return { id: `${Date.now().toString(36)}-${process.pid}`, env, to_version: to, ...(from ? { from_version: from } : {}), operator, pid: process.pid, host: hostname(), started_at: now, updated_at: now, status: 'in-progress', step: 'validate', steps: [] };
}

/** Mark an interrupted deploy as dealt with (a rollback restored the environment); no-op otherwise. */
export function supersedeInterruptedDeploy(root: string, env: string, by: string): DeployJournal | undefined {
  const j = interruptedDeploy(root, env);
  if (!j) return undefined;
  j.status = 'superseded';
  j.error = `superseded by ${by}`;
  writeDeployJournal(root, j);
  return j;
}
