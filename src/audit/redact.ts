// One redaction function for every output path: logs, fallback files, the TUI, error messages,
// notification errors. Secrets never leave the process unmasked.

export const MASK = '***';

/** Environment variables whose values are secrets wherever they appear. */
export const SECRET_ENV_NAMES = ['SLACK_WEBHOOK_URL', 'TEAMS_WEBHOOK_URL', 'DISCORD_WEBHOOK_URL', 'SMTP_URL', 'SMTP_PASS', 'SMTP_PASSWORD', 'SMTP_USER'];
const SECRET_ENV_PATTERN = /(TOKEN|SECRET|PASSWORD|PASSWD|PASS|API_KEY|WEBHOOK)/i;
/** Settings whose names look secret but whose values are plain words (masking them would mangle output). */
export const NOT_SECRET_ENV_NAMES = ['TEAMS_WEBHOOK_FORMAT'];
const SECRET_KEY_PATTERN = /^(authorization|password|passwd|pass|secret|token|api[_-]?key|access[_-]?token|webhook(_url)?|smtp_pass|cookie)$/i;

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

/** Secret strings taken from an environment: whole values, URL-encoded forms and secret URL parts. */
export function secretValuesFrom(env: NodeJS.ProcessEnv): string[] {
  const out = new Set<string>();
  for (const [name, value] of Object.entries(env)) {
    if (!value || value.length < 6) continue;
    if (!SECRET_ENV_NAMES.includes(name) && !SECRET_ENV_PATTERN.test(name)) continue;
    if (NOT_SECRET_ENV_NAMES.includes(name)) continue;
    out.add(value);
    out.add(encodeURIComponent(value));
    try {
      const u = new URL(value);
      // Both spellings of URL credentials: libraries quote them encoded or decoded.
      if (u.password) {
        out.add(u.password);
        out.add(safeDecode(u.password));
        if (u.username) {
          out.add(u.username);
          out.add(safeDecode(u.username));
        }
      }
      if (u.pathname.length > 1) out.add(u.pathname);
      // Path parts that carry the secret (ids, tokens), not the well-known words around them.
      for (const part of u.pathname.split('/')) if (part.length >= 8 && !PUBLIC_PATH_WORDS.has(part.toLowerCase()) && (/\d/.test(part) || part.length >= 20)) out.add(part);
      if (u.search.length > 1) out.add(u.search.slice(1));
      out.add(`${u.host}${u.pathname}`);
    } catch {
      /* not a URL: the whole value is enough */
    }
  }
  return [...out].filter((s) => s.length >= 6).sort((a, b) => b.length - a.length);
}

const PATTERNS: [RegExp, string | ((...m: string[]) => string)][] = [
  // Authorization headers and bearer/basic credentials.
  [/\b(authorization["']?\s*[:=]\s*["']?)(bearer|basic|token)?\s*[^\s"',;}]+/gi, (_m, k, scheme) => `${k}${scheme ? `${scheme} ` : ''}${MASK}`],
  [/\b(bearer)\s+[A-Za-z0-9\-._~+/]{8,}=*/gi, (_m, b) => `${b} ${MASK}`],
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

/** Mask every secret in a string: known secret values first, then the secret shapes. */
export function redactString(s: string, secrets: readonly string[] = currentSecrets()): string {
  let out = s;
  for (const v of secrets) if (out.includes(v)) out = out.split(v).join(MASK);
  for (const [re, rep] of PATTERNS) out = out.replace(re, rep as (...m: string[]) => string);
  return out;
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
  const key = [...SECRET_ENV_NAMES, ...Object.keys(process.env).filter((k) => SECRET_ENV_PATTERN.test(k))].map((k) => `${k}=${process.env[k] ?? ''}`).join('\n');
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
