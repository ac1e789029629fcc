// The file fallback: one JSON file per notification that a channel did not deliver (or that no
// channel took, or that a dry-run only rehearsed), holding what was to be sent and why it was
// not. Written atomically and redacted, so an operator can read or replay it and nothing leaks.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { redact } from '../audit/redact.js';
import { writeJsonAtomic } from '../domain/fs-atomic.js';
import { fileStamp } from '../domain/time.js';
import type { Severity } from '../config/gates-schema.js';
import type { ChannelOutcome, Notification } from './types.js';

/** Why a fallback file was written. */
export type FallbackReason = 'failed' | 'no-channel' | 'dry-run';

/** One channel's part of a fallback record. */
export interface FallbackChannel extends ChannelOutcome {
  target?: string;
  payload?: unknown;
}

/** The content of a fallback file. */
export interface FallbackRecord {
  kind: 'guarded-rollout/notification';
  version: 1;
  written_at: string;
  reason: FallbackReason;
  why: string;
  severity: Severity;
  title: string;
  text: string;
  notification: Notification;
  channels: FallbackChannel[];
}

function safe(s: string): string {
  return s.replace(/[^a-zA-Z0-9-]+/g, '_').slice(0, 40) || 'x';
}

/** Write a record to `dir` atomically, redacted with `secrets`; returns the file's path. */
export function writeFallback(dir: string, record: FallbackRecord, at: number, secrets: readonly string[]): string {
  const n = record.notification;
  const path = join(dir, `${fileStamp(at)}_${safe(n.env)}_${safe(n.type)}_${randomBytes(3).toString('hex')}.json`);
  writeJsonAtomic(path, redact(record, secrets));
  return path;
}
