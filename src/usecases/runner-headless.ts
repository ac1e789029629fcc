// The headless face's answers: manual checklist items, the sign-off and confirmations come from
// flags (--confirm, --sign-off, --yes), checked before anything starts so that a production walk
// missing one is refused (exit 3) with nothing changed.
import type { RunbookStep } from '../config/runbook-schema.js';
import { RefusedError, UsageError } from '../domain/errors.js';
import type { EngineContext } from '../config/engine-context.js';
import type { RunnerPrompts } from './runner.js';

/** What the flags said. */
export interface HeadlessAnswers {
  confirm?: string[];
  signOff?: string;
  yes: boolean;
  dryRun: boolean;
}

/** The manual checklist items of a runbook, by id. */
export function manualItems(steps: RunbookStep[]): string[] {
  return steps.flatMap((s) => (s.type === 'checklist' ? s.items.filter((i) => i.check === 'manual').map((i) => i.id) : []));
}

/** Resolve --confirm (ids or "all") against the runbook; unknown ids are usage errors. */
export function resolveConfirmed(ctx: EngineContext, confirm: string[] | undefined): string[] {
  const known = manualItems(ctx.runbook.steps);
  const given = (confirm ?? []).flatMap((c) => c.split(',')).map((c) => c.trim()).filter(Boolean);
  if (given.includes('all')) return known;
  for (const g of given) if (!known.includes(g)) throw new UsageError(`--confirm ${g}: ${ctx.runbook.file} has no manual checklist item "${g}" (it has ${known.join(', ') || 'none'}).`);
  return [...new Set(given)];
}

/** Refuse a production walk up front when a flag it needs is missing (nothing has started yet). */
export function preflight(ctx: EngineContext, a: HeadlessAnswers): void {
  if (!ctx.production) return;
  const steps = ctx.runbook.steps;
  const confirmed = resolveConfirmed(ctx, a.confirm);
  const missing = manualItems(steps).filter((m) => !confirmed.includes(m));
  const missingFlags: string[] = [];
  if (missing.length) missingFlags.push(`--confirm ${missing.join(' ')} (or --confirm all)`);
  if (steps.some((s) => s.type === 'sign-off') && !a.signOff) missingFlags.push('--sign-off NAME');
  if (!a.dryRun && !a.yes && steps.some((s) => s.type === 'deploy' || s.type === 'rollback' || s.type === 'confirm')) missingFlags.push('--yes');
  if (missingFlags.length) {
    throw new RefusedError(`A ${ctx.env} walk needs ${missingFlags.join(', ')}; nothing was started.`, ['Confirm the manual checklist items, sign off and confirm the change only once they are true.']);
  }
}

/** Prompts answered from flags. */
export function headlessPrompts(ctx: EngineContext, a: HeadlessAnswers): RunnerPrompts {
  const confirmed = resolveConfirmed(ctx, a.confirm);
  return {
    checklist: async () => ({ kind: 'continue', confirmed }),
    // Outside production the operator running the walk signs off when no --sign-off is given.
    signOff: async (req) => (a.signOff ? { name: a.signOff } : req.production ? undefined : { name: ctx.operator }),
    confirm: async () => a.yes,
  };
}
