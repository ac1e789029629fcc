// What every channel says, in one place: the severity a type defaults to, the title, the facts
// (environment, version, operator, gate against threshold, log) and a plain-text rendering.
// Channels only lay these out in their own formats, so they never disagree with each other.
import { formatNumber, formatValue } from '../domain/format.js';
import type { Severity } from '../config/gates-schema.js';
import type { Notification, NotificationType } from './types.js';

/**
 * The severity of each type when the caller gives none. Breaches, failures and the start of a
 * rollback are critical (someone must look now); warnings, the sign-off request and a finished
 * rollback are warning (a human should know the release is not live, or must act); the rest is info.
 */
export const DEFAULT_SEVERITY: Record<NotificationType, Severity> = {
  test: 'info',
  'deploy-start': 'info',
  'deploy-success': 'info',
  'deploy-failure': 'critical',
  'sign-off': 'warning',
  'gate-warn': 'warning',
  'gate-breach': 'critical',
  'rollback-start': 'critical',
  'rollback-success': 'warning',
  'rollback-failure': 'critical',
  'monitor-complete': 'info',
};

const TITLES: Record<NotificationType, string> = {
  test: 'Test notification',
  'deploy-start': 'Deploy started',
  'deploy-success': 'Deploy succeeded',
  'deploy-failure': 'Deploy failed',
  'sign-off': 'Deploy sign-off',
  'gate-warn': 'Quality gate warning',
  'gate-breach': 'Quality gate breached',
  'rollback-start': 'Rollback started',
  'rollback-success': 'Rollback succeeded',
  'rollback-failure': 'Rollback failed',
  'monitor-complete': 'Monitoring window complete',
};

/** The severity a notification is sent with: its own, or its type's default. */
export function severityOf(n: Notification): Severity {
  return n.severity ?? DEFAULT_SEVERITY[n.type];
}

/** A one-line title, e.g. "[CRITICAL] Quality gate breached: production". */
export function titleOf(n: Notification, severity = severityOf(n)): string {
  return `[${severity.toUpperCase()}] ${TITLES[n.type]}: ${n.env}`;
}

/** One labelled value shown by every channel. */
export interface Fact {
  label: string;
  value: string;
}


/** "p95_hash_time: 2450 ms against a threshold of 2000 ms (15 min window)". */
export function gateLine(g: NonNullable<Notification['gate']>): string {
  // Values as every face shows them (src/domain/format.ts): rounded, with the unit.
  const window = g.windowMinutes > 0 ? `${formatNumber(g.windowMinutes)} min window` : 'latest reading';
  return `${g.name}: ${formatValue(g.value, g.unit, { none: 'no reading' })} against a threshold of ${formatValue(g.threshold, g.unit)} (${window})`;
}

/** The facts of a notification, in the order every channel shows them. */
export function factsOf(n: Notification, severity: Severity, at: number): Fact[] {
  const facts: Fact[] = [
    { label: 'Environment', value: n.env },
    { label: 'Severity', value: severity },
    { label: 'Type', value: n.type },
  ];
  if (n.version) facts.push({ label: 'Version', value: n.version });
  if (n.operator) facts.push({ label: 'Operator', value: n.operator });
  if (n.gate) facts.push({ label: 'Gate', value: gateLine(n.gate) });
  if (n.incidentId) facts.push({ label: 'Incident', value: n.incidentId });
  if (n.logPath) facts.push({ label: 'Log', value: n.logPath });
  facts.push({ label: 'Time', value: new Date(at).toISOString() });
  return facts;
}

/** The plain-text form (email text part, fallback files, dry-run output). */
export function plainText(n: Notification, severity: Severity, at: number): string {
  const lines = [titleOf(n, severity), '', n.message, ''];
  for (const f of factsOf(n, severity, at)) lines.push(`${f.label}: ${f.value}`);
  return `${lines.join('\n')}\n`;
}

/** Cut a string to `max` characters, marking the cut (channels reject over-long fields). */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - 1))}…`;
}
