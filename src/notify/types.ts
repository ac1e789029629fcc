// The notification engine's contract: what deploy, monitor and rollback hand it, and what it
// reports back. Implemented in src/notify/ (the notifications issue).
import type { ChannelName, Severity } from '../config/gates-schema.js';

export const NOTIFICATION_TYPES = [
  'test',
  'deploy-start',
  'deploy-success',
  'deploy-failure',
  'sign-off',
  'gate-warn',
  'gate-breach',
  'rollback-start',
  'rollback-success',
  'rollback-failure',
  'monitor-complete',
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** One notification, as the engine's callers describe it. */
export interface Notification {
  type: NotificationType;
  env: string;
  message: string;
  /** Defaults from the type (e.g. gate-breach and rollback-failure are critical). */
  severity?: Severity;
  version?: string;
  operator?: string;
  gate?: { name: string; value: number | null; threshold: number; unit: string; windowMinutes: number };
  /** Workspace-relative path of the log that tells the story. */
  logPath?: string;
  incidentId?: string;
}

/** What happened on one channel. */
export interface ChannelOutcome {
  channel: ChannelName | 'fallback';
  status: 'delivered' | 'failed' | 'skipped' | 'dry-run' | 'folded';
  attempts: number;
  detail?: string;
  /** Where it went, safe to print (scheme, host and port; SMTP host and recipients). */
  target?: string;
  /** The body sent, or that would have been sent (redacted). */
  payload?: unknown;
}

/** The result of one send: per channel, plus the fallback file if one was written. */
export interface DeliveryReport {
  notification: Notification;
  outcomes: ChannelOutcome[];
  fallbackFile?: string;
  ok: boolean;
}

/** The engine as its callers see it. */
export interface Notifier {
  send(n: Notification): Promise<DeliveryReport>;
}
