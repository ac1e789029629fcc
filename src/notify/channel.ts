// A channel as the notifier sees it: whether the environment configures it, what is wrong with
// that configuration, where it goes (without secrets), its payload, and how to deliver it.
import type { ChannelName, Severity } from '../config/gates-schema.js';
import type { DeliveryContext, DeliveryResult } from './http.js';
import type { Notification } from './types.js';

/** Everything a payload builder needs besides the notification. */
export interface RenderInput {
  n: Notification;
  severity: Severity;
  at: number;
}

/** One configured (or not) channel. */
export interface Channel {
  name: ChannelName;
  /** True when the environment sets any of the channel's variables. */
  configured: boolean;
  /** Why it is not configured, e.g. "SLACK_WEBHOOK_URL is not set". */
  unconfiguredReason: string;
  /** A configuration error: the channel is reported failed with this sentence (no secret in it). */
  problem?: string;
  /** Where it goes, safe to print (host, recipients). */
  target: string;
  /** The exact body the channel would send. */
  payload(r: RenderInput): unknown;
  /** Send the payload; never throws. */
  deliver(payload: unknown, ctx: DeliveryContext): Promise<DeliveryResult>;
}

/** A trimmed environment value, or undefined when unset or blank. */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name]?.trim();
  return v ? v : undefined;
}
