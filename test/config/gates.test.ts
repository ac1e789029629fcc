// Given the gates config schema, when files of the seeds' shape and broken ones are loaded,
// then good ones load with defaults and each bad one fails with file, JSON path, line and form.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseGatesConfig } from '../../src/config/gates.js';
import { intervalAt } from '../../src/config/gates-schema.js';
import { ConfigError } from '../../src/domain/errors.js';
import { REPO } from '../helpers/cli.js';

const SEED = '{"environments":{"production":{"quality_gates":{"health_failures":{"threshold":2,"window_minutes":5,"action":"auto-rollback"}}}}}';

function errorOf(text: string): string {
  try {
    parseGatesConfig(text, 'q.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the config to be rejected');
}

describe('quality-gates-config.json schema', () => {
  it('loads the seeds\' snippet unchanged, with the seeds\' defaults filled in', () => {
    const c = parseGatesConfig(SEED);
    const prod = c.environments.production!;
    const byName = Object.fromEntries(prod.gates.map((g) => [g.name, g]));
    expect(byName.health_failures).toMatchObject({ threshold: 2, windowMinutes: 5, action: 'auto-rollback', warnRatio: 0.8, aggregate: 'consecutive_failures', onError: 'alert' });
    expect(byName.extraction_failure_rate).toMatchObject({ threshold: 5, windowMinutes: 10, action: 'auto-rollback', aggregate: 'ratio' });
    expect(byName.p95_hash_time).toMatchObject({ threshold: 2000, windowMinutes: 15, aggregate: 'p95' });
    expect(byName.low_confidence_queue).toMatchObject({ threshold: 1000, windowMinutes: 0 });
    expect(prod.monitoring).toMatchObject({ durationMinutes: 60, polling: [{ untilMinute: 5, intervalSeconds: 30 }, { intervalSeconds: 120 }], adaptive: true, healthOkRequired: 3 });
    expect(c.retention.backupsDays).toBe(30);
  });

  it('loads the shipped file with production, staging and development and CPU/memory/disk watched', () => {
    const c = parseGatesConfig(readFileSync(`${REPO}/quality-gates-config.json`, 'utf8'));
    expect(Object.keys(c.environments)).toEqual(['production', 'staging', 'development']);
    const names = c.environments.production!.gates.map((g) => g.name);
    expect(names).toEqual(expect.arrayContaining(['health_failures', 'extraction_failure_rate', 'p95_hash_time', 'low_confidence_queue', 'cpu_percent', 'memory_percent', 'disk_used_percent']));
    expect(c.environments.production!.monitoring.polling).toEqual([{ untilMinute: 5, intervalSeconds: 30 }, { intervalSeconds: 120 }]);
  });

  it('accepts fractional windows and intervals (a whole rollout in seconds)', () => {
    const c = parseGatesConfig('{"environments":{"staging":{"quality_gates":{"p95_hash_time":{"threshold":2000,"window_minutes":0.1,"action":"auto-rollback"}},"monitoring":{"duration_minutes":0.4,"polling":[{"interval_seconds":0.5}]}}}}');
    const s = c.environments.staging!;
    expect(s.gates.find((g) => g.name === 'p95_hash_time')!.windowMinutes).toBe(0.1);
    expect(s.monitoring.durationMinutes).toBe(0.4);
    expect(intervalAt(s.monitoring.polling, 0.2)).toBe(0.5);
  });

  it('picks the poll interval of the phase in force', () => {
    const polling = [{ untilMinute: 5, intervalSeconds: 30 }, { intervalSeconds: 120 }];
    expect(intervalAt(polling, 0)).toBe(30);
    expect(intervalAt(polling, 4.99)).toBe(30);
    expect(intervalAt(polling, 5)).toBe(120);
    expect(intervalAt(polling, 59)).toBe(120);
  });

  const bad: [string, string, string][] = [
    ['an unknown top-level key', '{"environments":{},"enviroments":{}}', 'q.json:1: enviroments: unknown key "enviroments".'],
    ['an unknown gate field', '{"environments":{"production":{"quality_gates":{"health_failures":{"threshold":2,"windw_minutes":5}}}}}', 'q.json:1: environments.production.quality_gates.health_failures.windw_minutes: unknown key "windw_minutes".'],
    ['a threshold of the wrong type', '{"environments":{"production":{"quality_gates":{"p95_hash_time":{"threshold":"2000"}}}}}', 'q.json:1: environments.production.quality_gates.p95_hash_time.threshold: expected a number, got "2000".'],
    ['a negative window', '{"environments":{"production":{"quality_gates":{"health_failures":{"threshold":2,"window_minutes":-5}}}}}', 'q.json:1: environments.production.quality_gates.health_failures.window_minutes: expected a number of minutes from 0 to 1440, got -5.'],
    ['a percent over 100', '{"environments":{"production":{"quality_gates":{"extraction_failure_rate":{"threshold":150}}}}}', 'q.json:1: environments.production.quality_gates.extraction_failure_rate.threshold: expected a percentage from 0 to 100, got 150.'],
    ['an unknown action', '{"environments":{"production":{"quality_gates":{"health_failures":{"threshold":2,"action":"rollback"}}}}}', 'q.json:1: environments.production.quality_gates.health_failures.action: expected one of "auto-rollback", "alert", "log", got "rollback".'],
    ['a zero poll interval', '{"environments":{"production":{"monitoring":{"polling":[{"interval_seconds":0}]}}}}', 'q.json:1: environments.production.monitoring.polling[0].interval_seconds: expected a number of seconds from 0.1 to 3600, got 0.'],
    ['a missing threshold', '{"environments":{"production":{"quality_gates":{"health_failures":{"window_minutes":5}}}}}', 'q.json:1: environments.production.quality_gates.health_failures.threshold: expected a number, but it is missing.'],
    ['environments missing', '{}', 'q.json:1: environments: expected an object of environments, but it is missing.'],
    ['a custom gate without its signal', '{"environments":{"production":{"quality_gates":{"my_gate":{"threshold":3}}}}}', 'q.json:1: environments.production.quality_gates.my_gate: custom gate "my_gate" needs "signal" and "aggregate" (known gates: health_failures, extraction_failure_rate, p95_hash_time, low_confidence_queue, cpu_percent, memory_percent, disk_used_percent).'],
    ['polling phases out of order', '{"environments":{"production":{"monitoring":{"polling":[{"until_minute":5,"interval_seconds":30},{"until_minute":3,"interval_seconds":60},{"interval_seconds":120}]}}}}', 'q.json:1: environments.production.monitoring.polling[1].until_minute: expected "until_minute" to grow from phase to phase (after 5).'],
    ['a fractional consecutive count', '{"environments":{"production":{"quality_gates":{"health_failures":{"threshold":2.5}}}}}', 'q.json:1: environments.production.quality_gates.health_failures.threshold: expected a whole number of checks, got 2.5.'],
    ['a notification route to an unknown severity', '{"environments":{"production":{"notifications":{"routing":{"slack":["urgent"]}}}}}', 'q.json:1: environments.production.notifications.routing.slack[0]: expected one of "info", "warning", "critical", got "urgent".'],
  ];
  it.each(bad)('rejects %s with the exact path and expected form', (_what, text, message) => {
    expect(errorOf(text)).toBe(message);
  });

  it('names the line of the problem in a multi-line file', () => {
    const text = ['{', '  "environments": {', '    "production": {', '      "quality_gates": {', '        "p95_hash_time": { "threshold": -1 }', '      }', '    }', '  }', '}'].join('\n');
    expect(errorOf(text)).toBe('q.json:5: environments.production.quality_gates.p95_hash_time.threshold: expected a number from 0 to 1000000000, got -1.');
  });

  it('reports JSON syntax errors with line and column', () => {
    expect(errorOf('{\n  "environments": {,\n}')).toMatch(/^q\.json:2:\d+: not valid JSON \(.+\)\.$/);
  });
});
