// Given several real processes appending to one audit log at once, then every line is one whole
// JSON event: none torn, none interleaved, none lost.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog, logPath } from '../../src/audit/logger.js';
import { finished, spawnTs } from '../helpers/tsx.js';

const dir = mkdtempSync(join(tmpdir(), 'rollout-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('audit log', () => {
  it('names files as SPEC.md says, in UTC', () => {
    expect(logPath('logs', 'deploy', 'production', Date.UTC(2026, 10, 23, 9, 5, 7))).toBe(join('logs', 'deploy_production_20261123_090507.log'));
  });

  it('writes {ts, level, event, env, run_id, …} with secrets redacted', () => {
    const path = join(dir, 'one.log');
    const log = new AuditLog({ path, env: 'staging', runId: 'r1', now: () => Date.UTC(2026, 0, 1) });
    log.info('notify.failed', { url: 'https://hooks.slack.com/services/T1/B1/SuperSecretValue99', note: 'password=abc12345' });
    log.close();
    const e = JSON.parse(readFileSync(path, 'utf8').trim()) as Record<string, unknown>;
    expect(e).toEqual({ ts: '2026-01-01T00:00:00.000Z', level: 'info', event: 'notify.failed', env: 'staging', run_id: 'r1', url: 'https://hooks.slack.com/services/***', note: 'password=***' });
  });

  it('ends a torn last line (its writer was killed mid-write) before appending, so the next event is whole', () => {
    const path = join(dir, 'torn.log');
    const first = new AuditLog({ path, env: 'staging', runId: 'r1' });
    first.info('sample', { seq: 1 });
    first.close();
    writeFileSync(path, '{"ts":"2026-01-01T00:00:00.000Z","event":"sam', { flag: 'a' });
    const second = new AuditLog({ path, env: 'staging', runId: 'r2' });
    second.info('monitor-resume', { seq: 1 });
    second.info('sample', { seq: 2 });
    second.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const parsed = lines.map((l) => {
      try {
        return (JSON.parse(l) as { event: string }).event;
      } catch {
        return 'torn';
      }
    });
    expect(parsed).toEqual(['sample', 'torn', 'monitor-resume', 'sample']);
    // A whole file is appended to as it is: no blank line is added.
    const third = new AuditLog({ path, env: 'staging', runId: 'r3' });
    third.info('monitor-done');
    third.close();
    expect(readFileSync(path, 'utf8').split('\n').filter((l) => l === '')).toHaveLength(1);
  });

  it('keeps 8 processes x 1,000 lines appended at once as 8,000 valid JSON lines', async () => {
    const path = join(dir, 'shared.log');
    const children = Array.from({ length: 8 }, (_, i) => spawnTs('test/fixtures/append-log.ts', [path, '1000', String(i)]));
    const results = await Promise.all(children.map(finished));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines).toHaveLength(8000);
    const seen = new Map<number, number>();
    for (const l of lines) {
      const e = JSON.parse(l) as { who: number; i: number; filler: string; event: string };
      expect(e.event).toBe('concurrency.line');
      expect(e.filler).toHaveLength(200 + e.who * 37);
      // Each process's own lines stay in order.
      expect(e.i).toBe(seen.get(e.who) ?? 0);
      seen.set(e.who, e.i + 1);
    }
    expect([...seen.values()]).toEqual(Array(8).fill(1000));
  });
});
