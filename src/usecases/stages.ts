// A use case as one list of stages, each with plan (what a dry run prints, reading only) and run
// (what the real run does). The dry run and the real run walk the same list with the walkers
// below, so a plan cannot drift from what runs: a stage added, removed or reordered shows in both.
// Used by rollback (./rollback/stages.ts) and deploy (./deploy-stages.ts).

/** Where one stage stands, as a run or a plan reports it. */
export type StageStatus = 'running' | 'ok' | 'failed' | 'skipped' | 'planned';

/** What a stage says it would do. */
export interface StagePlan {
  detail: string;
  /** Set when the dry run already knows the answer (a check it can make without changing anything). */
  status?: 'ok' | 'failed' | 'skipped';
  /** Further actions of the same stage, one line each (e.g. every command a target would run). */
  more?: string[];
}

/** One stage of a use case. `Plan` is what a dry run reads; `Run` what the real run reads and writes. */
export interface StageDef<Name extends string, Plan, Run> {
  readonly name: Name;
  /** Runs after an earlier stage failed too (an incident, a final notification). */
  readonly settle?: boolean;
  /** What the stage would do, reading only. */
  plan(p: Plan): StagePlan | Promise<StagePlan>;
  /** Why not to run it now (its effect is proven, or there is nothing to do); undefined: run it. */
  skip?(r: Run): string | undefined | Promise<string | undefined>;
  run(r: Run): Promise<void>;
}

/** One stage of a plan. */
export interface PlannedStage<Name extends string> extends Omit<StagePlan, 'status'> {
  name: Name;
  status: Exclude<StageStatus, 'running'>;
}

/**
 * Plan every stage, in the order the run walks them. With `skipWith`, a stage that the run would
 * skip (its skip() can be answered without running anything) is planned as skipped, with the reason.
 */
export async function planStages<Name extends string, Plan, Run>(defs: readonly StageDef<Name, Plan, Run>[], p: Plan, skipWith?: Run): Promise<PlannedStage<Name>[]> {
  const out: PlannedStage<Name>[] = [];
  for (const def of defs) {
    const why = skipWith !== undefined ? await def.skip?.(skipWith) : undefined;
    if (why !== undefined) {
      out.push({ name: def.name, status: 'skipped', detail: why });
      continue;
    }
    const { status = 'planned', ...rest } = await def.plan(p);
    out.push({ name: def.name, status, ...rest });
  }
  return out;
}

/** What the real run's walker reports. */
export interface StageHooks<Name extends string> {
  /** The stage is skipped, with the reason. */
  skipped(name: Name, why: string): void | Promise<void>;
  /** The stage threw: from here on only the settling stages run. */
  failed(name: Name, error: unknown): void | Promise<void>;
  /** The stage is about to run. */
  started?(name: Name): void | Promise<void>;
  /** The stage ran to its end. */
  ran?(name: Name): void | Promise<void>;
  /** Once, before the first settling stage (e.g. to settle a journal). */
  settle?(): Promise<void>;
}

/** Walk the stages for real: the first failure stops the changing stages; settling stages run regardless. Returns whether a stage failed. */
export async function runStages<Name extends string, Plan, Run>(defs: readonly StageDef<Name, Plan, Run>[], r: Run, hooks: StageHooks<Name>): Promise<boolean> {
  let failed = false;
  let settled = false;
  for (const def of defs) {
    if (def.settle && !settled) {
      settled = true;
      await hooks.settle?.();
    }
    if (failed && !def.settle) continue;
    try {
      const why = await def.skip?.(r);
      if (why !== undefined) {
        await hooks.skipped(def.name, why);
        continue;
      }
      await hooks.started?.(def.name);
      await def.run(r);
    } catch (e) {
      failed = true;
      await hooks.failed(def.name, e);
      continue;
    }
    await hooks.ran?.(def.name);
  }
  return failed;
}
