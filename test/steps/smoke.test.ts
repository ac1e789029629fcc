// Smoke checks against real HTTP servers on 127.0.0.1: a wrong golden hash, a body that lacks the
// expected text, and metrics that do not parse all fail with a reason; the log records each.
import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/audit/logger.js';
import { workspaceAt } from '../../src/config/workspace.js';
import { loadEngineContext } from '../../src/config/engine-context.js';
import { parsePrometheusText, runSmoke } from '../../src/steps/smoke.js';
import { makeWorkspace } from '../helpers/cli.js';

let server: Server;
let base = '';
let ws: Awaited<ReturnType<typeof makeWorkspace>>;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (url.startsWith('/hash')) return void res.end('{"name":"checker","hash":"0000000000000000"}');
    if (url.startsWith('/health')) return void res.end('{"status":"degraded"}');
    if (url.startsWith('/metrics?format=prometheus')) return void res.end('dhash_extractions_total twelve\n');
    if (url.startsWith('/metrics')) return void res.end('<html>');
    res.statusCode = 404;
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}`;
  ws = await makeWorkspace();
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  ws.cleanup();
});

describe('parsePrometheusText', () => {
  it('accepts the exposition format and counts samples', () => {
    const p = parsePrometheusText('# HELP x_total X.\n# TYPE x_total counter\nx_total 3\nh_bucket{le="+Inf"} 2\nh_sum 1.5e3\n');
    expect(p.samples).toBe(3);
    expect([...p.names]).toEqual(['x_total', 'h_bucket', 'h_sum']);
  });
  it('rejects garbage with the line number', () => {
    expect(() => parsePrometheusText('x_total 3\n<html>\n')).toThrow(/^line 2: not a sample/);
    expect(() => parsePrometheusText('x_total three\n')).toThrow(/^line 1: bad value three/);
    expect(() => parsePrometheusText('# just a comment\n')).toThrow('no samples');
  });
});

describe('runSmoke', () => {
  it('fails each check with its reason and logs every result', async () => {
    const ctx = loadEngineContext(workspaceAt(ws.root), 'staging', { operator: 't' });
    ctx.target.smoke = [
      { id: 'health', tier: 'critical', kind: 'http', url: `${base}/health`, expect_status: 200, body_contains: '"status":"ok"', timeout_ms: 2000 },
      { id: 'golden-hash', tier: 'critical', kind: 'dhash-golden', url: `${base}/hash?golden=checker`, expect_hash: '2424db2424db0024', timeout_ms: 2000 },
      { id: 'golden-unset', tier: 'standard', kind: 'dhash-golden', url: `${base}/hash?golden=checker`, timeout_ms: 2000 },
      { id: 'metrics-json', tier: 'standard', kind: 'metrics', url: `${base}/metrics`, format: 'json', timeout_ms: 2000 },
      { id: 'metrics-prometheus', tier: 'standard', kind: 'metrics', url: `${base}/metrics?format=prometheus`, format: 'prometheus', timeout_ms: 2000 },
      { id: 'post-rollback-only', tier: 'standard', kind: 'http', url: `${base}/nowhere`, phases: ['post-rollback'], timeout_ms: 2000 },
    ];
    const log = AuditLog.open(ctx.ws.logsDir, 'smoke_test', 'staging');
    const r = await runSmoke(ctx, { tier: 'all', phase: 'post-deploy', log });
    log.close();
    expect(r.ok).toBe(false);
    expect(r.results.map((x) => [x.id, x.ok, x.detail])).toEqual([
      ['health', false, 'HTTP 200, body lacks "\\"status\\":\\"ok\\""'],
      ['golden-hash', false, 'dHash of checker is 0000000000000000, golden value 2424db2424db0024'],
      // The engine has no golden values of its own: without expect_hash the check cannot pass.
      ['golden-unset', false, 'no golden value for "checker" (set expect_hash in the runbook)'],
      ['metrics-json', false, 'the answer is not JSON'],
      ['metrics-prometheus', false, 'not Prometheus text: line 1: bad value twelve'],
    ]);
    const events = readFileSync(log.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { event: string; level: string });
    expect(events.filter((e) => e.event === 'smoke.check' && e.level === 'error')).toHaveLength(5);

    const critical = await runSmoke(ctx, { tier: 'critical', phase: 'post-rollback' });
    expect(critical.results.map((x) => x.id)).toEqual(['health', 'golden-hash']);
    const rollbackStandard = await runSmoke(ctx, { tier: 'standard', phase: 'post-rollback' });
    expect(rollbackStandard.results.map((x) => x.id)).toEqual(['golden-unset', 'metrics-json', 'metrics-prometheus', 'post-rollback-only']);
  });
});
