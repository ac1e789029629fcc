// Redaction gaps found while wiring the notification channels (src/audit/redact.ts): SMTP
// credentials quoted in either spelling by nodemailer and servers, and a channel setting whose
// name looks secret but whose value is a plain word.
import { describe, expect, it } from 'vitest';
import { MASK, redactString, secretValuesFrom } from '../../src/audit/redact.js';

describe('redaction of notification secrets', () => {
  it('masks an SMTP_URL password both percent-encoded and decoded, and the user name beside it', () => {
    const secrets = secretValuesFrom({ SMTP_URL: 'smtp://mailer-bot:p%40ss%21word99@mail.example.com:587' });
    expect(redactString('535 Authentication failed for mailer-bot with p%40ss%21word99', secrets)).toBe(`535 Authentication failed for ${MASK} with ${MASK}`);
    expect(redactString('Invalid login: password p@ss!word99 rejected', secrets)).toBe(`Invalid login: password ${MASK} rejected`);
  });

  it('does not treat TEAMS_WEBHOOK_FORMAT as a secret, so payloads and messages stay readable', () => {
    const secrets = secretValuesFrom({ TEAMS_WEBHOOK_FORMAT: 'adaptive', TEAMS_WEBHOOK_URL: 'http://127.0.0.1:9/workflows/SECRETteams456/x' });
    expect(redactString('"contentType":"application/vnd.microsoft.card.adaptive"', secrets)).toBe('"contentType":"application/vnd.microsoft.card.adaptive"');
    expect(redactString('posting to http://127.0.0.1:9/workflows/SECRETteams456/x failed', secrets)).toBe(`posting to ${MASK} failed`);
  });

  it('masks loopback webhook paths named in an endpoint reply even when only a part is quoted', () => {
    const secrets = secretValuesFrom({ SLACK_WEBHOOK_URL: 'http://127.0.0.1:4000/services/T000/B000/SECRETsecret123' });
    expect(redactString('no_service: token SECRETsecret123 is unknown', secrets)).not.toContain('SECRETsecret123');
  });
});
