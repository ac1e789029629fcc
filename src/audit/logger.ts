// The audit log: JSON Lines in logs/<kind>_<env>_<UTC ts>.log, one event a line, every event
// redacted. Each line is one write() on an O_APPEND descriptor, so several processes appending
// to one file never tear or interleave lines. A process killed mid-write (SIGKILL lands between
// two pages of a write; a full disk) can leave a torn last line: whoever appends next (a resumed
// monitor, deploy or rollback) writes its first event again on a line of its own when it was
// glued to such a line. That is checked after the write, not guessed before it: a line another
// live process is writing also looks unended for a moment (the size grows page by page), but the
// kernel finishes that write before it starts ours, so what precedes our line is final.
import { closeSync, fstatSync, openSync, readSync, writeSync, existsSync } from 'node:fs';
import { displayPath, ioFailure, mkdirReal } from '../domain/io-errors.js';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fileStamp } from '../domain/time.js';
import { redact } from './redact.js';

export type LogKind = 'deploy' | 'monitor' | 'rollback' | 'smoke_test' | 'backup' | 'migrate' | 'run' | 'notify' | 'premerge' | 'service' | 'train';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** One audit event as written. */
export interface AuditEvent {
  ts: string;
  level: LogLevel;
  event: string;
  env: string;
  run_id: string;
  [k: string]: unknown;
}

/** A short id shared by every event of one run (one command invocation). */
export function newRunId(): string {
  return randomBytes(6).toString('hex');
}

/** The log path for a kind, environment and time (SPEC.md names). */
export function logPath(logsDir: string, kind: LogKind, env: string, ms: number): string {
  return join(logsDir, `${kind}_${env}_${fileStamp(ms)}.log`);
}

/** Appends redacted events to one JSON Lines file. */
export class AuditLog {
  readonly path: string;
  readonly env: string;
  readonly runId: string;
  private fd: number | undefined;
  /** Why writing stopped part-way (the disk filled up), if it did. */
  broken: string | undefined;
  private readonly now: () => number;
  private listeners = new Set<(e: AuditEvent) => void>();

  constructor(opts: { path: string; env: string; runId?: string; now?: () => number }) {
    this.path = opts.path;
    this.env = opts.env;
    this.runId = opts.runId ?? newRunId();
    this.now = opts.now ?? Date.now;
  }

  /** Open (or create) a log file for a kind and environment in a logs folder. */
  static open(logsDir: string, kind: LogKind, env: string, opts: { runId?: string; now?: () => number; path?: string } = {}): AuditLog {
    const now = opts.now ?? Date.now;
    return new AuditLog({ path: opts.path ?? logPath(logsDir, kind, env, now()), env, ...(opts.runId ? { runId: opts.runId } : {}), now });
  }

  /** Write one event; returns it as written (redacted). */
  write(level: LogLevel, event: string, fields: Record<string, unknown> = {}): AuditEvent {
    const e = redact({ ts: new Date(this.now()).toISOString(), level, event, env: this.env, run_id: this.runId, ...fields }) as AuditEvent;
    const line = `${JSON.stringify(e)}\n`;
    // Whether this first line may land glued to a torn one (the file's last line looked unended).
    let firstLine = false;
    if (this.fd === undefined && this.broken === undefined) {
      // The first event is written before the command changes anything: a log that cannot be
      // opened (read-only, full, no permission) stops it there, with one sentence.
      try {
        const dir = this.path.slice(0, Math.max(this.path.lastIndexOf('/'), this.path.lastIndexOf('\\')));
        if (dir && !existsSync(dir)) mkdirReal(dir);
        this.fd = openSync(this.path, 'a+', 0o640);
        firstLine = endsTorn(this.fd);
      } catch (err) {
        throw ioFailure(err, `write the audit log ${displayPath(this.path)}`, this.path) ?? err;
      }
    }
    if (this.fd !== undefined) {
      const buf = Buffer.from(line);
      let off = 0;
      try {
        while (off < buf.length) off += writeSync(this.fd, buf, off);
        // Glued, the torn line and ours now end with our newline: the event again is a whole line.
        if (firstLine && gluedToTornLine(this.fd, buf)) for (off = 0; off < buf.length; ) off += writeSync(this.fd, buf, off);
      } catch (err) {
        // Later failures (the disk filled up mid-run) must not abort a deploy or a rollback half
        // way: say so once on stderr, and keep going without the log.
        const f = ioFailure(err, `write the audit log ${displayPath(this.path)}`, this.path);
        if (!f) throw err;
        this.broken = f.message;
        process.stderr.write(`rollout: warning: ${f.message} The rest of this run is not logged there.\n`);
        closeSync(this.fd);
        this.fd = undefined;
      }
    }
    for (const l of this.listeners) l(e);
    return e;
  }

  info(event: string, fields?: Record<string, unknown>): AuditEvent {
    return this.write('info', event, fields);
  }
  warn(event: string, fields?: Record<string, unknown>): AuditEvent {
    return this.write('warn', event, fields);
  }
  error(event: string, fields?: Record<string, unknown>): AuditEvent {
    return this.write('error', event, fields);
  }

  /** Be told of every event written (screens tail the log this way). */
  subscribe(fn: (e: AuditEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Whether an open log's last line lacks its newline (its writer was killed mid-line, or is still writing it). */
function endsTorn(fd: number): boolean {
  const size = fstatSync(fd).size;
  if (size === 0) return false;
  const last = Buffer.alloc(1);
  return readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
}

/**
 * Whether `line`, just appended to `fd`, follows a line without its newline (a torn one): the
 * line is found near the end (it carries this run's id and time, so it is the only copy) and the
 * byte before it is read. Writes on one file are serialised by the kernel, so every byte before
 * our line was final once our write returned. Not found (others appended a lot since): false.
 */
function gluedToTornLine(fd: number, line: Buffer): boolean {
  const size = fstatSync(fd).size;
  const span = Math.min(size, line.length + (256 << 10));
  const tail = Buffer.alloc(span);
  const got = readSync(fd, tail, 0, span, size - span);
  const at = tail.subarray(0, got).lastIndexOf(line);
  if (at < 0) return false;
  const pos = size - span + at;
  if (pos === 0) return false;
  const before = Buffer.alloc(1);
  return readSync(fd, before, 0, 1, pos - 1) === 1 && before[0] !== 0x0a;
}
