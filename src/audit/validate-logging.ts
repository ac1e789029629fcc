// Logging validation: every audit log line is a JSON event, and nothing on disk under logs/,
// notifications/ or incidents/ carries a secret (in any encoding redact.ts knows). Streams files
// line by line, so large logs cost no memory.
import { createReadStream, existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { createInterface } from 'node:readline';
import { findSecret } from './redact.js';
import { isServiceLogName, SERVICE_LOG_LINE } from '../domain/service-log.js';

/** One problem found. */
export interface LoggingFinding {
  file: string;
  line: number;
  problem: string;
}

/** What a scan saw. */
export interface LoggingReport {
  files: number;
  lines: number;
  findings: LoggingFinding[];
}

function walk(dir: string, out: string[]): void {
  if (!existsSync(dir)) return;
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) walk(p, out);
    else if (ent.isFile()) out.push(p);
  }
}

// The embedded service's own log (logs/dhash_<env>_<ts>.log) is for people: lines of text with an
// upper-case level, checked as such; every other .log under logs/ is a JSON Lines audit log.
async function scanFile(path: string, root: string, jsonl: boolean, report: LoggingReport, secrets?: readonly string[], human = false): Promise<void> {
  const rel = relative(root, path);
  report.files++;
  if (statSync(path).size === 0) return;
  const rl = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  let n = 0;
  let whole = '';
  for await (const line of rl) {
    n++;
    report.lines++;
    const secret = findSecret(line, secrets);
    if (secret) report.findings.push({ file: rel, line: n, problem: `unredacted secret: ${secret}` });
    if (human) {
      if (!SERVICE_LOG_LINE.test(line)) report.findings.push({ file: rel, line: n, problem: 'not a service log line (<ISO time> <LEVEL> …)' });
    } else if (jsonl) {
      if (line.trim() === '') {
        report.findings.push({ file: rel, line: n, problem: 'empty line in a JSON Lines log' });
        continue;
      }
      try {
        const e = JSON.parse(line) as Record<string, unknown>;
        if (!e || typeof e !== 'object' || Array.isArray(e)) report.findings.push({ file: rel, line: n, problem: 'not a JSON object' });
        else {
          const missing = ['ts', 'level', 'event'].filter((k) => typeof e[k] !== 'string');
          if (missing.length) report.findings.push({ file: rel, line: n, problem: `event without ${missing.join(', ')}` });
        }
      } catch {
        report.findings.push({ file: rel, line: n, problem: 'malformed JSON (torn or interleaved line)' });
      }
    } else if (path.endsWith('.json')) whole += `${line}\n`;
  }
  if (path.endsWith('.json') && !jsonl) {
    try {
      JSON.parse(whole);
    } catch {
      report.findings.push({ file: rel, line: 1, problem: 'malformed JSON file' });
    }
  }
}

/** Scan a workspace's logs/ (JSON Lines), notifications/ (JSON files) and incidents/ folders. */
export async function validateLogging(root: string, opts: { secrets?: readonly string[]; exclude?: string[] } = {}): Promise<LoggingReport> {
  const report: LoggingReport = { files: 0, lines: 0, findings: [] };
  const logs: string[] = [];
  walk(join(root, 'logs'), logs);
  const notes: string[] = [];
  walk(join(root, 'notifications'), notes);
  const skip = new Set(opts.exclude ?? []);
  for (const f of logs.sort()) if (!skip.has(f) && !f.endsWith('.gitkeep')) await scanFile(f, root, f.endsWith('.log'), report, opts.secrets, isServiceLogName(basename(f)));
  for (const f of notes.sort()) if (!skip.has(f) && !f.endsWith('.gitkeep')) await scanFile(f, root, f.endsWith('.jsonl'), report, opts.secrets);
  // Incidents hold copies of the logs and a report: a secret there leaks as surely as in logs/.
  const incidents: string[] = [];
  walk(join(root, 'incidents'), incidents);
  for (const f of incidents.sort()) if (!skip.has(f) && !f.endsWith('.gitkeep')) await scanFile(f, root, f.endsWith('.log'), report, opts.secrets, isServiceLogName(basename(f)));
  return report;
}
