// The notification engine against real endpoints on 127.0.0.1: payload shapes, retries, 429,
// timeouts, refused connections, routing, folding, the fallback, the audit log, and no secret
// anywhere on disk afterwards.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/logger.js';
import type { NotificationSettings, Severity } from '../../src/config/gates-schema.js';
import { workspaceAt, type Workspace } from '../../src/config/workspace.js';
import { FakeClock } from '../../src/domain/clock.js';
import { createNotifier, sendAlongside, type DeliveryReport, type Notification } from '../../src/notify/index.js';
import { freePort } from '../helpers/cli.js';
import { filesUnder, findLeaks, startSink, type Received, type Reply, type Sink } from './sinks.js';

const SECRETS = ['SECRETsecret123', 'SECRETteams456', 'SECRETdisc789'];
const ALL: Severity[] = ['info', 'warning', 'critical'];

let ws: Workspace;
let sinks: Sink[] = [];

function settings(over: Partial<NotificationSettings> = {}): NotificationSettings {
  return { routing: { slack: ALL, teams: ALL, discord: ALL, email: ALL }, dedupeSeconds: 0, timeoutMs: 2000, retries: 0, rollbackWaitMs: 100, ...over };
}

async function sink(reply?: (r: Received, i: number) => Reply | Promise<Reply>): Promise<Sink> {
  const s = await startSink(reply);
  sinks.push(s);
  return s;
}

function readJsonLines(path: string): Record<string, unknown>[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}

const breach: Notification = {
  type: 'gate-breach',
  env: 'production',
  message: 'p95 hash time above its threshold; rolling back',
  version: '1.2.0-slow',
  operator: 'alice',
  gate: { name: 'p95_hash_time', value: 2450, threshold: 2000, unit: 'ms', windowMinutes: 15 },
  logPath: 'logs/monitor_production_20261123_101500.log',
};

beforeEach(() => {
  ws = workspaceAt(mkdtempSync(join(tmpdir(), 'rollout-notify-')));
});

afterEach(async () => {
  // The secret parts of every webhook URL must appear nowhere in the workspace.
  const leaks = findLeaks(ws.root, {}, SECRETS);
  await Promise.all(sinks.map((s) => s.close()));
  sinks = [];
  rmSync(ws.root, { recursive: true, force: true });
  expect(leaks).toEqual([]);
});

describe('delivery to Slack, Teams and Discord', () => {
  it('sends each channel its own payload shape, logs every outcome and writes no fallback', async () => {
    const s = await sink(() => ({ status: 200, body: 'ok' }));
    const log = AuditLog.open(ws.logsDir, 'monitor', 'production');
    const envVars = {
      SLACK_WEBHOOK_URL: s.url('/services/T000/B000/SECRETsecret123'),
      TEAMS_WEBHOOK_URL: s.url('/workflows/SECRETteams456/triggers/manual/paths/invoke'),
      DISCORD_WEBHOOK_URL: s.url('/api/webhooks/1/SECRETdisc789'),
    };
    const report = await createNotifier({ ws, env: 'production', settings: settings(), log, envVars }).send(breach);
    log.close();

    expect(report.ok).toBe(true);
    expect(report.fallbackFile).toBeUndefined();
    const by = Object.fromEntries(report.outcomes.map((o) => [o.channel, o]));
    expect(by.slack?.status).toBe('delivered');
    expect(by.teams?.status).toBe('delivered');
    expect(by.discord?.status).toBe('delivered');
    expect(by.email?.status).toBe('skipped');
    expect(filesUnder(ws.root, 'notifications/fallback')).toEqual([]);

    const slack = s.received.find((r) => r.path.startsWith('/services/'))!;
    expect(slack.headers['content-type']).toMatch(/application\/json/);
    const sj = slack.json as { text: string; blocks: { type: string; text?: { text: string }; fields?: { text: string }[]; elements?: { text: string }[] }[] };
    expect(sj.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text', text: '[CRITICAL] Quality gate breached: production' } });
    expect(sj.blocks[1]?.text?.text).toBe(breach.message);
    const fields = sj.blocks[2]!.fields!.map((f) => f.text).join('\n');
    expect(fields).toContain('*Environment*\nproduction');
    expect(fields).toContain('*Version*\n1.2.0-slow');
    expect(fields).toContain('*Operator*\nalice');
    expect(fields).toContain('p95_hash_time: 2450 ms against a threshold of 2000 ms (15 min window)');
    expect(sj.blocks.at(-1)).toMatchObject({ type: 'context' });
    expect(sj.blocks.at(-1)!.elements![0]!.text).toContain('logs/monitor_production_20261123_101500.log');

    const teams = s.received.find((r) => r.path.startsWith('/workflows/'))!.json as { type: string; attachments: { contentType: string; content: { type: string; version: string; body: { type: string; text?: string; color?: string; facts?: { title: string; value: string }[] }[] } }[] };
    expect(teams.type).toBe('message');
    expect(teams.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = teams.attachments[0]!.content;
    expect(card.type).toBe('AdaptiveCard');
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', color: 'Attention' });
    expect(card.body.find((b) => b.type === 'FactSet')!.facts).toContainEqual({ title: 'Gate', value: 'p95_hash_time: 2450 ms against a threshold of 2000 ms (15 min window)' });

    const discord = s.received.find((r) => r.path.startsWith('/api/webhooks/'))!.json as { embeds: { title: string; color: number; description: string; fields: { name: string; value: string }[] }[]; allowed_mentions: { parse: string[] } };
    expect(discord.embeds[0]!.color).toBe(0xd83c3e);
    expect(discord.embeds[0]!.description).toBe(breach.message);
    expect(discord.embeds[0]!.fields).toContainEqual(expect.objectContaining({ name: 'Version', value: '1.2.0-slow' }));
    expect(discord.allowed_mentions.parse).toEqual([]);

    const events = readJsonLines(log.path).filter((e) => e.event === 'notify.channel');
    expect(events.map((e) => [e.channel, e.status, e.attempts])).toEqual([
      ['slack', 'delivered', 1],
      ['teams', 'delivered', 1],
      ['discord', 'delivered', 1],
      ['email', 'skipped', 0],
    ]);
  });

  it('masks a secret that a caller put in the message before it leaves for any channel', async () => {
    const s = await sink();
    const url = s.url('/services/T000/B000/SECRETsecret123');
    await createNotifier({ ws, env: 'staging', settings: settings(), envVars: { SLACK_WEBHOOK_URL: url } }).send({ type: 'deploy-failure', env: 'staging', message: `curl to ${url} failed, password=hunter2hunter2` });
    expect(s.received).toHaveLength(1);
    expect(s.received[0]!.body).not.toContain('SECRETsecret123');
    expect(s.received[0]!.body).not.toContain('hunter2hunter2');
    expect(s.received[0]!.body).toContain('curl to *** failed');
  });

  it('colours Discord embeds by severity', async () => {
    const s = await sink();
    const envVars = { DISCORD_WEBHOOK_URL: s.url('/api/webhooks/1/SECRETdisc789') };
    const n = createNotifier({ ws, env: 'staging', settings: settings(), envVars });
    await n.send({ type: 'deploy-success', env: 'staging', message: 'deployed 1.1.0' });
    await n.send({ type: 'gate-warn', env: 'staging', message: 'p95 at 85 % of its threshold' });
    const colours = s.received.map((r) => (r.json as { embeds: { color: number }[] }).embeds[0]!.color);
    expect(colours).toEqual([0x2f6fde, 0xf2c744]);
  });

  it('sends the older Teams connector a MessageCard, chosen by TEAMS_WEBHOOK_FORMAT or by the URL', async () => {
    const s = await sink(() => ({ status: 200, body: '1' }));
    await createNotifier({ ws, env: 'staging', settings: settings(), envVars: { TEAMS_WEBHOOK_URL: s.url('/hook/SECRETteams456'), TEAMS_WEBHOOK_FORMAT: 'messagecard' } }).send(breach);
    await createNotifier({ ws, env: 'staging', settings: settings(), envVars: { TEAMS_WEBHOOK_URL: s.url('/webhookb2/SECRETteams456/IncomingWebhook/x') } }).send(breach);
    await createNotifier({ ws, env: 'staging', settings: settings(), envVars: { TEAMS_WEBHOOK_URL: s.url('/webhookb2/SECRETteams456/IncomingWebhook/x'), TEAMS_WEBHOOK_FORMAT: 'adaptive' } }).send(breach);
    const shapes = s.received.map((r) => ((r.json as Record<string, unknown>)['@type'] as string | undefined) ?? (r.json as { type: string }).type);
    expect(shapes).toEqual(['MessageCard', 'MessageCard', 'message']);
    const mc = s.received[0]!.json as { themeColor: string; title: string; sections: { facts: { name: string; value: string }[] }[] };
    expect(mc.themeColor).toBe('D83C3E');
    expect(mc.title).toBe('[CRITICAL] Quality gate breached: production');
    expect(mc.sections[0]!.facts).toContainEqual({ name: 'Environment', value: 'production' });
  });

  it('treats a connector that answers 200 with an error text as not delivered', async () => {
    const s = await sink(() => ({ status: 200, body: 'Webhook message delivery failed with error: Microsoft Teams endpoint returned HTTP error 413' }));
    const r = await createNotifier({ ws, env: 'staging', settings: settings(), envVars: { TEAMS_WEBHOOK_URL: s.url('/webhookb2/SECRETteams456/IncomingWebhook/x') } }).send(breach);
    expect(r.outcomes.find((o) => o.channel === 'teams')).toMatchObject({ status: 'failed', detail: expect.stringContaining('connector said') });
    expect(r.ok).toBe(false);
    expect(r.fallbackFile).toBeDefined();
  });
});

describe('failures, retries and the fallback', () => {
  it('retries a 500 with backoff, then reports the channel failed and writes the fallback with the payload and the reason', async () => {
    const s = await sink(() => ({ status: 500, body: 'internal error' }));
    const ok = await sink();
    const envVars = { DISCORD_WEBHOOK_URL: s.url('/api/webhooks/1/SECRETdisc789'), SLACK_WEBHOOK_URL: ok.url('/services/T000/B000/SECRETsecret123') };
    const r = await createNotifier({ ws, env: 'production', settings: settings({ retries: 2 }), envVars, backoffMs: 20 }).send(breach);
    expect(s.received).toHaveLength(3);
    const discord = r.outcomes.find((o) => o.channel === 'discord')!;
    expect(discord).toMatchObject({ status: 'failed', attempts: 3 });
    expect(discord.detail).toContain('HTTP 500');
    expect(r.outcomes.find((o) => o.channel === 'slack')!.status).toBe('delivered');
    expect(r.ok).toBe(false);

    const files = filesUnder(ws.root, 'notifications/fallback');
    expect(files).toHaveLength(1);
    expect(r.fallbackFile).toBe(files[0]);
    expect(files[0]).toMatch(/^notifications\/fallback\/\d{8}_\d{6}_production_gate-breach_[0-9a-f]{6}\.json$/);
    const rec = JSON.parse(readFileSync(join(ws.root, files[0]!), 'utf8')) as { reason: string; why: string; notification: Notification; channels: { channel: string; status: string; payload: { embeds: unknown[] } }[]; text: string };
    expect(rec.reason).toBe('failed');
    expect(rec.why).toContain('discord');
    expect(rec.why).toContain('HTTP 500');
    expect(rec.notification.message).toBe(breach.message);
    expect(rec.channels.map((c) => c.channel)).toEqual(['discord']);
    expect(rec.channels[0]!.payload.embeds).toHaveLength(1);
    expect(rec.text).toContain('p95_hash_time: 2450 ms');
  });

  it('does not retry a 4xx, and masks a URL the endpoint echoes back', async () => {
    const s = await sink((r) => ({ status: 404, body: `no_service for ${r.path} at http://127.0.0.1/services/T000/B000/SECRETsecret123` }));
    const log = AuditLog.open(ws.logsDir, 'notify', 'staging');
    const r = await createNotifier({ ws, env: 'staging', settings: settings({ retries: 3 }), log, envVars: { SLACK_WEBHOOK_URL: s.url('/services/T000/B000/SECRETsecret123') }, backoffMs: 20 }).send(breach);
    log.close();
    expect(s.received).toHaveLength(1);
    const slack = r.outcomes.find((o) => o.channel === 'slack')!;
    expect(slack.status).toBe('failed');
    expect(slack.detail).toMatch(/^HTTP 404: no_service for /);
    expect(JSON.stringify(r.outcomes)).not.toContain('SECRETsecret123');
  });

  it('gives up on an endpoint that never answers, after the timeout per attempt', async () => {
    const s = await sink(() => 'hang');
    const r = await createNotifier({ ws, env: 'staging', settings: settings({ timeoutMs: 300, retries: 1 }), envVars: { SLACK_WEBHOOK_URL: s.url('/services/T000/B000/SECRETsecret123') }, backoffMs: 10 }).send(breach);
    expect(s.received).toHaveLength(2);
    expect(r.outcomes.find((o) => o.channel === 'slack')).toMatchObject({ status: 'failed', attempts: 2, detail: 'no answer within 300 ms (after 2 attempts)' });
    expect(r.fallbackFile).toBeDefined();
  });

  it('reports a refused connection as failed after every retry', async () => {
    const port = await freePort();
    const r = await createNotifier({ ws, env: 'staging', settings: settings({ retries: 2 }), envVars: { SLACK_WEBHOOK_URL: `http://127.0.0.1:${port}/services/T000/B000/SECRETsecret123` }, backoffMs: 10 }).send(breach);
    expect(r.outcomes.find((o) => o.channel === 'slack')).toMatchObject({ status: 'failed', attempts: 3, detail: 'connection refused (after 3 attempts)' });
    expect(r.ok).toBe(false);
    expect(filesUnder(ws.root, 'notifications/fallback')).toHaveLength(1);
  });

  it('waits as long as a 429 Retry-After in seconds asks, then delivers', async () => {
    const s = await sink((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '1' }, body: 'slow down' } : { status: 204 }));
    const r = await createNotifier({ ws, env: 'staging', settings: settings({ retries: 2 }), envVars: { DISCORD_WEBHOOK_URL: s.url('/api/webhooks/1/SECRETdisc789') }, backoffMs: 10 }).send(breach);
    expect(r.outcomes.find((o) => o.channel === 'discord')).toMatchObject({ status: 'delivered', attempts: 2 });
    // The backoff alone would have waited 10 ms.
    expect(s.received[1]!.at - s.received[0]!.at).toBeGreaterThanOrEqual(950);
  });

  it('honours a Retry-After given as an HTTP date', async () => {
    const s = await sink((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': new Date(Date.now() + 2500).toUTCString() } } : { status: 200, body: 'ok' }));
    const r = await createNotifier({ ws, env: 'staging', settings: settings({ retries: 1 }), envVars: { SLACK_WEBHOOK_URL: s.url('/services/T000/B000/SECRETsecret123') }, backoffMs: 10 }).send(breach);
    expect(r.outcomes.find((o) => o.channel === 'slack')).toMatchObject({ status: 'delivered', attempts: 2 });
    // HTTP dates have whole seconds: at least 1.5 s of the 2.5 s remain after truncation.
    expect(s.received[1]!.at - s.received[0]!.at).toBeGreaterThanOrEqual(1000);
  });

  it('caps a huge Retry-After instead of hanging for an hour', async () => {
    const s = await sink((_r, i) => (i === 0 ? { status: 429, headers: { 'retry-after': '3600' } } : { status: 200, body: 'ok' }));
    const r = await createNotifier({ ws, env: 'staging', settings: settings({ retries: 1 }), envVars: { SLACK_WEBHOOK_URL: s.url('/services/T000/B000/SECRETsecret123') }, maxRetryAfterMs: 100 }).send(breach);
    expect(r.outcomes.find((o) => o.channel === 'slack')).toMatchObject({ status: 'delivered', attempts: 2 });
  });

  it('refuses a plain-http webhook to a non-loopback host without sending, with a sentence that hides the URL', async () => {
    const log = AuditLog.open(ws.logsDir, 'notify', 'staging');
    const r = await createNotifier({ ws, env: 'staging', settings: settings(), log, envVars: { SLACK_WEBHOOK_URL: 'http://hooks.example.com/services/T000/B000/SECRETsecret123' } }).send(breach);
    log.close();
    const slack = r.outcomes.find((o) => o.channel === 'slack')!;
    expect(slack).toMatchObject({ status: 'failed', attempts: 0 });
    expect(slack.detail).toBe('SLACK_WEBHOOK_URL must be an https:// URL (plain http is allowed only to loopback addresses such as 127.0.0.1).');
    expect(r.ok).toBe(false);
    expect(filesUnder(ws.root, 'notifications/fallback')).toHaveLength(1);
    expect(readFileSync(log.path, 'utf8')).toContain('must be an https:// URL');
  });
});

describe('routing, folding and the no-channel fallback', () => {
  it('routes by severity per channel; a test notification goes everywhere', async () => {
    const s = await sink();
    const envVars = { SLACK_WEBHOOK_URL: s.url('/services/T000/B000/SECRETsecret123'), DISCORD_WEBHOOK_URL: s.url('/api/webhooks/1/SECRETdisc789') };
    const n = createNotifier({ ws, env: 'production', settings: settings({ routing: { slack: ['critical'], teams: ALL, discord: ALL, email: ALL } }), envVars });
    const info = await n.send({ type: 'deploy-start', env: 'production', message: 'deploying 1.1.0' });
    expect(info.outcomes.find((o) => o.channel === 'slack')).toMatchObject({ status: 'skipped', detail: 'routing sends critical to slack, not info' });
    expect(info.outcomes.find((o) => o.channel === 'discord')!.status).toBe('delivered');
    const test = await n.send({ type: 'test', env: 'production', message: 'hello' });
    expect(test.outcomes.find((o) => o.channel === 'slack')!.status).toBe('delivered');
    expect(s.received.map((r) => r.path.split('/')[1]).sort()).toEqual(['api', 'api', 'services']);
  });

  it('with no channel configured writes the fallback and counts as handled', async () => {
    const r = await createNotifier({ ws, env: 'staging', settings: settings(), envVars: {} }).send(breach);
    expect(r.ok).toBe(true);
    expect(r.outcomes.filter((o) => o.channel !== 'fallback').every((o) => o.status === 'skipped')).toBe(true);
    const rec = JSON.parse(readFileSync(join(ws.root, r.fallbackFile!), 'utf8')) as { reason: string; why: string };
    expect(rec.reason).toBe('no-channel');
    expect(rec.why).toContain('SLACK_WEBHOOK_URL is not set');
  });

  it('folds an identical notification within the window, across notifier instances, and sends it again after', async () => {
    const s = await sink();
    const clock = new FakeClock(Date.UTC(2026, 10, 23, 10, 0, 0));
    const envVars = { SLACK_WEBHOOK_URL: s.url('/services/T000/B000/SECRETsecret123') };
    const make = () => createNotifier({ ws, env: 'production', settings: settings({ dedupeSeconds: 300 }), envVars, clock });
    expect((await make().send(breach)).outcomes[0]!.status).toBe('delivered');
    await clock.advance(60_000);
    // A second process: a fresh notifier that only shares the workspace.
    const again = await make().send({ ...breach, gate: { ...breach.gate!, value: 2600 } });
    expect(again.outcomes[0]).toMatchObject({ channel: 'slack', status: 'folded', detail: 'identical notification delivered 60 s ago (dedupe window 300 s)' });
    expect(again.ok).toBe(true);
    expect(again.fallbackFile).toBeUndefined();
    const different = await make().send({ ...breach, message: 'another breach' });
    expect(different.outcomes[0]!.status).toBe('delivered');
    await clock.advance(300_000);
    expect((await make().send(breach)).outcomes[0]!.status).toBe('delivered');
    expect(s.received).toHaveLength(3);
    // The state file holds hashes and times only.
    expect(readFileSync(join(ws.root, 'notifications', '.dedupe.json'), 'utf8')).not.toContain('breach');
  });

  it('does not fold on a channel that failed: the next identical send tries it again', async () => {
    const s = await sink((_r, i) => (i === 0 ? { status: 500 } : { status: 204 }));
    const clock = new FakeClock();
    const n = createNotifier({ ws, env: 'production', settings: settings({ dedupeSeconds: 300 }), envVars: { DISCORD_WEBHOOK_URL: s.url('/api/webhooks/1/SECRETdisc789') }, clock });
    const discord = (r: DeliveryReport) => r.outcomes.find((o) => o.channel === 'discord')!.status;
    expect(discord(await n.send(breach))).toBe('failed');
    await clock.advance(1000);
    expect(discord(await n.send(breach))).toBe('delivered');
    expect(s.received).toHaveLength(2);
  });
});

describe('dry-run', () => {
  it('sends nothing, returns each payload and writes them to the fallback folder', async () => {
    const s = await sink();
    const envVars = { SLACK_WEBHOOK_URL: s.url('/services/T000/B000/SECRETsecret123'), TEAMS_WEBHOOK_URL: s.url('/workflows/SECRETteams456/x') };
    const r = await createNotifier({ ws, env: 'staging', settings: settings(), envVars, dryRun: true }).send(breach);
    expect(s.received).toHaveLength(0);
    expect(r.ok).toBe(true);
    const slack = r.outcomes.find((o) => o.channel === 'slack')!;
    expect(slack.status).toBe('dry-run');
    expect((slack.payload as { blocks: unknown[] }).blocks.length).toBeGreaterThan(2);
    expect(slack.target).toBe(`http://127.0.0.1:${s.port}/…`);
    const rec = JSON.parse(readFileSync(join(ws.root, r.fallbackFile!), 'utf8')) as { reason: string; channels: { channel: string; payload: unknown }[] };
    expect(rec.reason).toBe('dry-run');
    expect(rec.channels.map((c) => c.channel)).toEqual(['slack', 'teams']);
  });
  it('rehearses exactly the sends the real run makes: the same channels, the same payloads, byte for byte', async () => {
    const s = await sink();
    const envVars = { SLACK_WEBHOOK_URL: s.url('/services/T000/B000/SECRETsecret123'), TEAMS_WEBHOOK_URL: s.url('/workflows/SECRETteams456/x') };
    const clock = new FakeClock(Date.UTC(2026, 10, 23, 10, 15, 0));
    const dry = await createNotifier({ ws, env: 'staging', settings: settings(), envVars, clock, dryRun: true }).send(breach);
    const real = await createNotifier({ ws, env: 'staging', settings: settings(), envVars, clock }).send(breach);
    const sent = real.outcomes.filter((o) => o.status === 'delivered');
    expect(sent.map((o) => o.channel)).toEqual(['slack', 'teams']);
    const planned = dry.outcomes.filter((o) => o.status === 'dry-run' && o.channel !== 'fallback');
    expect(planned.map((o) => o.channel)).toEqual(sent.map((o) => o.channel));
    // Channels that are not configured say so the same way in both.
    const rest = (r: typeof dry): string[] => r.outcomes.filter((o) => !['dry-run', 'delivered'].includes(o.status)).map((o) => `${o.channel}:${o.status}`);
    expect(rest(dry)).toEqual(rest(real));
    // What reached the webhooks is what the dry run showed (order of arrival aside).
    expect(s.received.map((r) => r.json)).toEqual(expect.arrayContaining(planned.map((o) => o.payload)));
    expect(s.received).toHaveLength(planned.length);
  });
});

describe('sendAlongside', () => {
  it('returns after the bounded wait while a slow channel is still sending, and the outcome is still logged', async () => {
    let release: (() => void) | undefined;
    const gate = new Promise<void>((r) => (release = r));
    const s = await sink(async () => {
      await gate;
      return { status: 200, body: 'ok' };
    });
    const log = AuditLog.open(ws.logsDir, 'rollback', 'production');
    const n = createNotifier({ ws, env: 'production', settings: settings({ timeoutMs: 10_000 }), log, envVars: { SLACK_WEBHOOK_URL: s.url('/services/T000/B000/SECRETsecret123') } });
    const first = await sendAlongside(n, { ...breach, type: 'rollback-start' }, 50);
    expect(first.pending).toBe(true);
    expect(first.report).toBeUndefined();
    expect(readFileSync(log.path, 'utf8')).not.toContain('notify.channel');
    release!();
    const report = await first.done;
    log.close();
    expect(report.outcomes[0]).toMatchObject({ channel: 'slack', status: 'delivered' });
    expect(readJsonLines(log.path).find((e) => e.event === 'notify.channel')).toMatchObject({ channel: 'slack', status: 'delivered' });
  });

  it('returns the report at once when the send finishes within the wait', async () => {
    const s = await sink();
    const n = createNotifier({ ws, env: 'production', settings: settings(), envVars: { SLACK_WEBHOOK_URL: s.url('/services/T000/B000/SECRETsecret123') } });
    const r = await sendAlongside(n, breach, 20_000);
    expect(r.pending).toBe(false);
    expect(r.report?.ok).toBe(true);
  });
});
