// rollout validate-logging: scan for unredacted secrets and malformed lines; write the report.
import { outcomeOfCode, type Outcome } from '../../domain/outcome.js';
import { join, relative, resolve } from 'node:path';
import { validateLoggingReport } from '../../usecases/validate-logging.js';
import type { CommandContext } from '../context.js';

/** Scan, write test_logging.log, exit 1 on any finding. */
export async function run(ctx: CommandContext, _args: string[], opts: Record<string, unknown>): Promise<Outcome | number> {
  const ws = ctx.workspace;
  const out = typeof opts.output === 'string' ? resolve(opts.output) : join(ws.logsDir, 'test_logging.log');
  const report = await validateLoggingReport(ws, out);
  ctx.result({ ok: report.findings.length === 0, files: report.files, lines: report.lines, findings: report.findings, report: relative(ws.root, out) });
  ctx.say(`Scanned ${report.files} files, ${report.lines} lines under logs/, notifications/ and incidents/.`);
  for (const f of report.findings.slice(0, 20)) ctx.say(`  FAIL ${f.file}:${f.line}: ${f.problem}`);
  if (report.findings.length > 20) ctx.say(`  … and ${report.findings.length - 20} more (see ${relative(process.cwd(), out)})`);
  if (report.findings.length) {
    return outcomeOfCode(1, `logging validation found ${report.findings.length} problem(s), the first in ${report.findings[0]!.file}:${report.findings[0]!.line} (${report.findings[0]!.problem}).`);
  }
  ctx.say(`OK: no unredacted secrets; every audit log line is a JSON event and every service log line has a level. Report: ${relative(process.cwd(), out)}`);
  return 0;
}
