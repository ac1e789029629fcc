// rollout report: the seeds' rollout metrics, gate baselines for tuning, and a chart.
import asciichart from 'asciichart';
import { buildReport, type RolloutReport } from '../../usecases/report.js';
import { UsageError } from '../../domain/errors.js';
import { environmentGates, loadGatesConfig } from '../../config/gates.js';
import type { CommandContext } from '../context.js';

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);

/** Parse --since as a date (YYYY-MM-DD or ISO), or refuse. */
function sinceIso(v: unknown): string | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(t)) throw new UsageError(`--since "${v}" is not a date; use YYYY-MM-DD.`);
  return new Date(t).toISOString();
}

/** The human form of a report. */
export function renderReport(r: RolloutReport): string {
  const lines = [
    `Rollout report${r.env ? ` for ${r.env}` : ''}${r.since ? ` since ${r.since.slice(0, 10)}` : ''}`,
    '',
    `Deployments             ${r.deployments.total} (succeeded ${r.deployments.succeeded}, failed ${r.deployments.failed}, interrupted ${r.deployments.interrupted}, rolled back ${r.deployments.rolledBack})`,
    `Deployment success rate ${pct(r.deploymentSuccessRate)}`,
    `Rollbacks               ${r.rollbacks.total} (automatic ${r.rollbacks.automatic}, manual ${r.rollbacks.manual})`,
    `Auto-rollback frequency ${pct(r.autoRollbackFrequency)} of deployments`,
    `MTTR                    ${r.mttrSeconds === null ? 'n/a' : `${r.mttrSeconds.toFixed(1)} s`} (breach detected to third OK health check, ${r.mttrSamples} rollbacks)`,
    `False-positive rate     ${pct(r.falsePositiveRate)} (${r.falsePositives} closed as false positive)`,
    `Monitor windows         ${r.monitorWindows.total} (passed ${r.monitorWindows.passed}, breached ${r.monitorWindows.breached}, inconclusive ${r.monitorWindows.inconclusive})`,
  ];
  const trips = Object.entries(r.gateTrips);
  lines.push('', 'Gate trips: ' + (trips.length ? trips.map(([g, n]) => `${g} ${n}`).join(', ') : 'none'));
  const aborts = Object.entries(r.waveAborts ?? {});
  if (aborts.length) lines.push(`Fleet wave aborts: ${aborts.map(([w, n]) => `${w} ${n}`).join(', ')}`);
  if (r.baselines.length) {
    lines.push('', 'Baselines over healthy windows (tune after 24-72 h; headroom = threshold / p95):', '  gate                      samples        p50        p95        max  threshold  headroom');
    for (const b of r.baselines) {
      const f = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(x < 10 ? 2 : 0)).padStart(10);
      lines.push(`  ${b.gate.padEnd(24)} ${String(b.samples).padStart(8)} ${f(b.p50)} ${f(b.p95)} ${f(b.max)} ${f(b.threshold)} ${b.headroom === null ? '       n/a' : `${b.headroom.toFixed(2)}x`.padStart(10)}${b.headroom !== null && b.headroom < 1.25 ? '  tight' : ''}`);
    }
  }
  if (r.perDay.length >= 2) {
    lines.push('', 'Deployments per day:', asciichart.plot(r.perDay.map((d) => d.deployments), { height: 6, format: (x: number) => x.toFixed(0).padStart(3) }), `  ${r.perDay[0]!.day} … ${r.perDay[r.perDay.length - 1]!.day}`);
  } else if (r.perDay.length === 1) lines.push('', `Deployments per day: ${r.perDay[0]!.day}: ${r.perDay[0]!.deployments}`);
  return lines.join('\n');
}

/** Build and print the report. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<number> {
  const since = sinceIso(opts.since);
  if (typeof opts.env === 'string') environmentGates(loadGatesConfig(ctx.workspace.configPath, 'quality-gates-config.json'), opts.env);
  const report = await buildReport(ctx.workspace, { ...(typeof opts.env === 'string' ? { env: opts.env } : {}), ...(since ? { since } : {}) });
  ctx.result({ ok: true, ...report });
  ctx.say(renderReport(report));
  return 0;
}
