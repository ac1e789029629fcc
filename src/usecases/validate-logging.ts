// The validate-logging use case: scan logs/, notifications/ and incidents/ for unredacted secrets
// and malformed lines, and write the report (test_logging.log) as one audit log. The face only
// chooses where the report goes and presents the findings.
import { rmSync } from 'node:fs';
import { AuditLog } from '../audit/logger.js';
import { validateLogging } from '../audit/validate-logging.js';
import type { Workspace } from '../config/workspace.js';

/** Scan the workspace and write the report to `out` (replacing an earlier one); returns what was found. */
export async function validateLoggingReport(ws: Workspace, out: string): Promise<Awaited<ReturnType<typeof validateLogging>>> {
  // The earlier report is not scanned as a finding of its own, and never appended to.
  rmSync(out, { force: true });
  const report = await validateLogging(ws.root, { exclude: [out] });
  const log = new AuditLog({ path: out, env: 'all' });
  try {
    log.info('logging.scan', { files: report.files, lines: report.lines, findings: report.findings.length });
    for (const f of report.findings) log.error('logging.finding', { ...f });
    log.info(report.findings.length ? 'logging.failed' : 'logging.passed');
  } finally {
    log.close();
  }
  return report;
}
