// Given any text a log line can carry, when redactString skips its secret-shape patterns for text
// without any word they need (the prefilter), then the result is exactly what applying every
// pattern gives: the prefilter only saves time, it never lets a secret through.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MASK, redactString, redactStringEveryPattern, secretValuesFrom } from '../../src/audit/redact.js';

// Pieces that make the patterns match, half-match or nearly match, in any case.
const words = [
  'authorization', 'Authorization: ', '"authorization":"', 'bearer ', 'Bearer abc.def.ghi-123456', 'basic ', 'Basic dXNlcjpwYXNzd29yZA==', 'AUTH PLAIN ', 'AUTH LOGIN AGFsaWNl',
  'password=', 'passwd:', 'pwd=', 'token=', 'access_token=', 'api_key=', 'apikey:', 'secret=', 'client_secret=', 'key=', 'sig=', 'signature=',
  'https://', 'http://', 'smtp://', '://', 'user:pw@', 'hooks.slack.com/services/', 'discord.com/api/webhooks/', 'webhook.office.com/', '/webhooks/', '/hooks/', '/services/',
  'ſ', 'K', 'ı', 'İ', 'Ⅰ', 'x'.repeat(12), '1234567890', '/', ':', '=', '"', "'", ' ', '\n', '&', '@', '.', '-', '_', '+',
];
const text = fc.array(fc.oneof(fc.constantFrom(...words), fc.string({ maxLength: 6 }), fc.string({ unit: 'grapheme', maxLength: 4 })), { maxLength: 24 }).map((parts) => parts.join(''));
// Half the texts with the case of each letter flipped at random, for the patterns' /i.
const anyCase = fc.tuple(text, fc.array(fc.boolean(), { minLength: 64, maxLength: 64 })).map(([s, flips]) => [...s].map((c, i) => (flips[i % 64] ? c.toUpperCase() : c)).join(''));
const envSecrets = secretValuesFrom({ SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T0AAAA/B0BBBB/SlackSecret123456', SMTP_USER: 'alice', SMTP_PASS: 'hunter2-smtp-pass' });

describe('redactString prefilter', () => {
  it('gives what every pattern gives, for any text (with and without known secret values)', () => {
    fc.assert(
      fc.property(fc.oneof(text, anyCase), fc.boolean(), (s, withSecrets) => {
        const secrets = withSecrets ? envSecrets : [];
        expect(redactString(s, secrets)).toBe(redactStringEveryPattern(s, secrets));
      }),
      { numRuns: 3000 },
    );
  });

  it('still masks each secret shape (the words the prefilter looks for, in any case)', () => {
    const cases = [
      'AUTHORIZATION: token abcdef123456',
      'Bearer abc.def.ghi-123456',
      'BASIC dXNlcjpwYXNzd29yZA==',
      'auth plain AGFsaWNlAHNlY3JldA==',
      'PassWord=s3cr3t-pw',
      'PWD=s3cr3t-pw',
      'x?SIG=abcdef&y=1',
      'SMTP://mailer:p4ssw0rd@127.0.0.1:2525',
      'HTTPS://HOOKS.SLACK.COM/SERVICES/T0/B0/zzzzzzzzzzzz',
      'http://127.0.0.1:9/Hooks/secretpart',
    ];
    for (const c of cases) {
      const out = redactString(c, []);
      expect(out, c).toContain(MASK);
      expect(out, c).toBe(redactStringEveryPattern(c, []));
    }
  });

  it('leaves a line without any of those words as it was, and masks a known secret value in it', () => {
    expect(redactString('rollback.stage archive running deployments/staging/releases/1.0.0', [])).toBe('rollback.stage archive running deployments/staging/releases/1.0.0');
    expect(redactString('notify failed for hunter2-smtp-pass', envSecrets)).toBe(`notify failed for ${MASK}`);
  });
});
