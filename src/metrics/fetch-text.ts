// One HTTP GET with a hard timeout and a size cap, through undici; failures become a
// SourceProblem with a one-line reason (never an exception, never a URL with credentials).
import { request, type Dispatcher } from 'undici';
import { redactString } from '../audit/redact.js';
import { SourceProblem } from './types.js';

const MAX_BYTES = 8 * 1024 * 1024;

/** Extra request headers (auth) and a dispatcher (CA, TLS checks) for a GET. */
export interface FetchAccess {
  headers?: Record<string, string>;
  dispatcher?: Dispatcher;
}

/** GET a URL; the body as text when the status is 2xx, otherwise a SourceProblem. */
export async function fetchText(url: string, timeoutMs: number, accept = '*/*', access: FetchAccess = {}): Promise<string | SourceProblem> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await request(url, { method: 'GET', signal, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, headers: { accept, ...access.headers }, ...(access.dispatcher ? { dispatcher: access.dispatcher } : {}) });
    if (res.statusCode < 200 || res.statusCode >= 300) {
      await res.body.dump().catch(() => undefined);
      return new SourceProblem('error', `HTTP ${res.statusCode} from ${safeUrl(url)}${res.statusCode === 401 || res.statusCode === 403 ? ' (credentials refused: check bearer_token_env / basic_auth)' : ''}`);
    }
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const c of res.body) {
      size += (c as Buffer).length;
      if (size > MAX_BYTES) {
        res.body.destroy();
        return new SourceProblem('error', `answer from ${safeUrl(url)} is larger than ${MAX_BYTES / 1024 / 1024} MB`);
      }
      chunks.push(c as Buffer);
    }
    const text = Buffer.concat(chunks).toString('utf8');
    if (text.trim() === '') return new SourceProblem('no-data', `empty answer from ${safeUrl(url)}`);
    return text;
  } catch (e) {
    return new SourceProblem('error', describe(e, url, timeoutMs, signal.aborted));
  }
}

function describe(e: unknown, url: string, timeoutMs: number, aborted: boolean): string {
  const err = e as Error & { code?: string; cause?: { code?: string } };
  const code = err.code ?? err.cause?.code;
  if (aborted || err.name === 'TimeoutError' || err.name === 'AbortError' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return `no answer from ${safeUrl(url)} within ${timeoutMs} ms`;
  if (code === 'ECONNREFUSED') return `connection refused by ${safeUrl(url)} (nothing listening)`;
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return `connection to ${safeUrl(url)} was cut`;
  if (typeof code === 'string' && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/.test(code)) return `TLS certificate of ${safeUrl(url)} not trusted (${code}): set ca_file in the runbook metrics section`;
  return redactString(`request to ${safeUrl(url)} failed (${code ?? err.message})`);
}

/** A URL without credentials or query string, for messages. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'the metrics URL';
  }
}
