// Training scenarios (runbooks/scenarios/*.yaml): a timeline of what the service does, played as
// a metrics source and a health checker on the monitor's own clock. After a (simulated) rollback
// the service is back to its baseline.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { yamlToJs } from '../config/runbook.js';
import { basename, join } from 'node:path';
import { parseDocument, LineCounter } from 'yaml';
// A namespace import lets esbuild drop the parts of zod never used (its locales): 0.17 MB instead of 0.75 MB to compile.
import * as z from 'zod';
import { describeAt, zodIssueSentence } from '../config/locate.js';
import { shippedDir } from '../config/shipped.js';
import type { Clock } from '../domain/clock.js';
import { ConfigError, UsageError } from '../domain/errors.js';
import { HASH_TIME_BUCKETS_MS } from '../domain/metrics-contract.js';
import { quantile } from '../gates/histogram.js';
import type { MetricSource, SourceOutcome } from '../metrics/types.js';
import type { HealthChecker } from './monitor.js';

const num = (lo: number, hi?: number) => {
  const what = hi === undefined ? `a number of ${lo} or more` : `a number from ${lo} to ${hi}`;
  const n = z.number({ error: `expected ${what}` }).min(lo, { error: `expected ${what}` });
  return hi === undefined ? n : n.max(hi, { error: `expected ${what}` });
};
const percent = () => num(0, 100);

const State = z.strictObject({
  rps: num(0).optional().describe('Extractions a second.'),
  failure_percent: percent().optional(),
  failure_percent_per_minute: z.number().optional().describe('Slow burn: added to failure_percent per minute since the event.'),
  hash_ms: z.number().gt(0).optional().describe('Typical hash time.'),
  slow_percent: percent().optional().describe('Share of hashes that take slow_ms.'),
  slow_ms: z.number().gt(0).optional(),
  queue: num(0).optional(),
  queue_per_minute: z.number().optional().describe('Queue growth per minute since the event.'),
  cpu: percent().optional(),
  memory: percent().optional(),
  disk: percent().optional(),
  health: z.enum(['ok', 'failing', 'flapping']).optional(),
  flap_pattern: z.string().regex(/^[.x]+$/, { error: 'expected a pattern of "." (OK) and "x" (failing), e.g. "xx."' }).optional().describe('Health checks while flapping, cycled per check.'),
  metrics: z.enum(['ok', 'error', 'timeout', 'garbage', 'empty']).optional().describe('The metrics endpoint: answering, or one of the outage kinds.'),
});
type State = z.infer<typeof State>;

const Event = z.strictObject({
  at_minute: num(0),
  until_minute: z.number().gt(0).optional().describe('The change ends here (back to what was before).'),
  note: z.string().optional().describe('What happens, for the debrief.'),
  set: State,
});

/** A scenario file. */
export const Scenario = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/),
  title: z.string().min(1),
  description: z.string().optional(),
  duration_minutes: z.number().gt(0).optional(),
  baseline: State,
  events: z.array(Event).default([]),
  expect: z
    .strictObject({
      rollback: z.boolean(),
      gate: z.string().optional(),
      not_before_minute: z.number().min(0).optional(),
      lesson: z.string().optional().describe('The one thing to take away, shown in the debrief.'),
    })
    .optional(),
  decision: z
    .strictObject({
      at_minute: z.number().min(0).describe('When the trainee is asked to decide.'),
      ask: z.string().min(1).describe('The question, as the screen shows it.'),
      answer: z.enum(['rollback', 'wait']).describe('What an experienced on-call engineer does.'),
      by_minute: z.number().gt(0).optional().describe('For "rollback": the latest minute that still counts as in time.'),
      why: z.string().min(1).describe('Why, shown in the debrief.'),
    })
    .optional()
    .describe('The moment the trainee must act or wait, scored in the debrief.'),
});

/** The scenario every face (TUI, headless train, README) starts with unless told otherwise. */
export const DEFAULT_SCENARIO = 'p95-regression';

/** The default scenario of a workspace: p95-regression when it has it, else the first one. */
export function defaultScenario(root: string): string {
  const known = listScenarios(root);
  return known.includes(DEFAULT_SCENARIO) ? DEFAULT_SCENARIO : (known[0] ?? DEFAULT_SCENARIO);
}
export type Scenario = z.infer<typeof Scenario>;

/** Where scenarios live: the workspace's runbooks/scenarios/, else the package's. */
export function scenariosDir(root: string): string | undefined {
  return shippedDir(root, join('runbooks', 'scenarios'));
}

/** The names of the available scenarios. */
export function listScenarios(root: string): string[] {
  const dir = scenariosDir(root);
  if (!dir || !existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => basename(f).replace(/\.ya?ml$/, ''))
    .sort();
}

/** Parse and validate scenario text. */
export function parseScenario(text: string, file: string): Scenario {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  const err = doc.errors[0];
  if (err) throw new ConfigError(`${file}:${lc.linePos(err.pos[0]).line}: not valid YAML (${err.message.split('\n')[0]}).`);
  const data = yamlToJs(doc, file);
  const r = Scenario.safeParse(data);
  if (!r.success) throw new ConfigError(zodIssueSentence(file, text, data, r.error.issues[0]!));
  r.data.events.forEach((e, i) => {
    if (e.until_minute !== undefined && e.until_minute <= e.at_minute) throw new ConfigError(describeAt(file, text, ['events', i, 'until_minute'], 'expected "until_minute" after "at_minute"'));
  });
  return r.data;
}

/** Load a scenario by name (or path). */
export function loadScenario(root: string, name: string): Scenario {
  const dir = scenariosDir(root);
  const candidates = [name, ...(dir ? [join(dir, `${name}.yaml`), join(dir, `${name}.yml`)] : [])];
  const path = candidates.find((c) => /\.ya?ml$/.test(c) && existsSync(c));
  if (!path) throw new UsageError(`Unknown scenario "${name}": runbooks/scenarios/ has ${listScenarios(root).join(', ') || 'none'}.`);
  return parseScenario(readFileSync(path, 'utf8'), join('runbooks', 'scenarios', basename(path)));
}

/** The service's state at a minute: the baseline with every event in force applied. */
export function stateAt(s: Scenario, minute: number): Required<Pick<State, 'rps' | 'failure_percent' | 'hash_ms' | 'slow_percent' | 'slow_ms' | 'queue' | 'cpu' | 'memory' | 'disk' | 'health' | 'flap_pattern' | 'metrics'>> {
  const st = {
    rps: 20,
    failure_percent: 0.5,
    hash_ms: 300,
    slow_percent: 0,
    slow_ms: 2500,
    queue: 20,
    cpu: 25,
    memory: 35,
    disk: 40,
    health: 'ok' as State['health'] & string,
    flap_pattern: 'x.',
    metrics: 'ok' as State['metrics'] & string,
  };
  const apply = (set: State, since: number): void => {
    for (const [k, v] of Object.entries(set)) if (v !== undefined && !k.endsWith('_per_minute')) (st as Record<string, unknown>)[k] = v;
    if (set.failure_percent_per_minute) st.failure_percent = Math.min(100, Math.max(0, st.failure_percent + set.failure_percent_per_minute * (minute - since)));
    if (set.queue_per_minute) st.queue = Math.max(0, st.queue + set.queue_per_minute * (minute - since));
  };
  apply(s.baseline, 0);
  for (const e of s.events) if (e.at_minute <= minute && (e.until_minute === undefined || minute < e.until_minute)) apply(e.set, e.at_minute);
  return st;
}

/** The scenario played on a clock: a metrics source, a health checker, and the rollback switch. */
export class ScenarioPlayer {
  private prevT: number | undefined;
  private rolledBackAt: number | undefined;
  private checks = 0;
  private totals = { extractions: 0, failures: 0, buckets: new Array<number>(HASH_TIME_BUCKETS_MS.length + 1).fill(0) };

  /** The scenario's metrics endpoint, as the monitor reads it. */
  readonly source: MetricSource;

  constructor(
    readonly scenario: Scenario,
    private readonly clock: Clock,
    private readonly t0: number,
  ) {
    this.source = { description: `scenario ${scenario.name}`, read: () => this.read() };
  }

  private minute(): number {
    return (this.clock.now() - this.t0) / 60_000;
  }

  private state() {
    // After a rollback the previous release runs again: the baseline.
    return this.rolledBackAt !== undefined ? stateAt({ ...this.scenario, events: [] }, this.minute()) : stateAt(this.scenario, this.minute());
  }

  /** The simulated rollback happened: the service behaves like its baseline from now on. */
  markRolledBack(): void {
    this.rolledBackAt = this.clock.now();
  }

  private async read(): Promise<SourceOutcome> {
    {
      const t = this.clock.now();
      const st = this.state();
      const dt = this.prevT === undefined ? 0 : Math.max(0, (t - this.prevT) / 1000);
      this.prevT = t;
      const n = Math.round(st.rps * dt);
      const failed = Math.round((n * st.failure_percent) / 100);
      const slow = Math.round((n * st.slow_percent) / 100);
      const counts = new Array<number>(HASH_TIME_BUCKETS_MS.length + 1).fill(0);
      const at = (ms: number): number => {
        const i = HASH_TIME_BUCKETS_MS.findIndex((b) => ms <= b);
        return i < 0 ? HASH_TIME_BUCKETS_MS.length : i;
      };
      counts[at(st.hash_ms)]! += n - slow;
      counts[at(st.slow_ms)]! += slow;
      this.totals.extractions += n;
      this.totals.failures += failed;
      // The real endpoint keeps counting during an outage; only the answer is lost.
      if (st.metrics === 'error') return { status: 'error', detail: 'HTTP 500 from the metrics endpoint (scenario)', t };
      if (st.metrics === 'timeout') return { status: 'error', detail: 'no answer from the metrics endpoint within 3000 ms (scenario)', t };
      if (st.metrics === 'garbage') return { status: 'error', detail: 'the metrics endpoint did not answer JSON (scenario)', t };
      if (st.metrics === 'empty') return { status: 'no-data', detail: 'empty answer from the metrics endpoint (scenario)', t };
      const hash = { bounds: [...HASH_TIME_BUCKETS_MS], counts };
      const p95 = quantile(hash, 0.95);
      return {
        status: 'ok',
        sample: {
          t,
          values: {
            low_confidence_queue: Math.round(st.queue),
            cpu_percent: st.cpu,
            memory_percent: st.memory,
            disk_used_percent: st.disk,
            ...(n > 0 ? { extraction_failure_rate: (100 * failed) / n } : {}),
            ...(p95 !== null ? { hash_time_ms: p95 } : {}),
          },
          ...(dt > 0 ? { extractions: n, failures: failed, hash } : {}),
        },
      };
    }
  }

  /** The scenario's health endpoint. */
  readonly health: HealthChecker = async () => {
    const st = this.state();
    this.checks++;
    if (st.health === 'failing') return { ok: false, detail: 'HTTP 503 (scenario: failing)' };
    if (st.health === 'flapping') {
      const c = st.flap_pattern[(this.checks - 1) % st.flap_pattern.length];
      return c === 'x' ? { ok: false, detail: 'HTTP 503 (scenario: flapping)' } : { ok: true, detail: 'HTTP 200 (scenario: flapping)' };
    }
    return { ok: true, detail: 'HTTP 200' };
  };
}
