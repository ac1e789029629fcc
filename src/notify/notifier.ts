// The notification engine: route a notification by severity to the configured channels, deliver
// them side by side, fold repeats, record every channel's outcome in the audit log, and write the
// file fallback whenever something was not delivered. deploy, monitor, rollback and
// `rollout notify` all call this; sendAlongside() is how a rollback notifies without waiting.
import { join, relative } from 'node:path';
import { AuditLog } from '../audit/logger.js';
import { currentSecrets, redact, redactString, secretValuesFrom } from '../audit/redact.js';
import type { ChannelName, NotificationSettings } from '../config/gates-schema.js';
import type { Workspace } from '../config/workspace.js';
import { systemClock, type Clock } from '../domain/clock.js';
import type { Channel, RenderInput } from './channel.js';
import { DedupeStore, RESERVATION_STALE_MS, dedupeKey } from './dedupe.js';
import { discordChannel } from './discord.js';
import { emailChannel } from './email.js';
import { RolloutError } from '../domain/errors.js';
import { writeFallback, type FallbackChannel, type FallbackReason } from './fallback.js';
import { plainText, severityOf, titleOf } from './format.js';
import type { DeliveryContext } from './http.js';
import { slackChannel } from './slack.js';
import { teamsChannel } from './teams.js';
import type { ChannelOutcome, DeliveryReport, Notification, Notifier } from './types.js';

/** How to build a notifier (see createNotifier). */
export interface NotifierOptions {
  ws: Workspace;
  /** The environment whose settings these are (names the audit log when none is given). */
  env: string;
  settings: NotificationSettings;
  /** Where channel outcomes go; without one, each send appends to logs/notify_<env>_<ts>.log. */
  log?: AuditLog;
  clock?: Clock;
  /** Send nothing: build every payload, report it, and write it to the fallback folder. */
  dryRun?: boolean;
  /** Where the channel settings and secrets come from (default: process.env). */
  envVars?: NodeJS.ProcessEnv;
  /** First retry wait in ms (default 500; it doubles per retry). */
  backoffMs?: number;
  /** Longest Retry-After honoured, in ms (default 30 000). */
  maxRetryAfterMs?: number;
}

/** The state file that lets separate processes fold identical notifications. */
export function dedupePath(ws: Workspace): string {
  return join(ws.root, 'notifications', '.dedupe.json');
}

/** Every channel, in the order they are reported. */
export function channelsFrom(envVars: NodeJS.ProcessEnv, timeoutMs: number): Channel[] {
  return [slackChannel(envVars), teamsChannel(envVars), discordChannel(envVars), emailChannel(envVars, timeoutMs)];
}

function rel(ws: Workspace, p: string): string {
  return relative(ws.root, p).split('\\').join('/');
}

/** Build the notifier for one environment's settings. */
export function createNotifier(opts: NotifierOptions): Notifier {
  const clock = opts.clock ?? systemClock;
  const envVars = opts.envVars ?? process.env;
  const { settings } = opts;
  const channels = channelsFrom(envVars, settings.timeoutMs);
  const dedupe = new DedupeStore(dedupePath(opts.ws), settings.dedupeSeconds * 1000);
  // The process's secrets and the injected environment's, longest first (so that a whole URL is
  // masked before its parts).
  const secrets = (): string[] => [...new Set([...secretValuesFrom(envVars), ...currentSecrets()])].sort((a, b) => b.length - a.length);

  async function deliverOne(ch: Channel, r: RenderInput, key: string, ctx: DeliveryContext, sec: string[]): Promise<FallbackChannel> {
    const name = ch.name;
    if (!ch.configured) return { channel: name, status: 'skipped', attempts: 0, detail: ch.unconfiguredReason };
    const routed = settings.routing[name] ?? [];
    // A test notification exists to prove every channel works, so it ignores routing.
    if (r.n.type !== 'test' && !routed.includes(r.severity)) {
      return { channel: name, status: 'skipped', attempts: 0, detail: `routing sends ${routed.length ? routed.join(', ') : 'nothing'} to ${name}, not ${r.severity}` };
    }
    const payload = redact(ch.payload(r), sec);
    const base = { channel: name, target: redactString(ch.target, sec), payload };
    if (ch.problem) return { ...base, status: 'failed', attempts: 0, detail: redactString(ch.problem, sec) };
    if (opts.dryRun) return { ...base, status: 'dry-run', attempts: 0, detail: `would send to ${base.target}` };
    let since: number | undefined;
    try {
      since = dedupe.deliveredWithin(key, name, r.at);
    } catch {
      since = undefined;
    }
    const folded = (t: number): FallbackChannel => ({ ...base, status: 'folded', attempts: 0, detail: `identical notification delivered ${Math.max(0, Math.round((r.at - t) / 1000))} s ago (dedupe window ${settings.dedupeSeconds} s)` });
    if (since !== undefined) return folded(since);
    // Reserve before sending, so that identical senders in other processes wait for this one and
    // then fold, instead of all checking at once and all sending.
    let release: (() => Promise<void>) | undefined;
    if (dedupe.enabled) {
      const waitMs = Math.max(RESERVATION_STALE_MS + 2_000, settings.timeoutMs * (settings.retries + 1) + ctx.backoffMs * 2 ** settings.retries + 2_000);
      try {
        release = await dedupe.reserve(key, name, waitMs);
      } catch {
        // Not reserved within the wait (a sender stuck) or unwritable: a duplicate beats a lost alert.
      }
      try {
        since = dedupe.deliveredWithin(key, name, r.at);
      } catch {
        since = undefined;
      }
      if (since !== undefined) {
        await release?.().catch(() => undefined);
        return folded(since);
      }
    }
    try {
      // The redacted payload is what leaves: a secret a caller put in a message never reaches a channel.
      const res = await ch.deliver(payload, ctx);
      if (res.status === 'delivered') {
        // Losing the fold state costs at most a duplicate message.
        await dedupe.recordDelivered(key, [name], r.at).catch(() => undefined);
      }
      return { ...base, status: res.status, attempts: res.attempts, detail: redactString(res.detail, sec) };
    } catch (e) {
      // Channels do not throw; if one does, it is this channel's failure, not the rollout's.
      return { ...base, status: 'failed', attempts: 1, detail: redactString(`unexpected error: ${e instanceof Error ? e.message : String(e)}`, sec) };
    } finally {
      await release?.().catch(() => undefined);
    }
  }

  async function send(n: Notification): Promise<DeliveryReport> {
    const sec = secrets();
    const at = clock.now();
    const severity = severityOf(n);
    const r: RenderInput = { n, severity, at };
    const key = dedupeKey(n, severity);
    const log = opts.log ?? AuditLog.open(opts.ws.logsDir, 'notify', opts.env, { now: () => clock.now() });
    const write = (level: 'info' | 'warn' | 'error', event: string, fields: Record<string, unknown>): void => {
      try {
        log.write(level, event, redact(fields, sec));
      } catch {
        /* an unwritable log must not stop the notification */
      }
    };
    try {
      write('info', 'notify.send', { type: n.type, severity, message: n.message, notify_env: n.env, dry_run: Boolean(opts.dryRun), ...(n.gate ? { gate: n.gate.name } : {}) });
      const ctx: DeliveryContext = { timeoutMs: settings.timeoutMs, retries: settings.retries, clock, backoffMs: opts.backoffMs ?? 500, maxRetryAfterMs: opts.maxRetryAfterMs ?? 30_000, redact: (s) => redactString(s, sec) };
      const results = await Promise.all(channels.map((ch) => deliverOne(ch, r, key, ctx, sec)));
      for (const o of results) {
        write(o.status === 'failed' ? 'error' : 'info', 'notify.channel', { channel: o.channel, status: o.status, attempts: o.attempts, detail: o.detail ?? '', ...(o.target ? { target: o.target } : {}) });
      }
      const failed = results.filter((o) => o.status === 'failed');
      const took = results.filter((o) => o.status === 'delivered' || o.status === 'folded');
      const reason: FallbackReason | undefined = opts.dryRun ? 'dry-run' : failed.length ? 'failed' : took.length === 0 ? 'no-channel' : undefined;
      const outcomes: ChannelOutcome[] = [...results];
      let fallbackFile: string | undefined;
      let fallbackOk = false;
      if (reason) {
        const why =
          reason === 'dry-run'
            ? 'dry-run: nothing was sent'
            : reason === 'failed'
              ? `not delivered on ${failed.map((o) => `${o.channel} (${o.detail ?? 'failed'})`).join('; ')}`
              : `no channel took this ${severity} notification: ${results.map((o) => `${o.channel}: ${o.detail ?? o.status}`).join('; ')}`;
        const kept = reason === 'failed' ? failed : reason === 'dry-run' ? results.filter((o) => o.status !== 'skipped') : results;
        try {
          const path = writeFallback(
            opts.ws.fallbackDir,
            { kind: 'guarded-rollout/notification', version: 1, written_at: new Date(clock.now()).toISOString(), reason, why, severity, title: titleOf(n, severity), text: plainText(n, severity, at), notification: n, channels: kept },
            at,
            sec,
          );
          fallbackFile = rel(opts.ws, path);
          fallbackOk = true;
          outcomes.push({ channel: 'fallback', status: opts.dryRun ? 'dry-run' : 'delivered', attempts: 1, detail: fallbackFile });
          write(reason === 'failed' ? 'warn' : 'info', 'notify.fallback', { file: fallbackFile, reason, why });
        } catch (e) {
          const detail = redactString(e instanceof RolloutError ? e.message.replace(/\.$/, '') : `cannot write the fallback file in ${rel(opts.ws, opts.ws.fallbackDir)}: ${e instanceof Error ? e.message : String(e)}`, sec);
          outcomes.push({ channel: 'fallback', status: 'failed', attempts: 1, detail });
          write('error', 'notify.channel', { channel: 'fallback', status: 'failed', attempts: 1, detail });
        }
      }
      const ok = failed.length === 0 && (opts.dryRun ? fallbackOk : took.length > 0 || fallbackOk);
      write(ok ? 'info' : 'error', 'notify.done', { ok, type: n.type, severity, ...(fallbackFile ? { fallback: fallbackFile } : {}) });
      return { notification: n, outcomes, ...(fallbackFile ? { fallbackFile } : {}), ok };
    } finally {
      if (!opts.log) log.close();
    }
  }

  return { send };
}

/** What sendAlongside saw within its wait. */
export interface AlongsideResult {
  /** The report, when the send finished within the wait. */
  report?: DeliveryReport;
  /** True when the send is still running (its outcome will still be logged). */
  pending: boolean;
  /** Settles with the report when the send finishes; never rejects. */
  done: Promise<DeliveryReport>;
}

/** Start a send and return after it finishes or `waitMs` passes, whichever is first: a rollback never waits on a slow channel. */
export async function sendAlongside(notifier: Notifier, n: Notification, waitMs: number, clock: Clock = systemClock): Promise<AlongsideResult> {
  let report: DeliveryReport | undefined;
  const done = notifier.send(n).then(
    (r) => (report = r),
    (e: unknown): DeliveryReport =>
      (report = { notification: n, ok: false, outcomes: [{ channel: 'fallback', status: 'failed', attempts: 0, detail: redactString(`the notifier failed: ${e instanceof Error ? e.message : String(e)}`) }] }),
  );
  const stop = new AbortController();
  await Promise.race([done, clock.sleep(Math.max(0, waitMs), stop.signal)]);
  stop.abort();
  return report ? { report, pending: false, done } : { pending: true, done };
}

/** The channel names in report order (for screens and summaries). */
export const CHANNEL_ORDER: (ChannelName | 'fallback')[] = ['slack', 'teams', 'discord', 'email', 'fallback'];
