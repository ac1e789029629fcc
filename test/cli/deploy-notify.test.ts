// rollout deploy tells the team: deploy-start once it begins changing things, deploy-success after
// the smoke tests, deploy-failure when a started deploy fails; through the environment's routing
// and dedupe (the monitor's), to a real loopback Slack webhook; nothing for a dry run.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killServices } from '../demo/service-helpers.js';
import { makeWorkspace, runCli } from '../helpers/cli.js';
import { findLeaks, startSink, type Sink } from '../notify/sinks.js';

const HOOK = '/services/T000/B000/SECRETdeploy789';
let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let slack: Sink;
const outputs: Record<string, string> = {};
const rollout = async (...args: string[]) => {
  const r = await runCli(args, { cwd: ws.root, env: { SLACK_WEBHOOK_URL: slack.url(HOOK), TEAMS_WEBHOOK_URL: undefined, DISCORD_WEBHOOK_URL: undefined, SMTP_URL: undefined, SMTP_HOST: undefined, EMAIL_TO: undefined }, timeoutMs: 120_000 });
  outputs[`out${Object.keys(outputs).length}`] = r.stdout + r.stderr;
  return r;
};
const texts = () => slack.received.map((r) => JSON.stringify(r.json));

beforeAll(async () => {
  ws = await makeWorkspace();
  slack = await startSink();
});
afterAll(async () => {
  await killServices(ws.root);
  await slack.close();
  expect(findLeaks(ws.root, outputs, [HOOK])).toEqual([]);
  ws.cleanup();
});

describe('deploy notifications', () => {
  it('deploy-start, then deploy-success after the smoke tests, read back from the webhook', async () => {
    const r = await rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--no-monitor');
    expect(r.code, r.stderr).toBe(0);
    const t = texts();
    expect(t).toHaveLength(2);
    expect(t[0]).toContain('Deploy started');
    expect(t[0]).toContain('Deploying 1.0.0 to staging');
    expect(t[1]).toContain('Deploy succeeded');
    expect(t[1]).toMatch(/3 consecutive OK health checks and 4 smoke checks passed/);
    expect(r.stdout).toMatch(/notification deploy-start: sent via slack/);
    expect(r.stdout).toMatch(/notification deploy-success: sent via slack/);
    const log = readFileSync(join(ws.root, 'logs', (await import('node:fs')).readdirSync(join(ws.root, 'logs')).filter((f) => f.startsWith('deploy_staging_')).sort().at(-1)!), 'utf8');
    expect(log).toMatch(/"event":"deploy.notify".*"type":"deploy-success"/);
  }, 120_000);

  it('a dry run sends nothing; a deploy whose smoke tests fail sends deploy-failure (critical)', async () => {
    slack.received.length = 0;
    const dry = await rollout('deploy', '--env', 'staging', '--version', '1.1.0', '--dry-run');
    expect(dry.code).toBe(0);
    expect(slack.received).toHaveLength(0);
    // A smoke check that always fails.
    const rb = join(ws.root, 'runbooks', 'dhash.yaml');
    const text = readFileSync(rb, 'utf8');
    const marker = '      - { id: golden-hash, tier: critical, kind: dhash-golden, url: "http://127.0.0.1:' + ws.ports.staging + '/hash?golden=checker", expect_hash: "2424db2424db0024" }';
    expect(text).toContain(marker);
    writeFileSync(rb, text.replace(marker, `${marker}\n      - { id: always-fails, tier: critical, kind: command, command: "exit 7" }`));
    const r = await rollout('deploy', '--env', 'staging', '--version', '1.1.0', '--no-monitor');
    expect(r.code).toBe(1);
    const t = texts();
    expect(t.map((x) => (x.includes('Deploy started') ? 'start' : x.includes('Deploy failed') ? 'failure' : x.includes('Deploy succeeded') ? 'success' : '?'))).toEqual(['start', 'failure']);
    expect(t[1]).toMatch(/Post-deploy smoke tests failed in staging: always-fails/);
    expect(t[1]).toMatch(/critical/i);
  }, 120_000);

  it('an unknown version is refused before anything changes: no notification at all', async () => {
    slack.received.length = 0;
    const r = await rollout('deploy', '--env', 'staging', '--version', '9.9.9', '--no-monitor');
    expect(r.code).toBe(2);
    expect(slack.received).toHaveLength(0);
  }, 60_000);
});
