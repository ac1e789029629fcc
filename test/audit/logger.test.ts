// Given several real processes appending to one audit log at once, then every line is one whole
// JSON event: none torn, none interleaved, none lost.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditLog, logPath } from '../../src/audit/logger.js';
import { finished, spawnTs } from '../helpers/tsx.js';
import { truthy, waitUntil } from '../helpers/frames.js';

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

  it('writes its first event again on a line of its own when it landed glued to a torn last line (its writer was killed mid-write)', () => {
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

  it('takes a line another live process is still writing for what it is: no blank line, nothing lost, while that writer appends', async () => {
    // A long line is written a page at a time, and the file's size grows page by page: a log
    // opened meanwhile sees a last line without its newline although its writer is alive. Taking
    // that for a torn line added a blank line (validate-logging flags it; the 8-process test
    // below counts lines) in ~1 of 5 opens here.
    const path = join(dir, 'live.log');
    const [go, done] = [`${path}.go`, `${path}.done`];
    const writer = spawn(process.execPath, ['-e', `
      const fs = require('node:fs');
      const [path, go, done] = process.argv.slice(1);
      const fd = fs.openSync(path, 'a');
      const line = Buffer.from(JSON.stringify({ ts: new Date(0).toISOString(), level: 'info', event: 'filler', pad: 'y'.repeat(5000) }) + '\\n');
      fs.writeSync(fd, line);
      for (const until = Date.now() + 30000; !fs.existsSync(go); ) {
        if (Date.now() > until) process.exit(3); // never told to go: the test failed before
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
      }
      for (let i = 1; i < 6000; i++) fs.writeSync(fd, line);
      fs.writeFileSync(done, '');
    `, path, go, done], { stdio: ['ignore', 'inherit', 'inherit'] });
    const exited = new Promise<number | null>((r) => writer.on('close', (c) => r(c)));
    await waitUntil(() => existsSync(path) && statSync(path).size > 0, truthy, 'the writer to start', { ms: 20_000 });
    // Opened again and again while the writer appends 6,000 lines: many opens land mid-line.
    writeFileSync(go, '');
    let probes = 0;
    // (bounded: a writer that died would otherwise hold this synchronous loop, and the worker, for ever)
    for (const until = Date.now() + 20_000; !existsSync(done) && Date.now() < until; ) {
      const log = new AuditLog({ path, env: 'staging' });
      log.info('probe', { i: probes++ });
      log.close();
    }
    expect(await exited).toBe(0);
    expect(existsSync(done)).toBe(true);
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.pop()).toBe('');
    const events = lines.map((l, i) => {
      try {
        return (JSON.parse(l) as { event: string }).event;
      } catch {
        return `line ${i + 1} is not JSON: ${JSON.stringify(l.slice(0, 40))}`;
      }
    });
    expect(events.filter((e) => e !== 'filler' && e !== 'probe')).toEqual([]);
    expect(events.filter((e) => e === 'probe')).toHaveLength(probes);
    expect(events.filter((e) => e === 'filler')).toHaveLength(6000);
    expect(probes).toBeGreaterThan(0);
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
    // Eight tsx start-ups (each compiles the logger) at once: 4 s in CI, 9-19 s here under load 10.
  }, 120_000);
});
