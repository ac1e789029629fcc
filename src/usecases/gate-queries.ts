// Which data each gate of an environment judges: for a prometheus source, the PromQL it runs (the
// runbook's, or the default) and the count behind it; for the other sources, how the value is
// computed. validate-config prints this so that a default and an operator query cannot be misread.
import type { Gate } from '../config/gates-schema.js';
import type { EnvironmentRunbook } from '../config/runbook-schema.js';
import { ConfigError } from '../domain/errors.js';
import { checkNoUrlCredentials } from '../metrics/http-access.js';
import { resolvePromQueries } from '../metrics/sources.js';
import { safeUrl } from '../metrics/fetch-text.js';

/** How one gate gets its value. */
export interface GateQuery {
  gate: string;
  signal: string;
  /** "runbook" or "default" query, "health check", or a client-side computation. */
  origin: string;
  query?: string;
  observations?: { origin: string; query: string };
  minObservations: number;
}

/** What a metrics section reads, per gate, without any secret. */
export interface MetricsPlan {
  kind: string;
  url?: string;
  selector?: string;
  auth: string;
  warnings: string[];
  gates: GateQuery[];
}

function authOf(m: EnvironmentRunbook['metrics'], env: NodeJS.ProcessEnv): string {
  if (m.kind !== 'prometheus' && m.kind !== 'http-json') return 'none';
  const set = (n: string): string => `$${n}${env[n] ? '' : ' (not set here)'}`;
  if (m.bearer_token_env) return `bearer token from ${set(m.bearer_token_env)}`;
  if (m.basic_auth) return `basic auth from ${set(m.basic_auth.username_env)} / ${set(m.basic_auth.password_env)}`;
  return 'none';
}

/** The plan of one environment's metrics section for its enabled gates; a ConfigError names `where` for a bad section. */
export function metricsPlan(m: EnvironmentRunbook['metrics'], gates: readonly Gate[], where: string, env: NodeJS.ProcessEnv = process.env): MetricsPlan {
  const warnings: string[] = [];
  if (m.kind === 'prometheus' || m.kind === 'http-json') {
    try {
      checkNoUrlCredentials(m.url);
    } catch (e) {
      throw new ConfigError(`${where}: ${(e as Error).message}`);
    }
    if (m.insecure_skip_verify) warnings.push(`${where}: insecure_skip_verify is on, the server's TLS certificate is not checked.`);
    if (m.kind === 'prometheus' && !m.selector?.trim()) warnings.push(`${where}: no selector: the default queries read every series of every environment in this Prometheus; set selector, e.g. '{job="dhash", env="<env>"}'.`);
  }
  let resolved: ReturnType<typeof resolvePromQueries> = [];
  if (m.kind === 'prometheus') {
    try {
      resolved = resolvePromQueries(m);
    } catch (e) {
      throw new ConfigError(`${where}: ${(e as Error).message}`);
    }
  }
  const out: GateQuery[] = gates
    .filter((g) => g.enabled)
    .map((g) => {
      // A latest-reading gate has nothing to count: its minimum is shown for windowed gates only.
      const base = { gate: g.name, signal: g.signal, minObservations: g.aggregate === 'last' || g.aggregate === 'consecutive_failures' ? 0 : g.minObservations };
      if (g.signal === 'health') return { ...base, origin: 'health check (consecutive non-OK checks)' };
      if (m.kind !== 'prometheus') return { ...base, origin: g.aggregate === 'ratio' || g.aggregate === 'p95' ? `computed here from the ${m.kind} counters over the window` : `${m.kind} readings (${g.aggregate})` };
      const v = resolved.find((q) => q.signal === g.signal && !q.observations);
      const n = resolved.find((q) => q.signal === g.signal && q.observations);
      if (!v) return { ...base, origin: 'no query (turned off with ""): never judged' };
      return { ...base, origin: `${v.origin} query`, query: v.template, ...(n ? { observations: { origin: `${n.origin} query`, query: n.template } } : {}) };
    });
  return {
    kind: m.kind,
    ...('url' in m ? { url: safeUrl(m.url) } : {}),
    ...(m.kind === 'prometheus' && m.selector?.trim() ? { selector: m.selector.trim() } : {}),
    auth: authOf(m, env),
    warnings,
    gates: out,
  };
}

/** Human lines for a plan (validate-config). */
export function planLines(envName: string, p: MetricsPlan): string[] {
  const head = `  ${envName}: ${p.kind}${p.url ? ` ${p.url}` : ''}${p.selector ? ` selector ${p.selector}` : ''}${p.auth !== 'none' ? `, auth: ${p.auth}` : ''}`;
  const lines = [head];
  for (const g of p.gates) {
    const min = g.minObservations > 0 ? ` (needs ${g.minObservations} observations in the window)` : '';
    lines.push(`    ${g.gate}: ${g.origin}${g.query ? `: ${g.query}` : ''}${min}`);
    if (g.observations) lines.push(`      observations: ${g.observations.origin}: ${g.observations.query}`);
    else if (g.query && g.minObservations > 0 && (g.signal === 'extraction_failure_rate' || g.signal === 'hash_time_ms')) lines.push('      observations: not counted (no _observations query): min_observations is not enforced');
  }
  for (const w of p.warnings) lines.push(`    WARNING: ${w}`);
  return lines;
}
