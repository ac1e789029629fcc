// One GET with node:http(s) for the probes (health, the service's /version, smoke checks). The
// global fetch would do the same, but its first call compiles Node's internal undici (~30 ms of
// every `service status`, deploy and rollback); these probes need a status and a short body only.
// A redirect is not followed here: the caller hands it to fetch, which follows it as before.
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** A probe's answer: status, headers and the body as text (at most `maxBytes`). */
export interface ProbeResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** The error of a failed probe, shaped like fetch's: `name` TimeoutError, or `cause.code` (ECONNREFUSED…). */
export class ProbeError extends Error {
  constructor(
    message: string,
    override readonly cause?: { code?: string },
    name = 'TypeError',
  ) {
    super(message);
    this.name = name;
  }
}

/** True for the URLs probeGet handles itself (http and https); anything else goes to fetch. */
export function probeable(url: string): boolean {
  return /^https?:\/\//i.test(url);
}

/** Status and body text of a GET: node:http(s) first, fetch for a redirect or another scheme (it follows redirects). */
export async function getText(url: string, opts: { timeoutMs: number; headers?: Record<string, string> }): Promise<{ status: number; text: string }> {
  const r = probeable(url) ? await probeGet(url, opts) : undefined;
  if (r && !(r.status >= 300 && r.status < 400 && r.headers.location)) return { status: r.status, text: r.text };
  const f = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs), ...(opts.headers ? { headers: opts.headers } : {}) });
  return { status: f.status, text: await f.text() };
}

/** GET `url` within `timeoutMs` (connect, headers and body together); throws ProbeError. */
export async function probeGet(url: string, opts: { timeoutMs: number; headers?: Record<string, string>; maxBytes?: number }): Promise<ProbeResponse> {
  const max = opts.maxBytes ?? 16 * 1024 * 1024;
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ProbeError(`invalid URL ${url}`, { code: 'ERR_INVALID_URL' });
  }
  // node:https (and tls with it, ~10 modules) only for an https URL: the embedded service is http.
  const request = u.protocol === 'https:' ? (await import('node:https')).request : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (f: () => void): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    // A fresh connection per probe (no keep-alive agent): each check proves the service accepts one.
    const req = request(u, { method: 'GET', headers: { ...opts.headers, connection: 'close' }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < max) chunks.push(c);
        size += c.length;
      });
      res.on('end', () => finish(() => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).subarray(0, max).toString('utf8') })));
      res.on('error', (e: NodeJS.ErrnoException) => finish(() => reject(new ProbeError(e.message, { code: e.code ?? 'ECONNRESET' }))));
    });
    const timer = setTimeout(() => {
      finish(() => reject(new ProbeError(`no answer within ${opts.timeoutMs} ms`, undefined, 'TimeoutError')));
      req.destroy();
    }, opts.timeoutMs);
    req.on('error', (e: NodeJS.ErrnoException) => finish(() => reject(new ProbeError(e.message, e.code ? { code: e.code } : undefined))));
    req.end();
  });
}
