// Resume from the journal: the same T0 and end, gate windows rebuilt from the logged samples,
// and never a second rollback.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { readJournal, readJournalFile } from '../../src/usecases/monitor-journal.js';
import { shippedEnv } from '../gates/sim.js';
import { MIN, T0, makeRig, type Rig } from './monitor-fakes.js';

const prod = shippedEnv('production');
const rigs: Rig[] = [];
afterEach(() => {
  for (const r of rigs.splice(0)) r.cleanup();
});

describe('monitor resume', () => {
  it('continues the same window and trips on the third failing check counted across the crash', async () => {
    const a = makeRig(prod, { health: (m) => m < 20 });
    rigs.push(a);
    void a.monitor.run();
    await a.clock.advance(23 * MIN + 10_000); // polls at T+21 and T+23 failed; then the process "dies"
    expect(a.rollbacks).toHaveLength(0);
    const r = readJournalFile(a.journal.path);
    if (r.kind !== 'resumable') throw new Error(`expected a resumable journal, got ${r.kind}`);
    expect(r.state).toMatchObject({ t0: T0, endAt: T0 + 60 * MIN, lastPollAt: T0 + 23 * MIN });
    expect(r.state.states.health_failures).toMatchObject({ status: 'warn' });

    const b = makeRig(prod, { health: (m) => m < 20 }, { start: T0 + 25 * MIN, resume: r.state, dir: a.dir, journalPath: a.journal.path });
    const s = await b.run();
    expect(s.t0).toBe(T0);
    expect(s.resumed).toBe(true);
    // The missed tick (T+23:30) is not replayed: the first poll is now, and it is the 3rd failure.
    expect(s.breaches[0]).toMatchObject({ gate: 'health_failures', at: T0 + 25 * MIN, value: 3 });
    expect(b.rollbacks).toHaveLength(1);
    const text = readFileSync(a.journal.path, 'utf8');
    expect(text.match(/"event":"monitor-start"/g)).toHaveLength(1);
    expect(text.match(/"event":"monitor-resume"/g)).toHaveLength(1);
    expect(readJournal(text).kind).toBe('finished');
  });

  it('a monitor resumed between two ticks polls at once and shows its cadence before that poll', async () => {
    const a = makeRig(prod, { health: () => true });
    rigs.push(a);
    void a.monitor.run();
    await a.clock.advance(23 * MIN + 10_000); // the last poll was at T+23:00; the next tick is T+25:00
    a.monitor.stop();
    const r = readJournalFile(a.journal.path);
    if (r.kind !== 'resumable') throw new Error(`expected a resumable journal, got ${r.kind}`);
    const b = makeRig(prod, { health: () => true }, { start: T0 + 24 * MIN, resume: r.state, dir: a.dir, journalPath: a.journal.path });
    rigs.push(b);
    void b.monitor.run();
    await b.clock.advance(1000);
    const first = b.events.find((e) => e.type === 'sample');
    expect(first?.type === 'sample' && first.observation.t).toBe(T0 + 24 * MIN);
    const start = b.events.find((e) => e.type === 'start');
    expect(start?.type === 'start' && start.at).toBe(T0 + 24 * MIN);
    expect(b.events.findIndex((e) => e.type === 'cadence')).toBeLessThan(b.events.indexOf(first!));
    b.monitor.stop();
  });

  it('a rollback started before the crash and never reported done is finished by the resumed monitor (once, as a resume), then verified', async () => {
    const a = makeRig(prod, { health: (m) => m < 20 });
    rigs.push(a);
    let killed = false;
    // The process dies while the rollback engine is running.
    a.monitor.subscribe((e) => {
      if (e.type === 'rollback' && e.stage === 'restore') killed = true;
    });
    void a.monitor.run();
    while (!killed) await a.clock.advance(1000);
    expect(a.rollbacks).toHaveLength(1);
    const r = readJournalFile(a.journal.path);
    if (r.kind !== 'resumable') throw new Error('expected resumable');
    expect(r.state.rollbackStarted).toMatchObject({ trigger: 'auto', gate: 'health_failures' });

    const b = makeRig(prod, { health: () => true }, { start: T0 + 30 * MIN, resume: r.state, dir: a.dir, journalPath: a.journal.path });
    const s = await b.run();
    // Not a second rollback: the engine is asked to finish the interrupted one (it re-runs what it cannot prove).
    expect(b.rollbacks).toHaveLength(1);
    expect(b.rollbacks[0]).toMatchObject({ trigger: 'auto', reason: { gate: 'health_failures' }, resume: { startNotified: false } });
    expect(s.result).toBe('rolled-back');
    expect(s.rollback?.resumed).toBe(true);
    expect(s.message).toMatch(/the interrupted rollback was finished by --resume/);
    expect(s.rollback).toMatchObject({ trigger: 'auto', gate: 'health_failures', healthOk: true, smokeOk: true, ok: true });
    expect(readFileSync(a.journal.path, 'utf8').match(/"event":"rollback-start"/g)).toHaveLength(1);
  });

  it('a torn last line (kill -9 mid-write) is skipped; a finished window is not resumable', () => {
    const start = JSON.stringify({ event: 'monitor-start', t0_ms: T0, end_at_ms: T0 + MIN });
    const sample = JSON.stringify({ event: 'sample', observation: { seq: 1, t: T0, source: 'ok', values: {} } });
    const r = readJournal(`${start}\n${sample}\n{"event":"sample","observ`);
    expect(r.kind === 'resumable' && r.state.seq).toBe(1);
    expect(readJournal(`${start}\n${JSON.stringify({ event: 'monitor-done', result: 'passed' })}\n`).kind).toBe('finished');
    expect(readJournal('').kind).toBe('empty');
  });
});
