// What validate-config says each gate judges: the runbook's query or the default, with its
// observation count and minimum; credentials named by variable only; bad sections named.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/domain/errors.js';
import { metricsPlan, planLines } from '../../src/usecases/gate-queries.js';
import { shippedEnv } from '../gates/sim.js';

const gates = shippedEnv('production').gates;
const where = 'runbooks/dhash.yaml environments.production.metrics';

describe('metricsPlan', () => {
  it('names, per gate, the query in force and whether it is the runbook\'s or the default', () => {
    const p = metricsPlan({ kind: 'prometheus', url: 'https://prom.example:9090/', timeout_ms: 5000, selector: '{env="production"}', queries: { p95_hash_time: 'my_p95{selector}' }, bearer_token_env: 'PROM_TOKEN' }, gates, where, { PROM_TOKEN: 'secret-value' });
    const by = Object.fromEntries(p.gates.map((g) => [g.gate, g]));
    expect(by.p95_hash_time).toMatchObject({ origin: 'runbook query', query: 'my_p95{selector}', observations: { origin: 'default query' }, minObservations: 20 });
    expect(by.extraction_failure_rate).toMatchObject({ origin: 'default query', minObservations: 20 });
    expect(by.health_failures!.origin).toMatch(/health check/);
    expect(p.auth).toBe('bearer token from $PROM_TOKEN');
    const text = planLines('production', p).join('\n');
    expect(text).toContain('p95_hash_time: runbook query: my_p95{selector} (needs 20 observations in the window)');
    expect(text).toContain('extraction_failure_rate: default query: 100 * sum(rate(dhash_extraction_failures_total{selector}[{window}]))');
    expect(text).not.toContain('secret-value');
  });

  it('warns without a selector and for insecure_skip_verify; refuses URL credentials and doubled keys naming the section', () => {
    const p = metricsPlan({ kind: 'prometheus', url: 'http://127.0.0.1:9090', timeout_ms: 5000, insecure_skip_verify: true }, gates, where, {});
    expect(p.warnings.join('\n')).toMatch(/insecure_skip_verify is on/);
    expect(p.warnings.join('\n')).toMatch(/no selector: the default queries read every series of every environment/);
    expect(() => metricsPlan({ kind: 'http-json', url: 'http://u:pw@127.0.0.1/metrics', timeout_ms: 1000 }, gates, where)).toThrow(ConfigError);
    expect(() => metricsPlan({ kind: 'prometheus', url: 'http://127.0.0.1:9090', timeout_ms: 1000, queries: { p95_hash_time: 'a', hash_time_ms: 'b' } }, gates, where)).toThrow(/runbooks\/dhash\.yaml environments\.production\.metrics: .*name the same query/);
    const off = metricsPlan({ kind: 'prometheus', url: 'http://127.0.0.1:9090', timeout_ms: 1000, selector: '{a="b"}', queries: { cpu_percent: '' } }, gates, where);
    expect(off.gates.find((g) => g.gate === 'cpu_percent')!.origin).toMatch(/turned off/);
  });
});
