// Email through a real SMTP server (smtp-server) on 127.0.0.1: settings from SMTP_HOST/PORT/USER/
// PASS or SMTP_URL, a text and an HTML part, failures retried or not, and the password nowhere.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/logger.js';
import type { NotificationSettings } from '../../src/config/gates-schema.js';
import { workspaceAt, type Workspace } from '../../src/config/workspace.js';
import { createNotifier, type Notification } from '../../src/notify/index.js';
import { freePort } from '../helpers/cli.js';
import { filesUnder, findLeaks, startSmtp, type SmtpSink } from './sinks.js';

const USER = 'rollout-mailer';
const PASS = 'SmtpPassw0rd!secret';
const SECRETS = [PASS, encodeURIComponent(PASS), USER];

let ws: Workspace;
let smtp: SmtpSink | undefined;

const settings: NotificationSettings = { routing: { slack: [], teams: [], discord: [], email: ['warning', 'critical'] }, dedupeSeconds: 0, timeoutMs: 3000, retries: 0, rollbackWaitMs: 100 };

const failure: Notification = {
  type: 'rollback-failure',
  env: 'production',
  message: 'Rollback failed: health checks never recovered <script>',
  version: '1.1.0',
  operator: 'bob',
  incidentId: 'INC-20261123-101500',
  logPath: 'logs/rollback_production_20261123_101500.log',
};

/** The decoded body of a MIME part of a given type (7bit or quoted-printable). */
function part(raw: string, type: string): string {
  const i = raw.indexOf(`Content-Type: ${type}`);
  expect(i, `no ${type} part`).toBeGreaterThan(-1);
  const rest = raw.slice(i);
  const body = rest.slice(rest.indexOf('\r\n\r\n') + 4);
  const end = body.indexOf('\r\n--');
  const text = end >= 0 ? body.slice(0, end) : body;
  return /Content-Transfer-Encoding: quoted-printable/i.test(rest.slice(0, rest.indexOf('\r\n\r\n')))
    ? Buffer.from(text.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8')
    : text;
}

beforeEach(() => {
  ws = workspaceAt(mkdtempSync(join(tmpdir(), 'rollout-email-')));
});

afterEach(async () => {
  const leaks = findLeaks(ws.root, {}, SECRETS);
  await smtp?.close();
  smtp = undefined;
  rmSync(ws.root, { recursive: true, force: true });
  expect(leaks).toEqual([]);
});

describe('email over SMTP', () => {
  it('delivers a text and an HTML part to every EMAIL_TO recipient, with SMTP_HOST/PORT/USER/PASS', async () => {
    smtp = await startSmtp({ user: USER, pass: PASS });
    const envVars = { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), SMTP_USER: USER, SMTP_PASS: PASS, EMAIL_TO: 'oncall@example.com, sre@example.com', EMAIL_FROM: 'rollout@example.com' };
    const log = AuditLog.open(ws.logsDir, 'rollback', 'production');
    const r = await createNotifier({ ws, env: 'production', settings, log, envVars }).send(failure);
    log.close();
    expect(r.outcomes.find((o) => o.channel === 'email')).toMatchObject({ status: 'delivered', attempts: 1, detail: 'accepted for 2 recipient(s)' });
    expect(r.ok).toBe(true);
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.from).toBe('rollout@example.com');
    expect(mail.to).toEqual(['oncall@example.com', 'sre@example.com']);
    const headers = mail.raw.slice(0, mail.raw.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
    expect(headers).toMatch(/^Subject: \[CRITICAL\] Rollback failed: production - Rollback failed: health checks never recovered <script>$/m);
    expect(headers).toMatch(/^To: oncall@example.com, sre@example.com$/m);
    const text = part(mail.raw, 'text/plain');
    expect(text).toContain('Rollback failed: health checks never recovered <script>');
    expect(text).toContain('Incident: INC-20261123-101500');
    expect(text).toContain('Log: logs/rollback_production_20261123_101500.log');
    const html = part(mail.raw, 'text/html');
    expect(html).toContain('<h2');
    expect(html).toContain('[CRITICAL] Rollback failed: production');
    // The message is escaped, not markup.
    expect(html).toContain('recovered &lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<th align="left" style="padding:2px 12px 2px 0">Version</th><td>1.1.0</td>');
    expect(readFileSync(log.path, 'utf8')).toContain('"channel":"email","status":"delivered"');
  });

  it('takes its settings from SMTP_URL too', async () => {
    smtp = await startSmtp({ user: USER, pass: PASS });
    const envVars = { SMTP_URL: `smtp://${USER}:${encodeURIComponent(PASS)}@127.0.0.1:${smtp.port}`, EMAIL_TO: 'oncall@example.com' };
    const r = await createNotifier({ ws, env: 'production', settings, envVars }).send(failure);
    expect(r.outcomes.find((o) => o.channel === 'email')!.status).toBe('delivered');
    expect(smtp.mails[0]!.to).toEqual(['oncall@example.com']);
  });

  it('reports a rejected login without retrying and without the password the server quoted back', async () => {
    smtp = await startSmtp({ user: USER, pass: 'the-right-one' });
    const envVars = { SMTP_URL: `smtp://${USER}:${encodeURIComponent(PASS)}@127.0.0.1:${smtp.port}`, EMAIL_TO: 'oncall@example.com' };
    const log = AuditLog.open(ws.logsDir, 'notify', 'production');
    const r = await createNotifier({ ws, env: 'production', settings: { ...settings, retries: 2 }, log, envVars, backoffMs: 10 }).send(failure);
    log.close();
    const email = r.outcomes.find((o) => o.channel === 'email')!;
    expect(email.status).toBe('failed');
    expect(email.attempts).toBe(1);
    expect(email.detail).toMatch(/^EAUTH: /);
    expect(email.detail).toContain('***');
    expect(JSON.stringify(r.outcomes)).not.toContain(PASS);
    expect(smtp.mails).toHaveLength(0);
    expect(filesUnder(ws.root, 'notifications/fallback')).toHaveLength(1);
    expect(readFileSync(log.path, 'utf8')).toContain('EAUTH');
  });

  it('retries a refused connection and then fails', async () => {
    const port = await freePort();
    const envVars = { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), SMTP_USER: USER, SMTP_PASS: PASS, EMAIL_TO: 'oncall@example.com' };
    const r = await createNotifier({ ws, env: 'production', settings: { ...settings, retries: 1 }, envVars, backoffMs: 10 }).send(failure);
    const email = r.outcomes.find((o) => o.channel === 'email')!;
    expect(email).toMatchObject({ status: 'failed', attempts: 2 });
    expect(email.detail).toMatch(/ECONNECTION|ECONNREFUSED/);
  });

  it('names a half-configured channel as failed instead of silently skipping it', async () => {
    const r = await createNotifier({ ws, env: 'production', settings, envVars: { EMAIL_TO: 'oncall@example.com' } }).send(failure);
    expect(r.outcomes.find((o) => o.channel === 'email')).toMatchObject({ status: 'failed', attempts: 0, detail: 'EMAIL_TO is set but neither SMTP_URL nor SMTP_HOST is.' });
    const r2 = await createNotifier({ ws, env: 'production', settings, envVars: { SMTP_HOST: '127.0.0.1', SMTP_USER: USER, EMAIL_TO: 'a@example.com' } }).send(failure);
    expect(r2.outcomes.find((o) => o.channel === 'email')!.detail).toBe('SMTP_USER is set but SMTP_PASS is not.');
  });
});
