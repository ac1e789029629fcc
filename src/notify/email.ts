// Email over SMTP with nodemailer: a text part and a simple HTML part. Settings from SMTP_URL
// (smtp:// or smtps://user:pass@host:port), or SMTP_HOST, SMTP_PORT (587; 465 means implicit
// TLS), SMTP_USER, SMTP_PASS; recipients from EMAIL_TO (comma-separated), sender EMAIL_FROM.
// With credentials to a non-loopback server, STARTTLS is required: a password never crosses the
// network in clear text. Transient failures (connection, timeout, 4xx replies) are retried.
import { hostname } from 'node:os';
import type SMTPTransport from 'nodemailer/lib/smtp-transport';
import { factsOf, plainText, titleOf } from './format.js';
import { envValue, type Channel, type RenderInput } from './channel.js';
import { backoffDelay, isLoopbackHost, type DeliveryContext, type DeliveryResult } from './http.js';

/** What the email channel sends. */
export interface EmailPayload {
  from: string;
  to: string[];
  subject: string;
  text: string;
  html: string;
}

function html(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const SEVERITY_COLOR = { critical: '#d83c3e', warning: '#b8860b', info: '#2f6fde' } as const;

/** The message for a notification, addressed from `from` to `to`. */
export function emailPayload(r: RenderInput, from: string, to: string[]): EmailPayload {
  const { n, severity, at } = r;
  const title = titleOf(n, severity);
  const short = n.message.replace(/\s+/g, ' ').trim();
  const rows = factsOf(n, severity, at)
    .map((f) => `<tr><th align="left" style="padding:2px 12px 2px 0">${html(f.label)}</th><td>${html(f.value)}</td></tr>`)
    .join('');
  return {
    from,
    to,
    subject: `${title} - ${short.length > 80 ? `${short.slice(0, 79)}…` : short}`,
    text: plainText(n, severity, at),
    html: `<!doctype html><html><body style="font-family:sans-serif"><h2 style="color:${SEVERITY_COLOR[severity]}">${html(title)}</h2><p>${html(n.message).replace(/\n/g, '<br>')}</p><table>${rows}</table><p style="color:#777">Sent by guarded-rollout.</p></body></html>`,
  };
}

interface SmtpSettings {
  options?: SMTPTransport.Options;
  host?: string;
  problem?: string;
}

function smtpSettings(env: NodeJS.ProcessEnv, timeoutMs: number): SmtpSettings {
  const timeouts = { connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs };
  const url = envValue(env, 'SMTP_URL');
  if (url) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return { problem: 'SMTP_URL is not a valid URL (expected smtp://user:pass@host:port or smtps://…).' };
    }
    if (u.protocol !== 'smtp:' && u.protocol !== 'smtps:') return { problem: 'SMTP_URL must start with smtp:// or smtps://.' };
    const secure = u.protocol === 'smtps:';
    const auth = u.username !== '';
    return { host: u.hostname, options: { url, ...timeouts, ...(auth && !secure && !isLoopbackHost(u.hostname) ? { requireTLS: true } : {}) } };
  }
  const host = envValue(env, 'SMTP_HOST');
  if (!host) return {};
  const portText = envValue(env, 'SMTP_PORT') ?? '587';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { problem: 'SMTP_PORT must be a port number from 1 to 65535.' };
  const user = envValue(env, 'SMTP_USER');
  const pass = env.SMTP_PASS ?? env.SMTP_PASSWORD;
  if (user && !pass) return { problem: 'SMTP_USER is set but SMTP_PASS is not.' };
  const secure = port === 465;
  return {
    host,
    options: { host, port, secure, ...timeouts, ...(user && pass ? { auth: { user, pass } } : {}), ...(user && !secure && !isLoopbackHost(host) ? { requireTLS: true } : {}) },
  };
}

/** Errors worth another try: the connection, a timeout, or a 4xx (temporary) SMTP reply. */
function transient(e: { code?: string; responseCode?: number }): boolean {
  if (e.responseCode !== undefined) return e.responseCode >= 400 && e.responseCode < 500;
  return ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNRESET', 'ECONNREFUSED'].includes(e.code ?? '');
}

async function sendMail(options: SMTPTransport.Options, payload: EmailPayload, ctx: DeliveryContext): Promise<DeliveryResult> {
  const max = ctx.retries + 1;
  let last = 'not attempted';
  // nodemailer is loaded only when an email is actually sent (see postJson's undici).
  const { default: nodemailer } = await import('nodemailer');
  for (let attempt = 1; attempt <= max; attempt++) {
    const transport = nodemailer.createTransport(options);
    try {
      const info = await transport.sendMail({ from: payload.from, to: payload.to, subject: payload.subject, text: payload.text, html: payload.html });
      const accepted = info.accepted.length;
      if (info.rejected.length > 0 && accepted === 0) return { status: 'failed', attempts: attempt, detail: ctx.redact('every recipient was rejected') };
      return { status: 'delivered', attempts: attempt, detail: ctx.redact(`accepted for ${accepted} recipient(s)${info.rejected.length ? `, ${info.rejected.length} rejected` : ''}`) };
    } catch (e) {
      const err = e as { code?: string; responseCode?: number; message?: string };
      // nodemailer quotes servers' replies and sometimes credentials: only redacted text leaves.
      last = `${err.code ? `${err.code}: ` : ''}${(err.message ?? String(e)).split('\n')[0]}`;
      if (!transient(err) || attempt === max) return { status: 'failed', attempts: attempt, detail: ctx.redact(`${last}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`) };
    } finally {
      transport.close();
    }
    await ctx.clock.sleep(backoffDelay(ctx.backoffMs, attempt));
  }
  return { status: 'failed', attempts: max, detail: ctx.redact(last) };
}

/** The email channel from EMAIL_TO, EMAIL_FROM and the SMTP settings. */
export function emailChannel(env: NodeJS.ProcessEnv, timeoutMs: number): Channel {
  const toText = envValue(env, 'EMAIL_TO');
  const to = (toText ?? '').split(/[,;]/).map((s) => s.trim()).filter(Boolean);
  const from = envValue(env, 'EMAIL_FROM') ?? `guarded-rollout <rollout@${hostname()}>`;
  const smtp = smtpSettings(env, timeoutMs);
  const configured = toText !== undefined || envValue(env, 'SMTP_URL') !== undefined || envValue(env, 'SMTP_HOST') !== undefined;
  let problem = smtp.problem;
  if (!problem && configured && !smtp.options) problem = 'EMAIL_TO is set but neither SMTP_URL nor SMTP_HOST is.';
  if (!problem && configured && to.length === 0) problem = 'EMAIL_TO is not set: the email channel needs at least one recipient.';
  return {
    name: 'email',
    configured,
    unconfiguredReason: 'EMAIL_TO and SMTP_URL/SMTP_HOST are not set',
    ...(problem ? { problem } : {}),
    target: smtp.host ? `smtp ${smtp.host} to ${to.join(', ')}` : to.join(', '),
    payload: (r) => emailPayload(r, from, to),
    deliver: (payload, ctx) => sendMail(smtp.options ?? {}, payload as EmailPayload, ctx),
  };
}
