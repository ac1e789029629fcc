// The zod schema of quality-gates-config.json: the seeds' shape, validated strictly, with the
// seeds' defaults filled in. Unknown keys, wrong types and impossible values are errors.
// A namespace import lets esbuild drop the parts of zod never used (its locales): 0.17 MB instead of 0.75 MB to compile.
import * as z from 'zod';

export const GATE_ACTIONS = ['auto-rollback', 'alert', 'log'] as const;
export type GateAction = (typeof GATE_ACTIONS)[number];

/** Signals a metrics source can deliver (src/metrics). */
export const SIGNALS = [
  'health',
  'extraction_failure_rate',
  'hash_time_ms',
  'low_confidence_queue',
  'cpu_percent',
  'memory_percent',
  'disk_used_percent',
] as const;
export type Signal = (typeof SIGNALS)[number];

/** How a gate turns a window of samples into one value. */
export const AGGREGATES = ['consecutive_failures', 'ratio', 'p95', 'last', 'mean', 'max'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const CHANNELS = ['slack', 'teams', 'discord', 'email'] as const;
export type ChannelName = (typeof CHANNELS)[number];

/** The built-in meaning of the seeds' gates and the watched resources. */
export const KNOWN_GATES: Record<string, { signal: Signal; aggregate: Aggregate; percent: boolean; unit: string }> = {
  health_failures: { signal: 'health', aggregate: 'consecutive_failures', percent: false, unit: 'consecutive' },
  extraction_failure_rate: { signal: 'extraction_failure_rate', aggregate: 'ratio', percent: true, unit: '%' },
  p95_hash_time: { signal: 'hash_time_ms', aggregate: 'p95', percent: false, unit: 'ms' },
  low_confidence_queue: { signal: 'low_confidence_queue', aggregate: 'last', percent: false, unit: 'items' },
  cpu_percent: { signal: 'cpu_percent', aggregate: 'mean', percent: true, unit: '%' },
  memory_percent: { signal: 'memory_percent', aggregate: 'last', percent: true, unit: '%' },
  disk_used_percent: { signal: 'disk_used_percent', aggregate: 'last', percent: true, unit: '%' },
};

/**
 * A number within a sane range, the range named in the message (a typo such as 1e12 minutes or
 * 1e-9 seconds is refused here, not discovered by a monitor that overflows or spins).
 * `above`: the minimum itself is excluded; `int`: whole numbers only.
 */
export const ranged = (what: string, min: number, max: number, o: { above?: boolean; int?: boolean } = {}) => {
  const msg = `expected ${what} ${o.above ? `above ${min} and at most ${max}` : `from ${min} to ${max}`}`;
  let n = z.number({ error: `expected ${what}` });
  if (o.int) n = n.int({ error: msg });
  return (o.above ? n.gt(min, { error: msg }) : n.min(min, { error: msg })).max(max, { error: msg });
};
/** Upper bounds of the numbers in the config: generous for any real use, finite for the arithmetic. */
export const BOUNDS = { minutes: 10_080, windowMinutes: 1_440, threshold: 1e9, intervalSeconds: 3_600, minIntervalSeconds: 0.1, minDurationMinutes: 0.01, ms: 600_000, days: 36_500 } as const;

const GateInput = z.strictObject({
  threshold: ranged('a number', 0, BOUNDS.threshold).describe('Trips when the value is beyond this (for health_failures: the consecutive non-OK checks tolerated).'),
  window_minutes: ranged('a number of minutes', 0, BOUNDS.windowMinutes).optional().describe('Window the value is computed over; 0 means the latest reading only. Fractions allowed.'),
  action: z.enum(GATE_ACTIONS, { error: 'expected one of "auto-rollback", "alert", "log"' }).optional(),
  enabled: z.boolean({ error: 'expected true or false' }).optional(),
  warn_ratio: z.number({ error: 'expected a fraction' }).gt(0, { error: 'expected a fraction above 0 and at most 1' }).max(1, { error: 'expected a fraction above 0 and at most 1' }).optional().describe('Warn when the value reaches this fraction of the threshold (default 0.8).'),
  signal: z.enum(SIGNALS, { error: `expected one of ${SIGNALS.map((s) => `"${s}"`).join(', ')}` }).optional(),
  aggregate: z.enum(AGGREGATES, { error: `expected one of ${AGGREGATES.map((s) => `"${s}"`).join(', ')}` }).optional(),
  comparison: z.enum(['>', '<'], { error: 'expected ">" or "<"' }).optional(),
  on_error: z.enum(['ignore', 'alert', 'auto-rollback'], { error: 'expected one of "ignore", "alert", "auto-rollback"' }).optional().describe('What a metrics-source outage does for this gate. Never a rollback unless set to auto-rollback.'),
  min_observations: z.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }).min(0, { error: 'expected 0 or more' }).max(1_000_000_000, { error: 'expected at most 1000000000' }).optional().describe('Fewest observations in the window (extractions for a ratio, hash times for p95, readings for mean/max) before the gate is judged; below it the gate is "insufficient", never a breach. Defaults: ratio 20, p95 20, mean/max 3, last 1.'),
  error_alert_after: ranged('a whole number', 1, 1000, { int: true }).optional(),
  description: z.string({ error: 'expected a string' }).optional(),
});
type GateInput = z.infer<typeof GateInput>;

const PollPhase = z.strictObject({
  until_minute: ranged('a number of minutes', 0, BOUNDS.minutes, { above: true }).optional(),
  interval_seconds: ranged('a number of seconds', BOUNDS.minIntervalSeconds, BOUNDS.intervalSeconds),
});

const MonitoringInput = z.strictObject({
  duration_minutes: ranged('a number of minutes', BOUNDS.minDurationMinutes, BOUNDS.minutes).optional(),
  polling: z.array(PollPhase, { error: 'expected a list of polling phases' }).min(1, { error: 'expected at least one polling phase' }).optional(),
  adaptive: z.boolean({ error: 'expected true or false' }).optional().describe('Poll at the fastest cadence while any gate warns.'),
  health_ok_required: ranged('a whole number', 1, 100, { int: true }).optional(),
  sample_history_minutes: ranged('a number of minutes', 0, BOUNDS.minutes, { above: true }).optional(),
});

const NotificationsInput = z.strictObject({
  routing: z
    .partialRecord(z.enum(CHANNELS, { error: 'expected one of "slack", "teams", "discord", "email"' }), z.array(z.enum(SEVERITIES, { error: 'expected one of "info", "warning", "critical"' })))
    .optional()
    .describe('Which severities each channel receives.'),
  dedupe_seconds: ranged('a number of seconds', 0, 604_800).optional(),
  timeout_ms: ranged('a number of milliseconds', 0, BOUNDS.ms, { above: true }).optional(),
  retries: z.number({ error: 'expected a whole number' }).int({ error: 'expected a whole number' }).min(0, { error: 'expected 0 or more' }).max(10, { error: 'expected at most 10' }).optional(),
  rollback_wait_ms: ranged('a number of milliseconds', 0, BOUNDS.ms).optional(),
});

const EnvironmentInput = z.strictObject({
  description: z.string({ error: 'expected a string' }).optional(),
  quality_gates: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, { error: 'expected a gate name in snake_case' }), GateInput, { error: 'expected an object of gates' }).optional(),
  monitoring: MonitoringInput.optional(),
  notifications: NotificationsInput.optional(),
});
type EnvironmentInput = z.infer<typeof EnvironmentInput>;

const RetentionInput = z.strictObject({
  backups_days: ranged('a number of days', 0, BOUNDS.days, { above: true }).optional(),
  monitor_logs_days: ranged('a number of days', 0, BOUNDS.days, { above: true }).optional(),
  rollback_logs_days: ranged('a number of days', 0, BOUNDS.days, { above: true }).optional(),
  logs_days: ranged('a number of days', 0, BOUNDS.days, { above: true }).optional(),
  incidents_days: ranged('a number of days', 0, BOUNDS.days, { above: true }).optional(),
  fallback_days: ranged('a number of days', 0, BOUNDS.days, { above: true }).optional(),
});

/** The file as written (what editors autocomplete). */
export const GatesConfigInput = z.strictObject({
  $schema: z.string().optional(),
  description: z.string({ error: 'expected a string' }).optional(),
  environments: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, { error: 'expected an environment name in lower case' }), EnvironmentInput, { error: 'expected an object of environments' }),
  retention: RetentionInput.optional(),
});
export type GatesConfigInput = z.infer<typeof GatesConfigInput>;

/** A gate with every default resolved. */
export interface Gate {
  name: string;
  threshold: number;
  windowMinutes: number;
  action: GateAction;
  enabled: boolean;
  warnRatio: number;
  signal: Signal;
  aggregate: Aggregate;
  comparison: '>' | '<';
  onError: 'ignore' | 'alert' | 'auto-rollback';
  errorAlertAfter: number;
  /** Fewest observations in the window before a verdict (0: no minimum); below it the gate is insufficient. */
  minObservations: number;
  unit: string;
  description?: string;
}

export interface PollPhase {
  untilMinute?: number;
  intervalSeconds: number;
}

export interface MonitoringSettings {
  durationMinutes: number;
  polling: PollPhase[];
  adaptive: boolean;
  healthOkRequired: number;
  sampleHistoryMinutes: number;
}

export interface NotificationSettings {
  routing: Record<ChannelName, Severity[]>;
  dedupeSeconds: number;
  timeoutMs: number;
  retries: number;
  rollbackWaitMs: number;
}

export interface EnvironmentGates {
  name: string;
  description?: string;
  gates: Gate[];
  monitoring: MonitoringSettings;
  notifications: NotificationSettings;
}

export interface Retention {
  backupsDays: number;
  monitorLogsDays: number;
  rollbackLogsDays: number;
  logsDays: number;
  incidentsDays: number;
  fallbackDays: number;
}

export interface GatesConfig {
  environments: Record<string, EnvironmentGates>;
  retention: Retention;
}

/** Fewest observations before a windowed gate is judged, per aggregate (health keeps its consecutive-count rule). */
export const DEFAULT_MIN_OBSERVATIONS: Record<Aggregate, number> = { consecutive_failures: 0, ratio: 20, p95: 20, mean: 3, max: 3, last: 1 };

type GateDefaults = Record<string, { threshold: number; window_minutes: number; action: GateAction }>;

/** The seeds' production gates; staging and development are looser. */
export const DEFAULT_GATES: Record<'production' | 'staging' | 'development', GateDefaults> = {
  production: {
    health_failures: { threshold: 2, window_minutes: 5, action: 'auto-rollback' },
    extraction_failure_rate: { threshold: 5, window_minutes: 10, action: 'auto-rollback' },
    p95_hash_time: { threshold: 2000, window_minutes: 15, action: 'auto-rollback' },
    low_confidence_queue: { threshold: 1000, window_minutes: 0, action: 'auto-rollback' },
    cpu_percent: { threshold: 90, window_minutes: 5, action: 'alert' },
    memory_percent: { threshold: 90, window_minutes: 0, action: 'alert' },
    disk_used_percent: { threshold: 90, window_minutes: 0, action: 'alert' },
  },
  staging: {
    health_failures: { threshold: 3, window_minutes: 5, action: 'auto-rollback' },
    extraction_failure_rate: { threshold: 10, window_minutes: 10, action: 'auto-rollback' },
    p95_hash_time: { threshold: 3000, window_minutes: 15, action: 'auto-rollback' },
    low_confidence_queue: { threshold: 2000, window_minutes: 0, action: 'auto-rollback' },
    cpu_percent: { threshold: 95, window_minutes: 5, action: 'log' },
    memory_percent: { threshold: 95, window_minutes: 0, action: 'log' },
    disk_used_percent: { threshold: 95, window_minutes: 0, action: 'log' },
  },
  development: {
    health_failures: { threshold: 5, window_minutes: 5, action: 'alert' },
    extraction_failure_rate: { threshold: 20, window_minutes: 10, action: 'alert' },
    p95_hash_time: { threshold: 5000, window_minutes: 15, action: 'alert' },
    low_confidence_queue: { threshold: 5000, window_minutes: 0, action: 'alert' },
    cpu_percent: { threshold: 95, window_minutes: 5, action: 'log' },
    memory_percent: { threshold: 95, window_minutes: 0, action: 'log' },
    disk_used_percent: { threshold: 95, window_minutes: 0, action: 'log' },
  },
};

const DEFAULT_POLLING: PollPhase[] = [{ untilMinute: 5, intervalSeconds: 30 }, { intervalSeconds: 120 }];

function defaultsFor(env: string): GateDefaults {
  return env === 'staging' || env === 'development' ? DEFAULT_GATES[env] : DEFAULT_GATES.production;
}

/** A problem found after the shape checks, with the JSON path it belongs to. */
export interface SemanticIssue {
  path: (string | number)[];
  message: string;
}

function resolveGate(name: string, input: GateInput | undefined, base: GateDefaults[string] | undefined, path: (string | number)[], issues: SemanticIssue[]): Gate | undefined {
  const known = KNOWN_GATES[name];
  const signal = input?.signal ?? known?.signal;
  const aggregate = input?.aggregate ?? known?.aggregate;
  if (!signal || !aggregate) {
    issues.push({ path, message: `custom gate "${name}" needs "signal" and "aggregate" (known gates: ${Object.keys(KNOWN_GATES).join(', ')})` });
    return undefined;
  }
  const threshold = input?.threshold ?? base?.threshold ?? 0;
  const percent = known ? known.percent : aggregate === 'ratio' || signal.endsWith('_percent');
  if (percent && threshold > 100) issues.push({ path: [...path, 'threshold'], message: `expected a percentage from 0 to 100, got ${threshold}` });
  if (aggregate === 'consecutive_failures' && !Number.isInteger(threshold)) issues.push({ path: [...path, 'threshold'], message: `expected a whole number of checks, got ${threshold}` });
  const unit = known?.unit ?? (percent ? '%' : aggregate === 'consecutive_failures' ? 'consecutive' : signal === 'hash_time_ms' ? 'ms' : '');
  return {
    name,
    threshold,
    windowMinutes: input?.window_minutes ?? base?.window_minutes ?? 5,
    action: input?.action ?? base?.action ?? 'alert',
    enabled: input?.enabled ?? true,
    warnRatio: input?.warn_ratio ?? 0.8,
    signal,
    aggregate,
    comparison: input?.comparison ?? '>',
    onError: input?.on_error ?? 'alert',
    errorAlertAfter: input?.error_alert_after ?? 3,
    minObservations: input?.min_observations ?? DEFAULT_MIN_OBSERVATIONS[aggregate],
    unit,
    ...(input?.description ? { description: input.description } : {}),
  };
}

function resolveEnvironment(name: string, input: EnvironmentInput, issues: SemanticIssue[]): EnvironmentGates {
  const base = defaultsFor(name);
  const given = input.quality_gates ?? {};
  const gates: Gate[] = [];
  for (const gateName of new Set([...Object.keys(base), ...Object.keys(given)])) {
    const g = resolveGate(gateName, given[gateName], base[gateName], ['environments', name, 'quality_gates', gateName], issues);
    if (g) gates.push(g);
  }
  const m = input.monitoring ?? {};
  const polling: PollPhase[] = m.polling ? m.polling.map((p) => ({ intervalSeconds: p.interval_seconds, ...(p.until_minute !== undefined ? { untilMinute: p.until_minute } : {}) })) : DEFAULT_POLLING;
  const mpath = ['environments', name, 'monitoring', 'polling'];
  let prev = 0;
  polling.forEach((p, i) => {
    const last = i === polling.length - 1;
    if (!last && p.untilMinute === undefined) issues.push({ path: [...mpath, i, 'until_minute'], message: 'expected "until_minute" on every polling phase but the last' });
    if (p.untilMinute !== undefined && p.untilMinute <= prev) issues.push({ path: [...mpath, i, 'until_minute'], message: `expected "until_minute" to grow from phase to phase (after ${prev})` });
    if (p.untilMinute !== undefined) prev = p.untilMinute;
  });
  const n = input.notifications ?? {};
  const allSev: Severity[] = [...SEVERITIES];
  return {
    name,
    ...(input.description ? { description: input.description } : {}),
    gates,
    monitoring: {
      durationMinutes: m.duration_minutes ?? (name === 'production' ? 60 : name === 'staging' ? 60 : 30),
      polling,
      adaptive: m.adaptive ?? true,
      healthOkRequired: m.health_ok_required ?? 3,
      sampleHistoryMinutes: m.sample_history_minutes ?? 24 * 60,
    },
    notifications: {
      routing: {
        slack: n.routing?.slack ?? allSev,
        teams: n.routing?.teams ?? allSev,
        discord: n.routing?.discord ?? allSev,
        email: n.routing?.email ?? ['warning', 'critical'],
      },
      dedupeSeconds: n.dedupe_seconds ?? 300,
      timeoutMs: n.timeout_ms ?? 5000,
      retries: n.retries ?? 3,
      rollbackWaitMs: n.rollback_wait_ms ?? 2000,
    },
  };
}

/** Fill in the defaults of a shape-valid input; semantic problems are returned, not thrown. */
export function resolveGatesConfig(input: GatesConfigInput): { config: GatesConfig; issues: SemanticIssue[] } {
  const issues: SemanticIssue[] = [];
  const environments: Record<string, EnvironmentGates> = {};
  for (const [name, env] of Object.entries(input.environments)) environments[name] = resolveEnvironment(name, env, issues);
  const r = input.retention ?? {};
  return {
    config: {
      environments,
      retention: {
        backupsDays: r.backups_days ?? 30,
        monitorLogsDays: r.monitor_logs_days ?? 90,
        rollbackLogsDays: r.rollback_logs_days ?? 365,
        logsDays: r.logs_days ?? 90,
        incidentsDays: r.incidents_days ?? 7 * 365,
        fallbackDays: r.fallback_days ?? 365,
      },
    },
    issues,
  };
}

/** The poll interval in force at a minute of the window, from the config's phases. */
export function intervalAt(polling: PollPhase[], minute: number): number {
  for (const p of polling) if (p.untilMinute === undefined || minute < p.untilMinute) return p.intervalSeconds;
  return polling[polling.length - 1]!.intervalSeconds;
}
