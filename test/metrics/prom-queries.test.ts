// The prometheus source's queries against a loopback server that speaks the Prometheus query API
// and records what it is asked: the runbook's query wins on every poll, templates are filled,
// {window} never reaches back before the deploy; and the http sources' auth, headers and TLS
// (a self-signed certificate made with openssl, trusted through ca_file or not at all).
import { execFileSync } from 'node:child_process';
import { createServer as createHttps } from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricSource, fillQuery, resolvePromQueries } from '../../src/metrics/sources.js';
import { SourceProblem } from '../../src/metrics/types.js';
import { ConfigError } from '../../src/domain/errors.js';
import { redactString } from '../../src/audit/redact.js';
import { serve, type TestServer } from './servers.js';

let api: TestServer;
const asked: { query: string; auth?: string; headers: Record<string, string | string[] | undefined> }[] = [];
let answer: (q: string) => unknown = () => [{ metric: {}, value: [0, '1'] }];

beforeAll(async () => {
  api = await serve((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const query = u.searchParams.get('query') ?? '';
    asked.push({ query, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}), headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: answer(query) } }));
  });
});
afterAll(() => api.close());

describe('prometheus source queries', () => {
  it('a configured query is used on every poll, never the default; the selector scopes the defaults', async () => {
    asked.length = 0;
    const mine = 'my_failure_ratio{env="{env}"}';
    const src = createMetricSource({ kind: 'prometheus', url: api.url, timeout_ms: 2000, selector: '{job="dhash", env="production"}', queries: { extraction_failure_rate: mine } }, { env: 'production' });
    for (let i = 0; i < 3; i++) expect((await src.read()).status).toBe('ok');
    const failureRate = asked.filter((a) => a.query.startsWith('my_failure_ratio') || a.query.includes('dhash_extraction_failures_total'));
    expect(failureRate.map((a) => a.query)).toEqual(Array(3).fill('my_failure_ratio{env="production"}'));
    // The defaults of the other gates carry the selector.
    const p95 = asked.filter((a) => a.query.startsWith('histogram_quantile'));
    expect(p95).toHaveLength(3);
    expect(p95[0]!.query).toBe('histogram_quantile(0.95, sum by (le) (rate(dhash_hash_time_ms_bucket{job="dhash", env="production"}[300s])))');
    expect(asked.every((a) => !/dhash_[a-z_]+(\[|\)|$)/.test(a.query))).toBe(true);
  });

  it('{window} is the gate window clamped to the time since the deploy; {since_deploy}, {env}, {version} filled', async () => {
    asked.length = 0;
    const now = Date.now();
    const src = createMetricSource(
      { kind: 'prometheus', url: api.url, timeout_ms: 2000, selector: '{env="staging"}', queries: { p95_hash_time: 'q1{version="{version}"}[{window}] {since_deploy}' } },
      { env: 'staging', version: '1.2.0', since: now - 42_000, windows: { extraction_failure_rate: 10, hash_time_ms: 15 } },
    );
    await src.read();
    expect(asked.find((a) => a.query.startsWith('q1'))!.query).toMatch(/^q1\{version="1\.2\.0"\}\[4[2-4]s\] 4[2-4]s$/);
    expect(asked.find((a) => a.query.startsWith('100 *'))!.query).toMatch(/\[4[2-4]s\]/);
    asked.length = 0;
    // Long after the deploy: the gate's own window.
    await createMetricSource({ kind: 'prometheus', url: api.url, timeout_ms: 2000 }, { since: now - 3600_000, windows: { extraction_failure_rate: 10 } }).read();
    expect(asked.find((a) => a.query.startsWith('100 *'))!.query).toContain('[600s]');
  });

  it('counts, several series, NaN, aliases and a query turned off', async () => {
    answer = (q) => (q.startsWith('sum(increase(dhash_extractions_total') ? [{ metric: {}, value: [0, '37'] }] : q.startsWith('100 *') ? [{ metric: {}, value: [0, 'NaN'] }] : [{ metric: {}, value: [0, '5'] }]);
    const s = await createMetricSource({ kind: 'prometheus', url: api.url, timeout_ms: 2000, queries: { disk_used_percent: '' } }).read();
    if (s.status !== 'ok') throw new Error(s.detail);
    expect(s.sample.counts?.extraction_failure_rate).toBe(37);
    expect(s.sample.values.extraction_failure_rate).toBeUndefined();
    expect(s.sample.values.disk_used_percent).toBeUndefined();
    expect(s.sample.values.cpu_percent).toBe(5);
    answer = () => [{ metric: { env: 'a' }, value: [0, '1'] }, { metric: { env: 'b' }, value: [0, '2'] }];
    const two = await createMetricSource({ kind: 'prometheus', url: api.url, timeout_ms: 2000 }).read();
    expect(two.status).toBe('error');
    if (two.status !== 'ok') expect(two.detail).toMatch(/returned 2 series, not one; aggregate it/);
    answer = () => [{ metric: {}, value: [0, '1'] }];
    expect(() => resolvePromQueries({ queries: { p95_hash_time: 'a', hash_time_ms: 'b' } })).toThrow(ConfigError);
    expect(resolvePromQueries({ queries: { p95_hash_time: 'a' } }).find((q) => q.key === 'hash_time_ms')).toMatchObject({ origin: 'runbook', template: 'a' });
    expect(fillQuery('x{version="{version}"}', { selector: '', env: 'e', windowSeconds: 60 })).toBeInstanceOf(SourceProblem);
  });
});

describe('auth, headers and TLS of the http sources', () => {
  it('bearer token and headers reach Prometheus; basic auth reaches an http-json service; a missing variable is a ConfigError', async () => {
    asked.length = 0;
    process.env.T14_TOKEN = 'bearer-sekrit-123';
    await createMetricSource({ kind: 'prometheus', url: api.url, timeout_ms: 2000, bearer_token_env: 'T14_TOKEN', headers: { 'X-Scope-OrgID': 'team-a' } }).read();
    expect(asked.length).toBeGreaterThan(0);
    expect(asked.every((a) => a.auth === 'Bearer bearer-sekrit-123' && a.headers['x-scope-orgid'] === 'team-a')).toBe(true);
    // Registered with the redaction, even under a name that does not look secret.
    process.env.T14_CRED = 'cred-value-xyz';
    process.env.T14_USER = 'ops';
    asked.length = 0;
    await createMetricSource({ kind: 'http-json', url: `${api.url}/metrics`, timeout_ms: 2000, basic_auth: { username_env: 'T14_USER', password_env: 'T14_CRED' } }).read();
    expect(asked[0]!.auth).toBe(`Basic ${Buffer.from('ops:cred-value-xyz').toString('base64')}`);
    expect(redactString('leaked cred-value-xyz here')).not.toContain('cred-value-xyz');
    expect(redactString(`header Basic ${Buffer.from('ops:cred-value-xyz').toString('base64')}`)).not.toContain(Buffer.from('ops:cred-value-xyz').toString('base64'));
    delete process.env.T14_TOKEN;
    expect(() => createMetricSource({ kind: 'prometheus', url: api.url, timeout_ms: 2000, bearer_token_env: 'T14_TOKEN' })).toThrow(/T14_TOKEN is not set/);
    expect(() => createMetricSource({ kind: 'prometheus', url: api.url, timeout_ms: 2000, headers: { Authorization: 'Bearer x' } })).toThrow(/no credentials in the runbook/);
  });

  const openssl = (() => {
    try {
      execFileSync('openssl', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  it.skipIf(!openssl)('https with a self-signed certificate: refused without ca_file, read with it, read with insecure_skip_verify and a warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      const server = createHttps({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ extractions_total: 5, low_confidence_queue: 3 }));
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const a = server.address();
      const url = `https://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/metrics`;
      try {
        const plain = await createMetricSource({ kind: 'http-json', url, timeout_ms: 2000 }).read();
        expect(plain.status).toBe('error');
        if (plain.status !== 'ok') expect(plain.detail).toMatch(/not trusted .*set ca_file/);
        const withCa = await createMetricSource({ kind: 'http-json', url, timeout_ms: 2000, ca_file: 'cert.pem' }, { cwd: dir }).read();
        expect(withCa.status).toBe('ok');
        const insecure = createMetricSource({ kind: 'http-json', url, timeout_ms: 2000, insecure_skip_verify: true });
        expect(insecure.warnings?.[0]).toMatch(/insecure_skip_verify is on/);
        expect((await insecure.read()).status).toBe('ok');
        expect(() => createMetricSource({ kind: 'http-json', url, timeout_ms: 2000, ca_file: 'key-missing.pem' }, { cwd: dir })).toThrow(/cannot read key-missing\.pem/);
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
