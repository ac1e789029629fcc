// Webhook delivery with undici: a timeout per attempt, retries with exponential backoff on 5xx,
// 408 and network errors, 429 honoured through Retry-After (seconds or an HTTP date, capped).
// Every detail that leaves this module went through the caller's redactor: undici quotes
// addresses, and endpoints may echo what they were sent.
import type { Clock } from '../domain/clock.js';

/** What a channel needs to deliver: limits, time, and the one redactor. */
export interface DeliveryContext {
  timeoutMs: number;
  retries: number;
  clock: Clock;
  /** First backoff wait; it doubles per retry (see backoffDelay). */
  backoffMs: number;
  /** The longest Retry-After honoured; longer asks are waited for this long. */
  maxRetryAfterMs: number;
  redact: (s: string) => string;
}

/** The result of delivering on one channel. */
export interface DeliveryResult {
  status: 'delivered' | 'failed';
  attempts: number;
  detail: string;
}

/** The wait before retry number `retry` (1-based): backoff, doubling, at most 30 s. */
export function backoffDelay(backoffMs: number, retry: number): number {
  return Math.min(backoffMs * 2 ** (retry - 1), 30_000);
}

/** Milliseconds a Retry-After header (or a JSON retry_after in seconds) asks for, if any. */
export function parseRetryAfter(header: string | string[] | undefined, now: number, body?: string): number | undefined {
  const h = Array.isArray(header) ? header[0] : header;
  if (h !== undefined && h.trim() !== '') {
    const t = h.trim();
    if (/^\d+(\.\d+)?$/.test(t)) return Math.round(Number(t) * 1000);
    const at = Date.parse(t);
    if (!Number.isNaN(at)) return Math.max(0, at - now);
  }
  // Discord also says it in the body.
  if (body) {
    try {
      const j = JSON.parse(body) as { retry_after?: unknown };
      if (typeof j.retry_after === 'number' && j.retry_after >= 0) return Math.round(j.retry_after * 1000);
    } catch {
      /* not JSON */
    }
  }
  return undefined;
}

async function readSome(body: AsyncIterable<Buffer | Uint8Array>, max = 2048): Promise<string> {
  let out = Buffer.alloc(0);
  for await (const chunk of body) {
    out = Buffer.concat([out, Buffer.from(chunk)]);
    if (out.length >= max) break;
  }
  return out.subarray(0, max).toString('utf8');
}

/** One sentence for a network-level failure, from undici's error and its cause. */
export function describeNetworkError(e: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `no answer within ${timeoutMs} ms`;
  const err = e as { code?: string; message?: string; cause?: { code?: string; message?: string } };
  const code = err.cause?.code ?? err.code;
  const msg = err.cause?.message ?? err.message ?? String(e);
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host name not found';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return `no connection within ${timeoutMs} ms`;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return `no answer within ${timeoutMs} ms`;
  return `network error${code ? ` ${code}` : ''}: ${msg.split('\n')[0]}`;
}

/** Decide from a 2xx body whether the endpoint really took the message (Teams connectors answer 200 with an error text). */
export type AcceptCheck = (status: number, body: string) => string | undefined;

/** POST JSON to a webhook with timeouts and retries; never throws. */
export async function postJson(url: string, payload: unknown, ctx: DeliveryContext, accept?: AcceptCheck): Promise<DeliveryResult> {
  const body = JSON.stringify(payload);
  // undici (a 1 MB chunk) is loaded by the first webhook actually sent, not by every command that
  // builds a notifier: a deploy with no channel configured never compiles it.
  // The default export (module.exports of this CommonJS package): a split bundle's wrapper chunk has no named exports.
  const { Agent, request } = (await import('undici')).default;
  const maxAttempts = ctx.retries + 1;
  let last = 'not attempted';
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    let wait: number | undefined;
    let retryable = false;
    const ac = new AbortController();
    let timedOut = false;
    const timer = ctx.clock.setTimeout(() => {
      timedOut = true;
      ac.abort();
    }, ctx.timeoutMs);
    // One agent per attempt: nothing kept alive between rare notifications, nothing holding the process open.
    const agent = new Agent({ connect: { timeout: ctx.timeoutMs }, headersTimeout: ctx.timeoutMs, bodyTimeout: ctx.timeoutMs });
    try {
      const res = await request(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'guarded-rollout' },
        body,
        signal: ac.signal,
        dispatcher: agent,
      });
      const text = await readSome(res.body);
      const status = res.statusCode;
      if (status >= 200 && status < 300) {
        const problem = accept?.(status, text);
        if (!problem) return { status: 'delivered', attempts: attempt, detail: `HTTP ${status}` };
        last = problem;
      } else if (status === 429) {
        retryable = true;
        const asked = parseRetryAfter(res.headers['retry-after'], ctx.clock.now(), text);
        wait = Math.min(asked ?? backoffDelay(ctx.backoffMs, attempt), ctx.maxRetryAfterMs);
        last = `HTTP 429 rate limited${asked !== undefined ? ` (Retry-After ${Math.ceil(asked / 1000)} s)` : ''}`;
      } else {
        retryable = status >= 500 || status === 408;
        const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
        last = `HTTP ${status}${snippet ? `: ${snippet}` : ''}`;
      }
    } catch (e) {
      retryable = true;
      last = describeNetworkError(e, timedOut, ctx.timeoutMs);
    } finally {
      ctx.clock.clearTimeout(timer);
      await agent.destroy().catch(() => undefined);
    }
    if (!retryable || attempt === maxAttempts) {
      return { status: 'failed', attempts: attempt, detail: ctx.redact(`${last}${attempt > 1 ? ` (after ${attempt} attempts)` : ''}`) };
    }
    await ctx.clock.sleep(wait ?? backoffDelay(ctx.backoffMs, attempt));
  }
  return { status: 'failed', attempts: maxAttempts, detail: ctx.redact(last) };
}

const LOOPBACK_V4 = /^127(?:\.\d{1,3}){3}$/;

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || LOOPBACK_V4.test(h);
}

/** Check a webhook URL from `varName`: https, or http to loopback only. Returns a sentence naming the problem (never the URL). */
export function webhookUrlProblem(varName: string, value: string): string | undefined {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return `${varName} is not a valid URL.`;
  }
  if (u.protocol === 'https:') return undefined;
  if (u.protocol === 'http:' && isLoopbackHost(u.hostname)) return undefined;
  if (u.protocol === 'http:') return `${varName} must be an https:// URL (plain http is allowed only to loopback addresses such as 127.0.0.1).`;
  return `${varName} must be an https:// URL, not ${u.protocol.replace(/:$/, '')}.`;
}

/** Where a webhook goes, without its secret parts: scheme, host and port. */
export function webhookTarget(value: string): string {
  try {
    const u = new URL(value);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(invalid URL)';
  }
}
