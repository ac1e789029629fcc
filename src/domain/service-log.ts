// The embedded service's human log: logs/dhash_<env>_<YYYYMMDD_HHMMSS>.log, one per start, with
// upper-case levels, so that the seeds' `tail -f logs/dhash_production_*.log | grep -E
// "(ERROR|CRITICAL)"` works. (deployments/<env>/service.log keeps the same lines as JSON.)
import { join } from 'node:path';
import { fileStamp } from './time.js';

/** The levels a line can carry. */
export const SERVICE_LOG_LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR', 'CRITICAL'] as const;

/** A human log line as written: `<ISO ts> <LEVEL> <who>: <msg> k=v…`. */
export const SERVICE_LOG_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z (DEBUG|INFO|WARN|ERROR|CRITICAL) +\S.*$/;

/** The file name for a start of the service of `env` at `ms`. */
export function serviceLogPath(logsDir: string, env: string, ms: number): string {
  return join(logsDir, `dhash_${env}_${fileStamp(ms)}.log`);
}

/** True for a file name of the service's human log (not a JSON Lines audit log). */
export function isServiceLogName(name: string): boolean {
  return /^dhash_.+_\d{8}_\d{6}\.log$/.test(name);
}

/** One line of the human log. */
export function humanLine(ts: string, level: string, who: string, msg: string, fields: Record<string, unknown>): string {
  const kv = Object.entries(fields)
    .filter(([k]) => k !== 'level')
    .map(([k, v]) => `${k}=${typeof v === 'string' && !/\s/.test(v) ? v : JSON.stringify(v)}`);
  return `${ts} ${level.padEnd(8)} ${who}: ${msg}${kv.length ? ` ${kv.join(' ')}` : ''}\n`;
}
