// Given every secret form the tool can meet, when it passes through the one redaction function,
// then no secret survives and the useful rest of the text does.
import { describe, expect, it } from 'vitest';
import { MASK, findSecret, redact, redactString, secretValuesFrom } from '../../src/audit/redact.js';

const env = {
  SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0AAAA/B0BBBB/SlackSecret123456',
  TEAMS_WEBHOOK_URL: 'http://127.0.0.1:4567/webhookb2/TeamsSecretPart-987654/IncomingWebhook/abc',
  DISCORD_WEBHOOK_URL: 'https://discord.com/api/webhooks/123456/DiscordSecretToken_xyz',
  SMTP_PASS: 'hunter2-smtp-pass',
  MY_SERVICE_TOKEN: 'tok_live_1234567890',
  HOME: '/root',
};
const secrets = secretValuesFrom(env);

const table: [string, string, string[]][] = [
  ['a Slack webhook URL from the environment', `posting to ${env.SLACK_WEBHOOK_URL} failed`, ['SlackSecret123456', 'T0AAAA/B0BBBB']],
  ['a secret path part quoted alone', 'connect ECONNREFUSED for path /webhookb2/TeamsSecretPart-987654/IncomingWebhook', ['TeamsSecretPart-987654']],
  ['a Discord URL without the env', 'https://discord.com/api/webhooks/999/AnotherDiscordToken', ['AnotherDiscordToken', '999/']],
  ['a Slack URL not from the env', 'see https://hooks.slack.com/services/TX/BX/zzzzzzzzzzzz', ['zzzzzzzzzzzz']],
  ['an Authorization header', 'Authorization: Bearer abc.def.ghi-123456', ['abc.def.ghi-123456']],
  ['a basic auth header', '"authorization":"Basic dXNlcjpwYXNzd29yZA=="', ['dXNlcjpwYXNzd29yZA==']],
  ['password= in text', 'login failed password=s3cr3t-pw for user', ['s3cr3t-pw']],
  ['token= in a query', 'GET /api?token=abcdef123456&x=1', ['abcdef123456']],
  ['key= in a query', 'GET /api?key=AIzaSyXXXX&x=1', ['AIzaSyXXXX']],
  ['user:password@ in a URL', 'smtp://mailer:p4ssw0rd@127.0.0.1:2525', ['p4ssw0rd']],
  ['an SMTP password from the environment', 'Invalid login: 535 auth failed for hunter2-smtp-pass', ['hunter2-smtp-pass']],
  ['any *_TOKEN variable', 'using tok_live_1234567890 now', ['tok_live_1234567890']],
  ['a URL-encoded webhook', `url=${encodeURIComponent(env.SLACK_WEBHOOK_URL)}`, ['SlackSecret123456']],
];

describe('redaction', () => {
  it.each(table)('masks %s', (_what, input, mustVanish) => {
    const out = redactString(input, secrets);
    for (const s of mustVanish) expect(out).not.toContain(s);
    expect(out).toContain(MASK);
    expect(findSecret(out, secrets)).toBeUndefined();
    expect(findSecret(input, secrets)).toBeDefined();
  });

  it('keeps the host of a webhook so the operator knows which channel failed', () => {
    expect(redactString(`POST ${env.SLACK_WEBHOOK_URL}`, secrets)).toContain('POST ***');
    expect(redactString('POST https://hooks.slack.com/services/A/B/C', [])).toBe('POST https://hooks.slack.com/services/***');
  });

  it('masks nested fields, arrays and secret-named keys, and leaves ordinary values alone', () => {
    const out = redact({ event: 'notify', channel: 'slack', detail: { url: env.DISCORD_WEBHOOK_URL, headers: { Authorization: 'Bearer zzz' } }, list: [`x ${env.SMTP_PASS}`], password: 'pw', threshold: 2000 }, secrets);
    const text = JSON.stringify(out);
    for (const s of ['DiscordSecretToken_xyz', 'zzz', env.SMTP_PASS, '"pw"']) expect(text).not.toContain(s);
    expect(out.threshold).toBe(2000);
    expect(out.channel).toBe('slack');
    expect(out.password).toBe(MASK);
  });

  it('masks error messages and stacks', () => {
    const e = new Error(`fetch failed: ${env.SLACK_WEBHOOK_URL}`);
    const out = redact(e, secrets) as unknown as { message: string; stack: string };
    expect(out.message).not.toContain('SlackSecret123456');
    expect(out.stack).not.toContain('SlackSecret123456');
  });

  it('is idempotent: redacted text is not reported as a secret again', () => {
    const once = redactString(`a ${env.TEAMS_WEBHOOK_URL} password=x1y2z3 Authorization: Bearer qqqqqqqqqq`, secrets);
    expect(redactString(once, secrets)).toBe(once);
    expect(findSecret(once, secrets)).toBeUndefined();
  });

  it('does not treat ordinary configuration words as secrets', () => {
    const line = JSON.stringify({ event: 'gate.evaluated', gate: 'p95_hash_time', value: 1800, threshold: 2000, key: 'value-is-not-secret' });
    expect(redactString(line, [])).toBe(line);
  });
});
