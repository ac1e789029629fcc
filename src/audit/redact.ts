// One redaction function for every output path: logs, fallback files, the TUI, error messages,
// notification errors. Secrets never leave the process unmasked.

export const MASK = '***';

/**
 * Environment variables whose values are secrets wherever they appear. A new secret setting is one
 * line here (names matching SECRET_ENV_PATTERN are secrets without being listed).
 */
export const SECRET_ENV_NAMES = [
  'SLACK_WEBHOOK_URL',
  'TEAMS_WEBHOOK_URL',
  'DISCORD_WEBHOOK_URL',
  'SMTP_URL',
  'SMTP_USER',
  'SMTP_PASS',
  'SMTP_PASSWORD',
  'PROMETHEUS_BEARER_TOKEN',
  'PROMETHEUS_TOKEN',
  'PROMETHEUS_USERNAME',
  'PROMETHEUS_USER',
  'PROMETHEUS_PASSWORD',
];
/** User and password variables sent together (SMTP AUTH PLAIN, HTTP Basic): their joint encodings are secrets too. One line per pair. */
export const SECRET_ENV_PAIRS: readonly (readonly [user: string, pass: string])[] = [
  ['SMTP_USER', 'SMTP_PASS'],
  ['SMTP_USER', 'SMTP_PASSWORD'],
  ['PROMETHEUS_USERNAME', 'PROMETHEUS_PASSWORD'],
  ['PROMETHEUS_USER', 'PROMETHEUS_PASSWORD'],
];
const SECRET_ENV_PATTERN = /(TOKEN|SECRET|PASSWORD|PASSWD|PASS|API_KEY|WEBHOOK|CREDENTIAL|(^|_)AUTH(_|$))/i;
/** Settings whose names look secret but whose values are plain words (masking them would mangle output). */
export const NOT_SECRET_ENV_NAMES = ['TEAMS_WEBHOOK_FORMAT'];
const SECRET_KEY_PATTERN = /^(authorization|password|passwd|pass|secret|token|api[_-]?key|access[_-]?token|webhook(_url)?|smtp_pass|cookie)$/i;

// Variables a configuration names at run time (e.g. a runbook's "token from this variable").
const registered = new Set<string>();
const registeredPairs: [string, string][] = [];

/** Treat more environment variables as secrets (names a config points at); `pairWith` names the user variable of a password. */
export function registerSecretEnv(name: string, pairWith?: string): void {
  registered.add(name);
  if (pairWith) {
    registered.add(pairWith);
    if (!registeredPairs.some(([u, p]) => u === pairWith && p === name)) registeredPairs.push([pairWith, name]);
  }
}

const PUBLIC_PATH_WORDS = new Set(['services', 'webhooks', 'webhook', 'webhookb2', 'incomingwebhook', 'workflows', 'triggers', 'workflowss', 'invoke', 'manual', 'paths']);

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function isSecretName(name: string): boolean {
  if (NOT_SECRET_ENV_NAMES.includes(name)) return false;
  return SECRET_ENV_NAMES.includes(name) || registered.has(name) || SECRET_ENV_PATTERN.test(name);
}

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64');
const b64url = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

/**
 * The base64 characters that encode `v` wherever it sits in a longer base64 stream (at each of
 * the three byte alignments), without the edge characters that depend on the neighbouring bytes.
 * This catches a password inside any token that carries it (AUTH PLAIN's "\0user\0pass", Basic
 * "user:pass", a JSON blob), whatever comes before it.
 */
function base64Cores(v: string): string[] {
  const data = Buffer.from(v);
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), data]).toString('base64');
    const core = enc.slice(Math.ceil((8 * k) / 6), Math.floor((8 * (k + data.length)) / 6));
    out.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return out;
}

/** Every spelling of one secret value: plain, URL-encoded, JSON-escaped, base64 (standard, URL-safe, unpadded, any alignment). */
export function secretForms(v: string): string[] {
  const out = [v, encodeURIComponent(v), encodeURIComponent(v).replace(/%20/g, '+'), JSON.stringify(v).slice(1, -1), b64(v), b64(v).replace(/=+$/, ''), b64url(v)];
  out.push(...base64Cores(v));
  return out;
}

/** The encodings of a user and password sent together: SMTP AUTH PLAIN ("\0user\0pass", with or without authzid), Basic ("user:pass"). */
export function credentialForms(user: string, pass: string): string[] {
  const joined = [`\0${user}\0${pass}`, `${user}\0${user}\0${pass}`, `${user}:${pass}`];
  return joined.flatMap((j) => [b64(j), b64(j).replace(/=+$/, ''), b64url(j), `Basic ${b64(j)}`]);
}

/** Secret strings taken from an environment: every form of whole values, of secret URL parts and of user/password pairs. */
export function secretValuesFrom(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  const add = (v: string | undefined): void => {
    if (!v || v.length < 6) return;
    for (const f of secretForms(v)) out.add(f);
  };
  const addPair = (user: string | undefined, pass: string | undefined): void => {
    if (!pass) return;
    for (const f of credentialForms(user ?? '', pass)) out.add(f);
  };
  for (const [name, value] of Object.entries(env)) {
    if (!value || !isSecretName(name)) continue;
    add(value);
    try {
      const u = new URL(value);
      // Both spellings of URL credentials: libraries quote them encoded or decoded.
      if (u.password) {
        add(u.password);
        add(safeDecode(u.password));
        if (u.username) {
          add(u.username);
          add(safeDecode(u.username));
        }
        addPair(safeDecode(u.username), safeDecode(u.password));
      }
      if (u.pathname.length > 1) add(u.pathname);
      // Path parts that carry the secret (ids, tokens), not the well-known words around them.
      for (const part of u.pathname.split('/')) if (part.length >= 8 && !PUBLIC_PATH_WORDS.has(part.toLowerCase()) && (/\d/.test(part) || part.length >= 20)) add(part);
      if (u.search.length > 1) add(u.search.slice(1));
      add(`${u.host}${u.pathname}`);
    } catch {
      /* not a URL: the whole value is enough */
    }
  }
  for (const [user, pass] of [...SECRET_ENV_PAIRS, ...registeredPairs]) if (env[pass]) addPair(env[user], env[pass]);
  return [...out].filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
}

const PATTERNS: [RegExp, string | ((...m: string[]) => string)][] = [
  // Authorization headers and bearer/basic credentials.
  [/\b(authorization["']?\s*[:=]\s*["']?)(bearer|basic|token)?\s*[^\s"',;}]+/gi, (_m, k, scheme) => `${k}${scheme ? `${scheme} ` : ''}${MASK}`],
  [/\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*/gi, (_m, b) => `${b} ${MASK}`],
  [/\b(basic)\s+([A-Za-z0-9+/]{8,}={0,2})(?![A-Za-z0-9+/=])/gi, (m, b, t) => (/[0-9+/=]/.test(t) ? `${b} ${MASK}` : m)],
  // SMTP SASL exchanges quoted in a reply: AUTH PLAIN <base64>, AUTH LOGIN <base64>.
  [/\b(AUTH\s+(?:PLAIN|LOGIN|XOAUTH2))\s+([A-Za-z0-9+/]{4,}={0,2})/gi, (_m, a) => `${a} ${MASK}`],
  // key=value secrets in text, query strings and JSON-ish text.
  [/\b((?:password|passwd|pwd|token|access_token|refresh_token|api_key|apikey|secret|client_secret)["']?\s*[=:]\s*["']?)([^\s"'&,;}]+)/gi, (_m, k) => `${k}${MASK}`],
  [/\b((?:key|sig|signature)=)([^\s"'&,;}]+)/gi, (_m, k) => `${k}${MASK}`],
  // user:password@ in URLs.
  [/\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@]+):([^\s/@]+)@/gi, (_m, s, u) => `${s}${u}:${MASK}@`],
  // Webhook URLs of the known services: keep the host, mask the secret path.
  [/(https?:\/\/hooks\.slack\.com\/(?:services|workflows|triggers)\/)[^\s"'<>]+/gi, (_m, p) => `${p}${MASK}`],
  [/(https?:\/\/(?:[a-z0-9-]+\.)*(?:discord|discordapp)\.com\/api\/webhooks\/)[^\s"'<>]+/gi, (_m, p) => `${p}${MASK}`],
  [/(https?:\/\/[a-z0-9.-]*(?:webhook\.office\.com|logic\.azure\.com|powerplatform\.com|environment\.api\.powerplatform\.com)(?::\d+)?\/)[^\s"'<>]+/gi, (_m, p) => `${p}${MASK}`],
  // Any other URL whose path says it is a webhook.
  [/(https?:\/\/[^\s/"'<>]+\/(?:[^\s"'<>]*\/)?(?:webhooks?|hooks|services)\/)[^\s"'<>]+/gi, (_m, p) => `${p}${MASK}`],
];

/**
 * A word that every one of PATTERNS needs somewhere in its match (case-insensitive): "auth"
 * (authorization, AUTH PLAIN), bearer, basic, pass (password, passwd), pwd, token, key (api_key,
 * apikey, key=), secret, sig (sig=, signature=), or "://" (credentials in a URL, webhook URLs). A
 * string without any of them matches no pattern, so one scan settles most log fields (event names,
 * versions, paths) instead of eleven; test/audit/redact-prefilter.test.ts holds the two to the same result.
 */
const MAY_MATCH = /auth|bearer|basic|pass|pwd|token|key|secret|sig|:\/\//i;

/** `s` with every known secret value masked, then every secret shape when `shapes` says it may hold one. */
function masked(s: string, secrets: readonly string[], shapes: boolean): string {
  let out = s;
  for (const v of secrets) if (out.includes(v)) out = out.split(v).join(MASK);
  if (shapes) for (const [re, rep] of PATTERNS) out = out.replace(re, rep as (...m: string[]) => string);
  return out;
}

/** Mask every secret in a string: known secret values first, then the secret shapes. */
export function redactString(s: string, secrets: readonly string[] = currentSecrets()): string {
  const out = masked(s, secrets, false);
  return MAY_MATCH.test(out) ? masked(out, [], true) : out;
}

/** redactString with every pattern applied, without the prefilter: what the property test holds redactString to. */
export function redactStringEveryPattern(s: string, secrets: readonly string[]): string {
  return masked(s, secrets, true);
}

/** Mask secrets anywhere in a value: strings, nested fields, arrays, errors; secret-named keys wholesale. */
export function redact<T>(value: T, secrets: readonly string[] = currentSecrets(), depth = 0): T {
  if (depth > 20) return value;
  if (typeof value === 'string') return redactString(value, secrets) as T;
  if (value instanceof Error) {
    return { name: value.name, message: redactString(value.message, secrets), ...(value.stack ? { stack: redactString(value.stack, secrets) } : {}) } as T;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, secrets, depth + 1)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_KEY_PATTERN.test(k) && (typeof v === 'string' || typeof v === 'number') && String(v).length > 0 ? MASK : redact(v, secrets, depth + 1);
    }
    return out as T;
  }
  return value;
}

let cache: { key: string; values: string[] } | undefined;
/** The secrets of the current process environment (cached until the environment changes). */
export function currentSecrets(): string[] {
  const key = [...SECRET_ENV_NAMES, ...registered, ...Object.keys(process.env).filter((k) => SECRET_ENV_PATTERN.test(k))].map((k) => `${k}=${process.env[k] ?? ''}`).join('\n');
  if (cache?.key !== key) cache = { key, values: secretValuesFrom(process.env) };
  return cache.values;
}

/** True when a string still carries a secret (used by validate-logging). */
export function findSecret(s: string, secrets: readonly string[] = currentSecrets()): string | undefined {
  for (const v of secrets) if (s.includes(v)) return 'the value of a secret environment variable';
  const redacted = redactString(s, []);
  if (redacted !== s) return 'a secret-shaped value (webhook URL, token, password or Authorization header)';
  return undefined;
}

/** A regexp-safe form, for callers building their own matchers. */
export { escapeRe };
