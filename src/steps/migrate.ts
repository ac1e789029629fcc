// Migrations as data: JSON files in the runbook's migrations folder, each with forward and
// backward operations on a JSON store (for the demo, config/<env>/dhash.json). State, with the
// checksum of every applied file, is in migrations/<env>_migration_state.json. Forward applies the
// pending ones in order and is idempotent; backward undoes the last; a changed file is refused.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { AuditLog } from '../audit/logger.js';
import { fillTemplate } from '../shell/shell.js';
import { ConfigError, RefusedError, UsageError } from '../domain/errors.js';
import { writeJsonAtomic } from '../domain/fs-atomic.js';
import type { EngineContext } from '../config/engine-context.js';
import { shippedDir } from '../config/shipped.js';
import { cachedValidation } from '../config/validated-cache.js';
import type { MigrationData, Op } from './migration-file.js';

/** A migration found in the folder. */
export interface Migration {
  id: string;
  description: string;
  file: string;
  checksum: string;
  target: string;
  forward: Op[];
  backward: Op[];
}

/** One applied migration as recorded in the state file. */
export interface AppliedMigration {
  id: string;
  checksum: string;
  applied_at: string;
  applied_by: string;
}

/** migrations/<env>_migration_state.json */
export interface MigrationState {
  env: string;
  applied: AppliedMigration[];
  updated_at?: string;
}

/** What a migrate run did (or, in dry-run, would do). */
export interface MigrateResult {
  direction: 'forward' | 'backward';
  dryRun: boolean;
  folder: string;
  /** Ids applied (forward) or undone (backward), in order. */
  ran: string[];
  /** The operations, one line each, for plans and logs. */
  plan: string[];
  applied: AppliedMigration[];
}

/** The state file of an environment. */
export function migrationStatePath(ctx: Pick<EngineContext, 'ws' | 'env'>): string {
  return join(ctx.ws.migrationsDir, `${ctx.env}_migration_state.json`);
}

/** Read the state (empty when there is none yet). */
export function readMigrationState(ctx: Pick<EngineContext, 'ws' | 'env'>): MigrationState {
  const p = migrationStatePath(ctx);
  if (!existsSync(p)) return { env: ctx.env, applied: [] };
  try {
    const s = JSON.parse(readFileSync(p, 'utf8')) as MigrationState;
    if (!Array.isArray(s.applied)) throw new Error('no "applied" list');
    return s;
  } catch (e) {
    throw new ConfigError(`${relative(ctx.ws.root, p)}: not a valid migration state file (${(e as Error).message.split('\n')[0]}).`);
  }
}

/** The migrations folder named by the runbook (workspace first, then the package). */
export function migrationsFolder(ctx: EngineContext): string | undefined {
  return ctx.target.migrations ? shippedDir(ctx.ws.root, ctx.target.migrations) : undefined;
}

/**
 * Every migration in a folder, in file-name order, validated. The validation (zod, loaded only
 * then) is kept in the workspace's cache for each file's exact bytes (config/validated-cache.ts).
 */
export async function listMigrations(root: string, folder: string, display = folder): Promise<Migration[]> {
  const out: Migration[] = [];
  for (const f of readdirSync(folder).filter((x) => x.endsWith('.json')).sort()) {
    const path = join(folder, f);
    const bytes = readFileSync(path);
    const data = await cachedValidation(root, 'migration', bytes, async (): Promise<MigrationData> => {
      let raw: unknown;
      try {
        raw = JSON.parse(bytes.toString('utf8'));
      } catch (e) {
        throw new ConfigError(`${display}/${f}: not valid JSON (${(e as Error).message.split('\n')[0]}).`);
      }
      const r = (await import('./migration-file.js')).MigrationFile.safeParse(raw);
      if (!r.success) {
        const i = r.error.issues[0]!;
        throw new ConfigError(`${display}/${f}: ${i.path.join('.') || '(root)'}: ${i.message}.`);
      }
      return r.data;
    });
    if (out.some((m) => m.id === data.id)) throw new ConfigError(`${display}/${f}: migration id "${data.id}" is used twice.`);
    out.push({ ...data, file: `${display}/${f}`, checksum: createHash('sha256').update(bytes).digest('hex') });
  }
  return out;
}

function getParent(obj: Record<string, unknown>, path: string, create: boolean): [Record<string, unknown> | undefined, string] {
  const parts = path.split('.');
  const last = parts.pop()!;
  let cur: Record<string, unknown> = obj;
  for (const p of parts) {
    const next = cur[p];
    if (next === undefined || next === null || typeof next !== 'object') {
      if (!create) return [undefined, last];
      cur[p] = {};
    }
    cur = cur[p] as Record<string, unknown>;
  }
  return [cur, last];
}

/** Apply operations to a JSON document; each one is idempotent (safe to repeat after a crash). */
export function applyOps(doc: Record<string, unknown>, ops: Op[]): Record<string, unknown> {
  const out = structuredClone(doc);
  for (const op of ops) {
    if (op.op === 'set') {
      const [parent, key] = getParent(out, op.path, true);
      parent![key] = structuredClone(op.value);
    } else if (op.op === 'remove') {
      const [parent, key] = getParent(out, op.path, false);
      if (parent) delete parent[key];
    } else {
      const [parent, key] = getParent(out, op.path, false);
      if (parent && key in parent) {
        const v = parent[key];
        delete parent[key];
        const [to, toKey] = getParent(out, op.to, true);
        to![toKey] = v;
      }
    }
  }
  return out;
}

function describeOp(op: Op): string {
  if (op.op === 'set') return `set ${op.path} = ${JSON.stringify(op.value)}`;
  if (op.op === 'remove') return `remove ${op.path}`;
  return `rename ${op.path} -> ${op.to}`;
}

/** Refuse when an applied migration's file is gone or changed since it was applied. */
function checkApplied(ctx: EngineContext, state: MigrationState, all: Migration[]): void {
  for (const a of state.applied) {
    const m = all.find((x) => x.id === a.id);
    const stateRel = relative(ctx.ws.root, migrationStatePath(ctx));
    if (!m) throw new RefusedError(`Migration ${a.id} is recorded as applied in ${stateRel} but its file is no longer in the migrations folder.`, ['Restore the file as it was applied; applied migrations must not be removed.']);
    if (m.checksum !== a.checksum) {
      throw new RefusedError(`${m.file} changed after it was applied to ${ctx.env} (checksum ${a.checksum.slice(0, 12)}… recorded, ${m.checksum.slice(0, 12)}… now).`, ['Restore the file as it was applied, and put the change in a new migration.']);
    }
  }
}

/** Run migrations forward (all pending) or backward (the last applied); nothing changes in dry-run. */
export async function runMigrations(ctx: EngineContext, opts: { direction: 'forward' | 'backward'; dryRun?: boolean; log?: AuditLog; onLine?: (line: string) => void }): Promise<MigrateResult> {
  const folder = migrationsFolder(ctx);
  const display = ctx.target.migrations ?? 'migrations';
  if (!folder) {
    if (ctx.target.migrations) throw new ConfigError(`The migrations folder ${ctx.target.migrations} named in ${ctx.runbook.file} (environments.${ctx.env}.migrations) does not exist.`);
    throw new UsageError(`The ${ctx.env} environment names no migrations folder in ${ctx.runbook.file} (environments.${ctx.env}.migrations).`);
  }
  const all = await listMigrations(ctx.ws.root, folder, display);
  const state = readMigrationState(ctx);
  checkApplied(ctx, state, all);
  const result: MigrateResult = { direction: opts.direction, dryRun: Boolean(opts.dryRun), folder: display, ran: [], plan: [], applied: state.applied };
  const say = (line: string): void => {
    result.plan.push(line);
    opts.onLine?.(line);
  };

  const todo: { m: Migration; ops: Op[] }[] = [];
  if (opts.direction === 'forward') {
    for (const m of all) if (!state.applied.some((a) => a.id === m.id)) todo.push({ m, ops: m.forward });
  } else {
    const last = state.applied[state.applied.length - 1];
    const m = last && all.find((x) => x.id === last.id);
    if (m) todo.push({ m, ops: m.backward });
  }
  if (todo.length === 0) {
    say(opts.direction === 'forward' ? `nothing to apply: all ${all.length} migrations are applied to ${ctx.env}` : `nothing to undo: no migration is applied to ${ctx.env}`);
    opts.log?.info('migrate.nothing', { direction: opts.direction, applied: state.applied.map((a) => a.id) });
    return result;
  }

  let applied = [...state.applied];
  for (const { m, ops } of todo) {
    const targetRel = fillTemplate(m.target, { env: ctx.env });
    const targetPath = join(ctx.ws.root, targetRel);
    say(`${opts.dryRun ? 'would ' : ''}${opts.direction === 'forward' ? 'apply' : 'undo'} ${m.id}: ${m.description}`);
    for (const op of ops) say(`  ${describeOp(op)} in ${targetRel}`);
    opts.log?.info(opts.dryRun ? 'migrate.planned' : 'migrate.start', { id: m.id, direction: opts.direction, checksum: m.checksum, target: targetRel, ops: ops.map(describeOp) });
    if (opts.dryRun) {
      result.ran.push(m.id);
      continue;
    }
    let doc: Record<string, unknown> = { env: ctx.env, settings: {} };
    if (existsSync(targetPath)) {
      try {
        doc = JSON.parse(readFileSync(targetPath, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new ConfigError(`${targetRel}: not valid JSON, so migration ${m.id} cannot run (${(e as Error).message.split('\n')[0]}).`);
      }
    }
    // The store first, then the state: a crash in between re-runs idempotent operations.
    writeJsonAtomic(targetPath, applyOps(doc, ops));
    applied = opts.direction === 'forward' ? [...applied, { id: m.id, checksum: m.checksum, applied_at: new Date(ctx.clock.now()).toISOString(), applied_by: ctx.operator }] : applied.filter((a) => a.id !== m.id);
    writeJsonAtomic(migrationStatePath(ctx), { env: ctx.env, applied, updated_at: new Date(ctx.clock.now()).toISOString() } satisfies MigrationState);
    result.ran.push(m.id);
    opts.log?.info('migrate.done', { id: m.id, direction: opts.direction });
  }
  result.applied = applied;
  return result;
}

/** The ids of forward migrations not yet applied (for deploy plans). */
export async function pendingMigrations(ctx: EngineContext): Promise<string[]> {
  const folder = migrationsFolder(ctx);
  if (!folder) return [];
  const state = readMigrationState(ctx);
  return (await listMigrations(ctx.ws.root, folder, ctx.target.migrations ?? 'migrations')).filter((m) => !state.applied.some((a) => a.id === m.id)).map((m) => m.id);
}
