// Slack incoming webhook: Block Kit (header, message, fields, log context) with a plain `text`
// for notifications and clients that do not render blocks. Slack answers 200 "ok".
import { clip, factsOf, titleOf } from './format.js';
import { envValue, type Channel, type RenderInput } from './channel.js';
import { postJson, webhookTarget, webhookUrlProblem } from './http.js';

/** Escape the three characters Slack's mrkdwn treats as control characters. */
function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The Block Kit payload of a notification. */
export function slackPayload({ n, severity, at }: RenderInput): Record<string, unknown> {
  const title = titleOf(n, severity);
  const facts = factsOf(n, severity, at).filter((f) => f.label !== 'Log');
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: clip(title, 150), emoji: false } },
    { type: 'section', text: { type: 'mrkdwn', text: clip(esc(n.message), 3000) } },
    // Slack allows at most 10 fields per section.
    { type: 'section', fields: facts.slice(0, 10).map((f) => ({ type: 'mrkdwn', text: clip(`*${f.label}*\n${esc(f.value)}`, 2000) })) },
  ];
  if (n.logPath) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: clip(`Log: \`${esc(n.logPath)}\``, 2000) }] });
  return { text: clip(`${title}: ${n.message}`, 3000), blocks };
}

/** The Slack channel from SLACK_WEBHOOK_URL. */
export function slackChannel(env: NodeJS.ProcessEnv): Channel {
  const url = envValue(env, 'SLACK_WEBHOOK_URL');
  return {
    name: 'slack',
    configured: url !== undefined,
    unconfiguredReason: 'SLACK_WEBHOOK_URL is not set',
    ...(url && webhookUrlProblem('SLACK_WEBHOOK_URL', url) ? { problem: webhookUrlProblem('SLACK_WEBHOOK_URL', url) } : {}),
    target: url ? webhookTarget(url) : '',
    payload: slackPayload,
    deliver: (payload, ctx) => postJson(url ?? '', payload, ctx),
  };
}
