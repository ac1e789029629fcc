// Microsoft Teams: a workflow webhook (Power Automate "post to a channel when a webhook request
// is received") takes a message with an Adaptive Card attachment; the older Office 365 connector
// takes a MessageCard. Which one: TEAMS_WEBHOOK_FORMAT (adaptive|workflow, messagecard|connector)
// when set, otherwise the URL decides (connector URLs live on *.webhook.office.com or carry
// /webhookb2/ or /IncomingWebhook/; everything else gets the Adaptive Card).
import type { Severity } from '../config/gates-schema.js';
import { clip, factsOf, titleOf } from './format.js';
import { envValue, type Channel, type RenderInput } from './channel.js';
import { postJson, webhookTarget, webhookUrlProblem } from './http.js';

export type TeamsFormat = 'adaptive' | 'messagecard';

const CARD_COLOR: Record<Severity, string> = { critical: 'Attention', warning: 'Warning', info: 'Accent' };
const THEME_COLOR: Record<Severity, string> = { critical: 'D83C3E', warning: 'F2C744', info: '2F6FDE' };

/** The format for a URL and an optional TEAMS_WEBHOOK_FORMAT value; a sentence when the value is unknown. */
export function teamsFormat(url: string, setting: string | undefined): TeamsFormat | { problem: string } {
  if (setting) {
    const s = setting.toLowerCase();
    if (s === 'adaptive' || s === 'workflow' || s === 'adaptive-card') return 'adaptive';
    if (s === 'messagecard' || s === 'connector' || s === 'message-card') return 'messagecard';
    return { problem: 'TEAMS_WEBHOOK_FORMAT must be "adaptive" (workflow webhooks) or "messagecard" (older connectors).' };
  }
  try {
    const u = new URL(url);
    if (/(^|\.)webhook\.office\.com$/i.test(u.hostname) || /^outlook\.office(365)?\.com$/i.test(u.hostname) || /\/(webhookb2|IncomingWebhook)\//i.test(u.pathname)) return 'messagecard';
  } catch {
    /* the URL check reports it */
  }
  return 'adaptive';
}

/** The Adaptive Card message a workflow webhook expects. */
export function teamsAdaptivePayload({ n, severity, at }: RenderInput): Record<string, unknown> {
  const body: Record<string, unknown>[] = [
    { type: 'TextBlock', text: clip(titleOf(n, severity), 300), weight: 'Bolder', size: 'Medium', color: CARD_COLOR[severity], wrap: true },
    { type: 'TextBlock', text: clip(n.message, 4000), wrap: true },
    { type: 'FactSet', facts: factsOf(n, severity, at).map((f) => ({ title: f.label, value: clip(f.value, 1000) })) },
  ];
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: { $schema: 'http://adaptivecards.io/schemas/adaptive-card.json', type: 'AdaptiveCard', version: '1.4', msteams: { width: 'Full' }, body },
      },
    ],
  };
}

/** The MessageCard an Office 365 connector expects. */
export function teamsMessageCardPayload({ n, severity, at }: RenderInput): Record<string, unknown> {
  const title = titleOf(n, severity);
  return {
    '@type': 'MessageCard',
    '@context': 'https://schema.org/extensions',
    summary: clip(title, 200),
    themeColor: THEME_COLOR[severity],
    title: clip(title, 300),
    text: clip(n.message, 4000),
    sections: [{ facts: factsOf(n, severity, at).map((f) => ({ name: f.label, value: clip(f.value, 1000) })) }],
  };
}

/** The Teams channel from TEAMS_WEBHOOK_URL (and TEAMS_WEBHOOK_FORMAT). */
export function teamsChannel(env: NodeJS.ProcessEnv): Channel {
  const url = envValue(env, 'TEAMS_WEBHOOK_URL');
  const fmt = url ? teamsFormat(url, envValue(env, 'TEAMS_WEBHOOK_FORMAT')) : 'adaptive';
  const problem = url ? (webhookUrlProblem('TEAMS_WEBHOOK_URL', url) ?? (typeof fmt === 'object' ? fmt.problem : undefined)) : undefined;
  const format: TeamsFormat = typeof fmt === 'object' ? 'adaptive' : fmt;
  return {
    name: 'teams',
    configured: url !== undefined,
    unconfiguredReason: 'TEAMS_WEBHOOK_URL is not set',
    ...(problem ? { problem } : {}),
    target: url ? `${webhookTarget(url)} (${format === 'adaptive' ? 'Adaptive Card' : 'MessageCard'})` : '',
    payload: format === 'adaptive' ? teamsAdaptivePayload : teamsMessageCardPayload,
    // Connectors answer 200 with an error text instead of an error status when they drop a message.
    deliver: (payload, ctx) =>
      postJson(url ?? '', payload, ctx, (status, text) => (format === 'messagecard' && /failed|error/i.test(text) ? `HTTP ${status} but the connector said: ${text.replace(/\s+/g, ' ').trim().slice(0, 200)}` : undefined)),
  };
}
