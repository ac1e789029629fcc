// `rollout notify` as operators run it: the real bundled CLI, real loopback endpoints whose paths
// carry secrets, and a scan of the workspace and of everything printed for those secrets.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli, type CliResult } from '../helpers/cli.js';
import { filesUnder, findLeaks, startSink, startSmtp, type Sink, type SmtpSink } from '../notify/sinks.js';

const SECRETS = ['SECRETsecret123', 'SECRETteams456', 'SECRETdisc789', 'SmtpPassw0rd!secret'];
/** Channel variables cleared, so that the developer's own environment never leaks into a test. */
const CLEAN = { SLACK_WEBHOOK_URL: undefined, TEAMS_WEBHOOK_URL: undefined, DISCORD_WEBHOOK_URL: undefined, TEAMS_WEBHOOK_FORMAT: undefined, EMAIL_TO: undefined, EMAIL_FROM: undefined, SMTP_URL: undefined, SMTP_HOST: undefined, SMTP_PORT: undefined, SMTP_USER: undefined, SMTP_PASS: undefined };

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let sinks: Sink[] = [];
let smtp: SmtpSink | undefined;
let outputs: Record<string, string> = {};

async function sink(status = 200): Promise<Sink> {
  const s = await startSink(() => ({ status, body: status === 200 ? 'ok' : 'boom' }));
  sinks.push(s);
  return s;
}

async function rollout(args: string[], env: Record<string, string | undefined>): Promise<CliResult> {
  const r = await runCli(args, { cwd: ws.root, env: { ...CLEAN, ROLLOUT_OPERATOR: 'alice', ...env } });
  const i = Object.keys(outputs).length;
  outputs[`stdout#${i}`] = r.stdout;
  outputs[`stderr#${i}`] = r.stderr;
  return r;
}

/** One retry with the default backoff keeps failing cases quick. */
function quickRetries(): void {
  const p = join(ws.root, 'quality-gates-config.json');
  const cfg = JSON.parse(readFileSync(p, 'utf8')) as { environments: Record<string, Record<string, unknown>> };
  cfg.environments.staging!.notifications = { retries: 1, timeout_ms: 3000 };
  writeFileSync(p, JSON.stringify(cfg, null, 2));
}

beforeEach(async () => {
  ws = await makeWorkspace();
  outputs = {};
});

afterEach(async () => {
  const leaks = findLeaks(ws.root, outputs, SECRETS);
  await Promise.all(sinks.map((s) => s.close()));
  sinks = [];
  await smtp?.close();
  smtp = undefined;
  ws.cleanup();
  expect(leaks).toEqual([]);
});

describe('rollout notify', () => {
  it('reaches Slack and Teams as JSON, exits 0, writes no fallback, and validate-logging passes', async () => {
    const slack = await sink();
    const teams = await sink();
    const env = { SLACK_WEBHOOK_URL: slack.url('/services/T000/B000/SECRETsecret123'), TEAMS_WEBHOOK_URL: teams.url('/workflows/SECRETteams456/triggers/manual/paths/invoke?sig=SECRETteams456') };
    const r = await rollout(['notify', '--type', 'test', '--env', 'staging', '--message', 'hello from the rollout'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(slack.received).toHaveLength(1);
    expect(teams.received).toHaveLength(1);
    expect(slack.received[0]!.headers['content-type']).toMatch(/^application\/json/);
    expect((slack.received[0]!.json as { blocks: unknown[] }).blocks.length).toBeGreaterThan(2);
    expect((teams.received[0]!.json as { attachments: { contentType: string }[] }).attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(JSON.stringify(slack.received[0]!.json)).toContain('hello from the rollout');
    expect(r.stdout).toMatch(/slack\s+delivered/);
    expect(r.stdout).toMatch(/teams\s+delivered/);
    expect(r.stdout).toMatch(/discord\s+skipped\s+DISCORD_WEBHOOK_URL is not set/);
    expect(filesUnder(ws.root, 'notifications/fallback')).toEqual([]);
    const logs = filesUnder(ws.root, 'logs');
    expect(logs.some((f) => /^logs\/notify_staging_\d{8}_\d{6}\.log$/.test(f))).toBe(true);

    const v = await rollout(['validate-logging'], env);
    expect(v.stderr).toBe('');
    expect(v.code).toBe(0);
  });

  it('--dry-run sends nothing, prints each payload with the URL masked, and writes them to the fallback folder', async () => {
    const slack = await sink();
    const discord = await sink();
    const env = { SLACK_WEBHOOK_URL: slack.url('/services/T000/B000/SECRETsecret123'), DISCORD_WEBHOOK_URL: discord.url('/api/webhooks/1/SECRETdisc789') };
    const r = await rollout(['notify', '--type', 'gate-breach', '--env', 'staging', '--message', 'p95 above 3000 ms', '--dry-run'], env);
    expect(r.code).toBe(0);
    expect(slack.received).toHaveLength(0);
    expect(discord.received).toHaveLength(0);
    expect(r.stdout).toContain('Dry-run: nothing sent.');
    expect(r.stdout).toContain(`--- slack payload, to http://127.0.0.1:${slack.port}/… ---`);
    expect(r.stdout).toContain('"type": "header"');
    expect(r.stdout).toContain('--- discord payload');
    expect(r.stdout).toContain('"embeds"');
    const files = filesUnder(ws.root, 'notifications/fallback');
    expect(files).toHaveLength(1);
    const rec = JSON.parse(readFileSync(join(ws.root, files[0]!), 'utf8')) as { reason: string; channels: { channel: string }[] };
    expect(rec.reason).toBe('dry-run');
    expect(rec.channels.map((c) => c.channel)).toEqual(['slack', 'discord']);
  });

  it('exits 1 when Discord answers 500, naming it on stderr, with the fallback written and the others delivered', async () => {
    quickRetries();
    const slack = await sink();
    const discord = await sink(500);
    const env = { SLACK_WEBHOOK_URL: slack.url('/services/T000/B000/SECRETsecret123'), DISCORD_WEBHOOK_URL: discord.url('/api/webhooks/1/SECRETdisc789') };
    const r = await rollout(['notify', '--type', 'deploy-failure', '--env', 'staging', '--message', 'deploy of 1.2.0 failed'], env);
    expect(r.code).toBe(1);
    expect(discord.received).toHaveLength(2);
    expect(slack.received).toHaveLength(1);
    const files = filesUnder(ws.root, 'notifications/fallback');
    expect(files).toHaveLength(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toBe(`rollout: notification not delivered on discord (HTTP 500: boom (after 2 attempts)); it was written to ${files[0]}.\n`);
    expect(r.stdout).toMatch(/fallback\s+written\s+notifications\/fallback\//);

    const v = await rollout(['validate-logging'], env);
    expect(v.code).toBe(0);
  });

  it('with no channel configured writes the fallback and exits 0', async () => {
    const r = await rollout(['notify', '--type', 'monitor-complete', '--env', 'development', '--message', 'T+60 passed'], {});
    expect(r.code).toBe(0);
    const files = filesUnder(ws.root, 'notifications/fallback');
    expect(files).toHaveLength(1);
    const rec = JSON.parse(readFileSync(join(ws.root, files[0]!), 'utf8')) as { reason: string; notification: { message: string; operator: string } };
    expect(rec).toMatchObject({ reason: 'no-channel', notification: { message: 'T+60 passed', operator: 'alice' } });
    // The fallback file is a record, not a person: the output says nobody was told.
    expect(r.stdout).toContain(`NOBODY NOTIFIED: no channel is set up to take it; written to ${files[0]}`);
    const j = await rollout(['notify', '--type', 'monitor-complete', '--env', 'development', '--message', 'T+60 again', '--json'], {});
    expect(JSON.parse(j.stdout)).toMatchObject({ delivered_to: [], nobody_notified: true });
  });

  it('prints one JSON object with --json', async () => {
    const slack = await sink();
    const r = await rollout(['notify', '--type', 'test', '--env', 'staging', '--message', 'json please', '--json'], { SLACK_WEBHOOK_URL: slack.url('/services/T000/B000/SECRETsecret123') });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; severity: string; outcomes: { channel: string; status: string }[]; fallback_file: string | null; log: string };
    expect(out.ok).toBe(true);
    expect(out.severity).toBe('info');
    expect(out.outcomes.find((o) => o.channel === 'slack')!.status).toBe('delivered');
    expect(out.fallback_file).toBeNull();
    expect(out).toMatchObject({ delivered_to: ['slack'], nobody_notified: false });
    expect(out.log).toMatch(/^logs\/notify_staging_/);
  });

  it('sends the email to a real SMTP server', async () => {
    smtp = await startSmtp({ user: 'rollout-mailer', pass: 'SmtpPassw0rd!secret' });
    const env = { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(smtp.port), SMTP_USER: 'rollout-mailer', SMTP_PASS: 'SmtpPassw0rd!secret', EMAIL_TO: 'oncall@example.com', EMAIL_FROM: 'rollout@example.com' };
    const r = await rollout(['notify', '--type', 'rollback-start', '--env', 'production', '--message', 'rolling back production'], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(smtp.mails).toHaveLength(1);
    expect(smtp.mails[0]!.to).toEqual(['oncall@example.com']);
    expect(smtp.mails[0]!.raw).toContain('Subject: [CRITICAL] Rollback started: production');
  });

  it('refuses an unknown --type with exit 2 and the list of types, and an unknown environment with exit 2', async () => {
    const r = await rollout(['notify', '--type', 'party', '--env', 'staging', '--message', 'x'], {});
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown --type "party": expected one of test, deploy-start, deploy-success, deploy-failure, sign-off, gate-warn, gate-breach, rollback-start, rollback-success, rollback-failure, monitor-complete.');
    const e = await rollout(['notify', '--type', 'test', '--env', 'qa', '--message', 'x'], {});
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/Unknown environment "qa"/);
    expect(filesUnder(ws.root, 'notifications')).toEqual([]);
  });

  it('reports a plain-http webhook to a non-loopback host as a failed channel, without the URL', async () => {
    const r = await rollout(['notify', '--type', 'test', '--env', 'staging', '--message', 'x'], { SLACK_WEBHOOK_URL: 'http://hooks.example.com/services/T000/B000/SECRETsecret123' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('SLACK_WEBHOOK_URL must be an https:// URL');
    expect(filesUnder(ws.root, 'notifications/fallback')).toHaveLength(1);
  });
});
