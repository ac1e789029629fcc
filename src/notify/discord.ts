// Discord webhook: one embed coloured by severity, facts as inline fields. Mentions are disabled
// so that a message text can never ping @everyone. Discord answers 204 No Content.
import type { Severity } from '../config/gates-schema.js';
import { clip, factsOf, titleOf } from './format.js';
import { envValue, type Channel, type RenderInput } from './channel.js';
import { postJson, webhookTarget, webhookUrlProblem } from './http.js';

/** Embed colours: red, amber, blue. */
export const DISCORD_COLORS: Record<Severity, number> = { critical: 0xd83c3e, warning: 0xf2c744, info: 0x2f6fde };

/** The embed payload of a notification. */
export function discordPayload({ n, severity, at }: RenderInput): Record<string, unknown> {
  const facts = factsOf(n, severity, at).filter((f) => f.label !== 'Time');
  return {
    username: 'rollout',
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: clip(titleOf(n, severity), 256),
        description: clip(n.message, 4096),
        color: DISCORD_COLORS[severity],
        // Discord allows 25 fields of at most 1024 characters.
        fields: facts.slice(0, 25).map((f) => ({ name: clip(f.label, 256), value: clip(f.value, 1024), inline: f.label !== 'Gate' && f.label !== 'Log' })),
        timestamp: new Date(at).toISOString(),
        footer: { text: 'guarded-rollout' },
      },
    ],
  };
}

/** The Discord channel from DISCORD_WEBHOOK_URL. */
export function discordChannel(env: NodeJS.ProcessEnv): Channel {
  const url = envValue(env, 'DISCORD_WEBHOOK_URL');
  const problem = url ? webhookUrlProblem('DISCORD_WEBHOOK_URL', url) : undefined;
  return {
    name: 'discord',
    configured: url !== undefined,
    unconfiguredReason: 'DISCORD_WEBHOOK_URL is not set',
    ...(problem ? { problem } : {}),
    target: url ? webhookTarget(url) : '',
    payload: discordPayload,
    deliver: (payload, ctx) => postJson(url ?? '', payload, ctx),
  };
}
