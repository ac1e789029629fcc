// How a metrics source reaches a server that wants credentials or its own CA: a bearer token or
// basic auth read from environment variables named in the runbook (never a secret in the file),
// extra headers, a CA bundle and insecure_skip_verify, through one undici Agent per source.
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { Agent, type Dispatcher } from 'undici';
import { registerSecretEnv } from '../audit/redact.js';
import { ConfigError } from '../domain/errors.js';

/** The access fields a runbook metrics section may carry (src/config/runbook-schema.ts). */
export interface HttpAccessSpec {
  url: string;
  bearer_token_env?: string | undefined;
  basic_auth?: { username_env: string; password_env: string } | undefined;
  headers?: Record<string, string> | undefined;
  ca_file?: string | undefined;
  insecure_skip_verify?: boolean | undefined;
}

/** Request headers and the dispatcher to use, plus warnings for the operator. */
export interface HttpAccess {
  headers: Record<string, string>;
  dispatcher?: Dispatcher;
  warnings: string[];
  /** What authenticates, in words without the secret (validate-config, the journal). */
  auth: string;
}

function fromEnv(name: string, field: string, env: NodeJS.ProcessEnv): string {
  const v = env[name];
  if (v === undefined || v === '') throw new ConfigError(`runbook metrics.${field}: the environment variable ${name} is not set (it must hold the credential; the runbook only names it).`);
  return v;
}

/** A URL with user:password@ is refused: credentials belong in environment variables. */
export function checkNoUrlCredentials(url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return;
  }
  if (u.username || u.password) throw new ConfigError('runbook metrics.url: credentials in the URL are not used; name environment variables instead (basic_auth: { username_env: …, password_env: … } or bearer_token_env: …).');
}

/**
 * Build the headers and dispatcher of a source. Secrets are read from the environment now (a
 * missing variable is a ConfigError naming it) and registered with the redaction.
 */
export function httpAccess(spec: HttpAccessSpec, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): HttpAccess {
  const env = opts.env ?? process.env;
  checkNoUrlCredentials(spec.url);
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(spec.headers ?? {})) {
    if (/^authorization$/i.test(k)) throw new ConfigError('runbook metrics.headers.Authorization: no credentials in the runbook; use bearer_token_env or basic_auth (environment variables).');
    headers[k.toLowerCase()] = v;
  }
  const auths: string[] = [];
  if (spec.bearer_token_env && spec.basic_auth) throw new ConfigError('runbook metrics: bearer_token_env and basic_auth are both set; choose one.');
  if (spec.bearer_token_env) {
    registerSecretEnv(spec.bearer_token_env);
    headers.authorization = `Bearer ${fromEnv(spec.bearer_token_env, 'bearer_token_env', env)}`;
    auths.push(`bearer token from $${spec.bearer_token_env}`);
  }
  if (spec.basic_auth) {
    // The pair makes the user:password encodings (Basic base64) secrets too.
    registerSecretEnv(spec.basic_auth.password_env, spec.basic_auth.username_env);
    const user = fromEnv(spec.basic_auth.username_env, 'basic_auth.username_env', env);
    const pass = fromEnv(spec.basic_auth.password_env, 'basic_auth.password_env', env);
    headers.authorization = `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
    auths.push(`basic auth from $${spec.basic_auth.username_env} / $${spec.basic_auth.password_env}`);
  }
  const warnings: string[] = [];
  let ca: string | undefined;
  if (spec.ca_file) {
    const path = isAbsolute(spec.ca_file) ? spec.ca_file : resolve(opts.cwd ?? process.cwd(), spec.ca_file);
    try {
      ca = readFileSync(path, 'utf8');
    } catch (e) {
      throw new ConfigError(`runbook metrics.ca_file: cannot read ${spec.ca_file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}).`);
    }
    if (!ca.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`runbook metrics.ca_file: ${spec.ca_file} holds no PEM certificate.`);
  }
  if (spec.insecure_skip_verify) warnings.push(`metrics source ${safeHost(spec.url)}: insecure_skip_verify is on, the server's TLS certificate is not checked (anyone in the path can answer as the server).`);
  const dispatcher = ca !== undefined || spec.insecure_skip_verify ? new Agent({ connect: { ...(ca !== undefined ? { ca } : {}), rejectUnauthorized: !spec.insecure_skip_verify } }) : undefined;
  return { headers, ...(dispatcher ? { dispatcher } : {}), warnings, auth: auths.join(', ') || 'none' };
}

function safeHost(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'the metrics URL';
  }
}
