// Secrets in every encoding (issue #13): plain, URL-encoded, base64 of "\0user\0pass" (SMTP AUTH
// PLAIN) and of "user:pass" (HTTP Basic), base64 of the password alone (AUTH LOGIN), the
// Authorization header forms. In-process for every configured secret, then end to end: a real SMTP
// server that rejects AUTH and echoes the AUTH PLAIN token in its error, the real CLI, and a scan
// of the whole workspace and of everything printed for every one of those forms.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findSecret, MASK, redactString, registerSecretEnv, secretValuesFrom } from '../../src/audit/redact.js';
import { makeWorkspace, runCli, type CliResult } from '../helpers/cli.js';
import { filesUnder, findLeaks, startSmtpEchoingAuth } from './sinks.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

/** Every spelling of a user and password the issue names, computed here independently of src/. */
function encodings(user: string, pass: string): string[] {
  return [
    pass,
    encodeURIComponent(pass),
    b64(pass),
    b64(pass).replace(/=+$/, ''),
    b64(`\0${user}\0${pass}`),
    b64(`\0${user}\0${pass}`).replace(/=+$/, ''),
    b64(`${user}:${pass}`),
    Buffer.from(`${user}:${pass}`).toString('base64url'),
  ];
}

describe('redaction of every encoding', () => {
  const cases: [string, Record<string, string>, string, string][] = [
    ['SMTP_USER/SMTP_PASS', { SMTP_USER: 'mailer-bot', SMTP_PASS: 'p@ss word!99' }, 'mailer-bot', 'p@ss word!99'],
    ['SMTP_USER/SMTP_PASSWORD', { SMTP_USER: 'mailer-bot', SMTP_PASSWORD: 'Zq9-long-password' }, 'mailer-bot', 'Zq9-long-password'],
    ['SMTP_URL credentials', { SMTP_URL: 'smtp://relay-user:S3cr%40t-pass@mail.example.com:587' }, 'relay-user', 'S3cr@t-pass'],
    ['PROMETHEUS basic auth', { PROMETHEUS_USERNAME: 'prom-reader', PROMETHEUS_PASSWORD: 'prom-Pa55word' }, 'prom-reader', 'prom-Pa55word'],
    ['a webhook URL with credentials', { SLACK_WEBHOOK_URL: 'https://hookuser:hookpass123@hooks.example.com/services/T1/B2/SECRETslack42' }, 'hookuser', 'hookpass123'],
  ];
  for (const [what, env, user, pass] of cases) {
    it(`masks ${what} in every form, also inside longer text and at any base64 alignment`, () => {
      const secrets = secretValuesFrom(env);
      for (const form of encodings(user, pass)) {
        const out = redactString(`535 rejected [${form}] for the login`, secrets);
        expect(out, form).not.toContain(form);
        expect(out).toContain(MASK);
        expect(out).toMatch(/^535 rejected \[.*\] for the login$/);
        expect(findSecret(`x ${form} y`, secrets), form).toBeDefined();
      }
      // The password inside an unrelated base64 blob, at each of the three byte offsets.
      for (const prefix of ['', 'a', 'ab', 'abc']) {
        const blob = b64(`${prefix}{"login":"${pass}","n":1}`);
        const out = redactString(`blob ${blob}`, secrets);
        expect(Buffer.from(out.replace(/\*\*\*/g, ''), 'base64').toString('latin1'), `offset ${prefix.length}`).not.toContain(pass);
      }
    });
  }

  it('masks the Authorization header forms and SASL exchanges even without knowing the secret', () => {
    const none: string[] = [];
    expect(redactString('Authorization: Basic dXNlcjpwYXNzd29yZDEyMw==', none)).toBe(`Authorization: Basic ${MASK}`);
    expect(redactString('authorization: Bearer eyJhbGciOi.JIUzI1NiJ9.abc', none)).toBe(`authorization: Bearer ${MASK}`);
    expect(redactString('sent Basic dXNlcjpwYXNzd29yZDEyMw== to the proxy', none)).toBe(`sent Basic ${MASK} to the proxy`);
    expect(redactString('C: AUTH PLAIN AG1haWxlcgBodW50ZXIy', none)).toBe(`C: AUTH PLAIN ${MASK}`);
    // Plain words after "Basic" are not credentials.
    expect(redactString('Basic configuration applied', none)).toBe('Basic configuration applied');
    expect(findSecret('S: 535 AUTH PLAIN AG1haWxlcgBodW50ZXIy', none)).toBeDefined();
  });

  it('a variable a config points at becomes a secret with one call (e.g. a token variable a runbook names)', () => {
    const env = { DHASH_METRICS_READER: 'reader-credential-77' };
    expect(redactString('using reader-credential-77', secretValuesFrom(env))).toBe('using reader-credential-77');
    registerSecretEnv('DHASH_METRICS_READER');
    expect(redactString(`using reader-credential-77 and ${b64('reader-credential-77')}`, secretValuesFrom(env))).toBe(`using ${MASK} and ${MASK}`);
  });
});

const USER = 'alerts-mailer';
const PASS = 'Hunter2-smtp!pass';
const CLEAN = { SLACK_WEBHOOK_URL: undefined, TEAMS_WEBHOOK_URL: undefined, DISCORD_WEBHOOK_URL: undefined, EMAIL_TO: undefined, EMAIL_FROM: undefined, SMTP_URL: undefined, SMTP_HOST: undefined, SMTP_PORT: undefined, SMTP_USER: undefined, SMTP_PASS: undefined, SMTP_PASSWORD: undefined };

describe('an SMTP server that rejects AUTH and echoes the AUTH PLAIN token', () => {
  let ws: Awaited<ReturnType<typeof makeWorkspace>>;
  let outputs: Record<string, string>;
  beforeEach(async () => {
    ws = await makeWorkspace();
    outputs = {};
  });
  afterEach(() => ws.cleanup());

  it('leaves no form of the password in any file of the workspace or in anything printed; validate-logging passes, and finds a planted token', async () => {
    const smtp = await startSmtpEchoingAuth();
    try {
      const env = { ...CLEAN, ROLLOUT_OPERATOR: 'alice', EMAIL_TO: 'oncall@example.com', SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), SMTP_USER: USER, SMTP_PASS: PASS };
      const run = async (args: string[]): Promise<CliResult> => {
        const r = await runCli(args, { cwd: ws.root, env });
        outputs[`${args.join(' ')} stdout`] = r.stdout;
        outputs[`${args.join(' ')} stderr`] = r.stderr;
        return r;
      };
      const n = await run(['notify', '--type', 'rollback-failure', '--env', 'staging', '--message', 'rollback failed']);
      const j = await run(['notify', '--type', 'deploy-failure', '--env', 'staging', '--message', 'deploy failed', '--json']);
      // A rollback with no backup is refused, but it notifies (start and refusal) and writes its log.
      const rb = await run(['rollback', '--env', 'staging']);

      // The server really got the credentials and really echoed them: the test is not vacuous.
      expect(smtp.attempts.length).toBeGreaterThanOrEqual(3);
      expect(smtp.attempts[0]).toEqual({ user: USER, token: b64(`\0${USER}\0${PASS}`) });
      expect(n.code).toBe(1);
      expect(j.code).toBe(1);
      expect(rb.code).not.toBe(0);
      expect(n.stderr).toMatch(/^rollout: notification not delivered on email \(.*535.*\); it was written to notifications\/fallback\//);
      expect(n.stderr).toContain(MASK);
      expect((JSON.parse(j.stdout.trim().split('\n').pop()!) as { ok: boolean }).ok).toBe(false);
      expect(filesUnder(ws.root, 'notifications/fallback').length).toBeGreaterThanOrEqual(2);
      expect(filesUnder(ws.root, 'logs').some((f) => /rollback_staging_/.test(f))).toBe(true);

      const v = await run(['validate-logging']);
      expect(v.stderr).toBe('');
      expect(v.code).toBe(0);
      expect(findLeaks(ws.root, outputs, [...encodings(USER, PASS), b64(USER)])).toEqual([]);

      // validate-logging finds the token where redaction was bypassed: in logs/ and in an incident.
      mkdirSync(join(ws.root, 'incidents/INC-20261123-101500/logs'), { recursive: true });
      writeFileSync(join(ws.root, 'incidents/INC-20261123-101500/logs/notify_staging_20261123_101500.log'), `${JSON.stringify({ ts: 't', level: 'error', event: 'x', detail: `535 ${b64(`\0${USER}\0${PASS}`)}` })}\n`);
      const bad = await runCli(['validate-logging'], { cwd: ws.root, env });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/the first in incidents\/INC-20261123-101500\/logs\/notify_staging_20261123_101500\.log:1 \(unredacted secret/);
      // Without the variables set, the AUTH PLAIN shape alone is found.
      writeFileSync(join(ws.root, 'incidents/INC-20261123-101500/logs/notify_staging_20261123_101500.log'), `${JSON.stringify({ ts: 't', level: 'error', event: 'x', detail: `C: AUTH PLAIN ${b64(`\0${USER}\0${PASS}`)}` })}\n`);
      const shape = await runCli(['validate-logging'], { cwd: ws.root, env: CLEAN });
      expect(shape.code).toBe(1);
      expect(readFileSync(join(ws.root, 'logs/test_logging.log'), 'utf8')).toMatch(/secret-shaped value/);
    } finally {
      await smtp.close();
    }
  }, 120_000);
});
