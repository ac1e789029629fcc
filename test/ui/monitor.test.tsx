// Given the monitor screen over the real Monitor (fake clock, scripted service), when polls come in
// and the operator presses keys, then the header, gate rows (state in words), chart, events and
// rollback screen follow; r asks first and changes nothing until confirmed; q asks while the window runs.
import React from 'react';
import { afterEach, describe, expect, it } from 'vitest';
import { MONITOR_AFTER_KEYS, MONITOR_KEYS, MONITOR_LOG_KEYS, hintLine } from '../../src/ui/keymap.js';
import { journalHistory, readJournalText } from '../../src/ui/monitor-history.js';
import { readJournalFile } from '../../src/usecases/monitor-journal.js';
import { MonitorFeed } from '../../src/ui/monitor-feed.js';
import { formatValue } from '../../src/domain/format.js';
import { MonitorScreen, chartLines, sparkline } from '../../src/ui/Monitor.js';
import { bucketsAt, shippedEnv } from '../gates/sim.js';
import { MIN, drive, makeRig, type Rig } from '../usecases/monitor-fakes.js';
import { KEY, flat, renderAt } from './render-at.js';
import type { RollbackOffer } from '../../src/usecases/rollback-offer.js';

const prod = shippedEnv('production');
let rig: Rig | undefined;
afterEach(() => rig?.cleanup());

const healthy = (m: number, p: number | undefined) => {
  const dt = p === undefined ? 0 : (m - p) * 60;
  return { values: { low_confidence_queue: 10, cpu_percent: 20, memory_percent: 30, disk_used_percent: 40 }, extractions: dt, failures: 0, hash: bucketsAt([[300, dt]]) };
};
const p95AfterMinute = (start: number) => (m: number, p: number | undefined) => {
  const o = healthy(m, p);
  if (p === undefined) return o;
  const bad = Math.max(0, m - Math.max(p, start)) * 60 * 0.1;
  return { ...o, hash: bucketsAt([[300, (m - p) * 60 - bad], [2200, bad]]) };
};

const MIN_MS = 60_000;
// Two verified backups: the newest (1.1.0, 42 min before the monitor's clock) and an older 1.0.0.
const offerAt = () => async (): Promise<RollbackOffer> => ({
  running: '1.2.0-slow',
  choices: [
    { file: 'backups/dhash_production_20261123_110000.zip', version: '1.1.0', takenAt: Date.now() - 42 * MIN_MS, bytes: 1_300_000, detail: 'sha256 matches, 6 entries check out' },
    { file: 'backups/dhash_production_20261122_090000.zip', version: '1.0.0', takenAt: Date.now() - 26 * 60 * MIN_MS, bytes: 1_200_000, detail: 'sha256 matches, 5 entries check out' },
  ],
  skipped: [{ file: 'backups/dhash_production_20261123_120000.zip', reason: 'does not match its .sha256' }],
});

function screen(r: Rig, o: { production?: boolean; backup?: () => Promise<RollbackOffer>; runs?: string } = {}) {
  const feed = new MonitorFeed(r.monitor, 'production', '1.2.0-slow');
  let quit = 0;
  const sent: string[] = [];
  const ui = renderAt(
    <MonitorScreen
      feed={feed}
      production={o.production ?? true}
      training={false}
      now={() => r.clock.now()}
      actions={{ offer: o.backup ?? offerAt(), runningVersion: async () => o.runs ?? '1.1.0', sendTest: async () => (sent.push('test'), 'slack, fallback') }}
      onQuit={() => quit++}
    />,
  );
  return { ui, feed, quits: () => quit, sent };
}

describe('monitor screen', () => {
  it('Given a healthy window, then the header, one row per gate with its state in words, the chart and the key hints show', async () => {
    rig = makeRig(prod, { metrics: healthy });
    const { ui } = screen(rig);
    const run = rig.monitor.run();
    await rig.clock.advance(95_000);
    const f = await ui.waitFor(/T\+01:\d\d of 60:00 · next poll in/);
    expect(f).toContain('!!! PRODUCTION — changes are real !!!');
    expect(f).toMatch(/MONITOR production 1\.2\.0-slow · T\+01:\d\d of 60:00 · next poll in \d+ s/);
    expect(f).toContain('phase 1 · polls every 30 s');
    for (const g of ['health_failures', 'extraction_failure_rate', 'p95_hash_time', 'low_confidence_queue']) expect(f).toMatch(new RegExp(`${g}\\s+\\S+.*\\s+ok\\s`));
    expect(f).toMatch(/p95_hash_time\s+[\d.]+ ms\s+>2000 ms 15m/);
    expect(f).toContain(hintLine(MONITOR_KEYS));
    expect(f).toContain('health_failures — last');
    expect(f.split('\n').length).toBeLessThanOrEqual(24);
    // Arrow down selects the next gate for the large chart.
    await ui.press(KEY.down);
    expect(ui.frame()).toContain('> extraction_failure_rate');
    expect(ui.frame()).toContain('extraction_failure_rate — last');
    rig.monitor.stop();
    await drive(rig.clock, run);
    ui.unmount();
  });

  it('Given a p95 regression, then the automatic rollback takes the screen with the gate, value and threshold, each stage and the incident', async () => {
    rig = makeRig(prod, { metrics: p95AfterMinute(12) });
    const { ui } = screen(rig);
    const s = await rig.run();
    expect(s.result).toBe('rolled-back');
    const f = flat(await ui.waitFor('DONE: rolled-back'));
    expect(f).toMatch(/ROLLBACK of production — automatic: p95_hash_time breached \(value [\d.]+ ms, threshold 2000 ms\)/);
    expect(f).toMatch(/done\s+Rollback executed/);
    expect(f).toMatch(/done\s+Consecutive OK health checks/);
    expect(f).toMatch(/done\s+Smoke tests re-run/);
    expect(f).toContain('Incident: INC-1');
    expect(f).toContain('ROLLED BACK');
    expect(f).toContain('DONE: rolled-back');
    // After a rollback only the keys that still do something are offered.
    expect(ui.frame()).toContain(hintLine(MONITOR_AFTER_KEYS));
    expect(ui.frame()).not.toContain('r rollback');
  });

  it('Given production, when r is pressed, then the confirmation names the backup and its verification, nothing changes until the typed env name', async () => {
    rig = makeRig(prod, { metrics: healthy });
    const { ui } = screen(rig);
    const run = rig.monitor.run();
    await rig.clock.advance(31_000);
    await ui.press('r');
    let f = flat(await ui.waitFor('running 1.2.0-slow → restoring 1.1.0'));
    expect(f).toContain('Backup: backups/dhash_production_20261123_110000.zip, taken 42 min ago');
    expect(f).toContain('Verified: sha256 matches, 6 entries check out');
    expect(f).toMatch(/> 1\.1\.0 +42 min ago +1\.2 MB +dhash_production_20261123_110000\.zip/);
    expect(f).toMatch(/1\.0\.0 +26 h ago +1\.1 MB +dhash_production_20261122_090000\.zip/);
    expect(f).toContain('1 failed verification, not offered');
    expect(f).toContain('PRODUCTION: type "production"');
    await ui.press('y', KEY.enter);
    expect(ui.frame()).toContain('That is not "production"; nothing changed');
    expect(rig.rollbacks).toHaveLength(0);
    await ui.press(KEY.escape);
    await ui.waitFor('rollback cancelled; nothing was changed');
    expect(rig.rollbacks).toHaveLength(0);
    await ui.press('r');
    await ui.waitFor('restoring 1.1.0');
    // The older backup from the list: arrows choose (letters are the typed name in production).
    await ui.press(KEY.down);
    await ui.waitFor('running 1.2.0-slow → restoring 1.0.0');
    expect(flat(ui.frame())).toContain('taken 26 h ago');
    await ui.press('production', KEY.enter);
    await drive(rig.clock, run);
    expect(rig.rollbacks).toHaveLength(1);
    expect(rig.rollbacks[0]!.trigger).toBe('manual');
    expect(rig.rollbacks[0]!.backup).toBe('backups/dhash_production_20261122_090000.zip');
    f = await ui.waitFor('now runs 1.1.0');
    expect(f).toContain('ROLLED BACK');
    expect(f).toContain('requested by the operator');
    expect(f).toMatch(/MONITOR production 1\.1\.0 /);
    ui.unmount();
  });

  it('Given staging-like confirmation, y confirms; a missing backup is said plainly and nothing runs', async () => {
    rig = makeRig(prod, { metrics: healthy });
    const { ui } = screen(rig, { production: false, backup: async () => Promise.reject(new Error('No backups of production in backups/ (take one: rollout backup --env production).')) });
    const run = rig.monitor.run();
    await rig.clock.advance(31_000);
    await ui.press('r');
    const f = await ui.waitFor('No backup to restore');
    expect(f).toContain('(take one:');
    // The confirmation has the focus: e (the monitor's "extend the window") does nothing under it.
    await ui.press('e');
    expect(ui.frame()).toContain('No backup to restore');
    await ui.press('y', KEY.enter);
    expect(rig.rollbacks).toHaveLength(0);
    // Left without a change (enter), the window is still its 60 minutes: e never reached the monitor.
    await ui.waitFor('rollback cancelled; nothing was changed');
    expect(ui.frame()).toContain('of 60:00');
    rig.monitor.stop();
    await drive(rig.clock, run);
    ui.unmount();
  });

  it('q while the window runs asks first and says what stays running; e extends; n sends a test notification; ? shows help with rollback', async () => {
    rig = makeRig(prod, { metrics: healthy });
    const { ui, quits, sent } = screen(rig);
    const run = rig.monitor.run();
    await rig.clock.advance(31_000);
    await ui.press('e');
    await ui.waitFor('T+00:31 of 75:00');
    await ui.press('n');
    await ui.waitFor('test notification: slack, fallback');
    expect(sent).toEqual(['test']);
    await ui.press('?');
    expect(ui.frame()).toContain('rollback: choose a verified backup');
    // Help lists every bound key, down/j included, from the same table.
    expect(ui.frame()).toMatch(/down\/j +select the gate below/);
    expect(ui.frame()).toMatch(/up\/k +select the gate above/);
    await ui.press('x');
    await ui.press('q');
    let f = ui.frame();
    f = flat(f);
    expect(f).toContain('Quit while the window runs?');
    expect(f).toContain('What stays running: the production service at 1.2.0-slow. Resume the window: npx rollout monitor --env production --resume');
    // The quit dialog offers its own keys only, not r rollback.
    expect(f).toContain('y quit any other key stay');
    expect(f).not.toContain('r rollback');
    await ui.press('n');
    expect(quits()).toBe(0);
    // A second Ctrl-C stays, as the dialog says (only y quits).
    await ui.press(KEY.ctrlC);
    await ui.waitFor('Quit while the window runs?');
    await ui.press(KEY.ctrlC);
    expect(quits()).toBe(0);
    expect(ui.frame()).not.toContain('Quit while the window runs?');
    await ui.press('q', 'y');
    expect(quits()).toBe(1);
    const s = await drive(rig.clock, run);
    expect(s.result).toBe('stopped');
    f = ui.frame();
    ui.unmount();
  });

  it('charts read right: sparklines against the threshold (flat is flat), the threshold its own labelled row that hides no value', () => {
    expect(sparkline([1, 2, 3, 4, 5, 6, 7, 8], 8)).toBe('▁▂▃▄▅▆▇█');
    expect(formatValue(1, 'items', { short: true })).toBe('1 item');
    expect(formatValue(2, 'items', { short: true })).toBe('2 items');
    expect(formatValue(3948.4732824427483, 'ms', { short: true })).toBe('3948.5 ms');
    // A flat 0.95 ms against a 3000 ms threshold is flat and low, not noise.
    expect(sparkline([0.95, 0.94, 0.96, 0.95, 0.95], 5, 3000)).toBe('▁▁▁▁▁');
    // Near the line draws near the top.
    expect(sparkline([100, 2900], 2, 3000)).toBe('▁█');
    const lines = chartLines([1000, 2000, 3500, 3000, 1500], 3000, 'ms', 6);
    const thr = lines.filter((l) => l.includes('threshold 3000 ms'));
    expect(thr).toHaveLength(1);
    // Labelled with the threshold's own value, not an axis step.
    expect(thr[0]).toMatch(/^\s+3000 ┼/);
    // The data's cells on that row are kept (the series crosses it), the gaps drawn as ╌.
    expect(thr[0]).toContain('╌');
    expect(thr[0]!.replace(/^\s+3000 ┼/, '').replace(' threshold 3000 ms', '')).toMatch(/[^╌]/);
  });

  it('at 60 columns the state words stay whole and no column runs into the next', async () => {
    rig = makeRig(prod, { metrics: healthy });
    const { ui } = screen(rig);
    ui.resize(60, 24);
    const run = rig.monitor.run();
    await rig.clock.advance(95_000);
    // At 60 columns the header wraps: look for it in the flattened frame.
    const f = await ui.waitFor((x) => /next poll in \d+ s/.test(flat(x)), 10_000, 'the header with the next poll');
    for (const line of f.split('\n')) expect(line.length).toBeLessThanOrEqual(60);
    expect(f).toMatch(/p95_hash_time +[\d.]+ ms +>2000 ms 15m +ok\b/);
    expect(flat(f)).toMatch(/MONITOR production 1\.2\.0-slow · T\+01:\d\d of 60:00 · next poll in \d+ s/);
    expect(f).toMatch(/extraction_failure_rate +\S+ +>5% 10m +(ok|no-data)/);
    expect(f).not.toContain('BREAC…');
    rig.monitor.stop();
    await drive(rig.clock, run);
    ui.unmount();
  });

  it('re-lays out on resize and draws sparklines from the values', async () => {
    rig = makeRig(prod, { metrics: healthy });
    const { ui } = screen(rig);
    const run = rig.monitor.run();
    await rig.clock.advance(30 * MIN);
    const trend = (f: string): number => /p95_hash_time .* ok\s+(\S+)/.exec(f)![1]!.length;
    const narrow = await ui.waitFor(/T\+30:00 of 60:00/);
    expect(narrow.split('\n').every((l) => l.length <= 80)).toBe(true);
    ui.resize(160, 48);
    // The wide frame: taller than the 80x24 one.
    const wide = await ui.waitFor((f) => f.split('\n').length > narrow.split('\n').length, 10_000, 'the frame redrawn for 160x48');
    expect(trend(wide)).toBeGreaterThan(trend(narrow));
    ui.resize(80, 24);
    const back = await ui.waitFor((f) => f.split('\n').length <= 24, 10_000, 'the frame redrawn for 80x24 again');
    expect(back.split('\n').every((l) => l.length <= 80)).toBe(true);
    rig.monitor.stop();
    await drive(rig.clock, run);
    ui.unmount();
  });
});

describe('monitor screen from its first second, resumed, and its log pane', () => {
  it('shows the cadence from the start: never "every ?", and "every 30 s" is known before the first poll lands', async () => {
    rig = makeRig(prod, { metrics: healthy });
    const { ui, feed } = screen(rig);
    let atFirstSample: number | undefined;
    rig.monitor.subscribe((e) => {
      if (e.type === 'sample' && atFirstSample === undefined) atFirstSample = feed.state.intervalSeconds ?? -1;
    });
    const run = rig.monitor.run();
    const f = await ui.waitFor('1 poll ');
    expect(atFirstSample).toBe(30);
    expect(f).toContain('phase 1 · polls every 30 s · 1 poll ·');
    expect(ui.frames.some((x) => x.includes('every ?'))).toBe(false);
    rig.monitor.stop();
    await drive(rig.clock, run);
    ui.unmount();
  });

  it('a resumed monitor is redrawn from its journal: the polls, sparklines, chart and events at their true times', async () => {
    const a = makeRig(prod, { metrics: healthy });
    const runA = a.monitor.run();
    await a.clock.advance(5 * MIN + 5_000);
    a.monitor.stop();
    await drive(a.clock, runA);
    const before = a.events.filter((e) => e.type === 'sample').length;
    const r = readJournalFile(a.journal.path);
    if (r.kind !== 'resumable') throw new Error(`expected a resumable journal, got ${r.kind}`);
    rig = makeRig(prod, { metrics: healthy }, { start: a.clock.now() + 2 * MIN, resume: r.state, dir: a.dir, journalPath: a.journal.path });
    // The feed redraws the window from the monitor's journal (as a walk's resumed monitor and
    // rollout monitor --resume both get it).
    const { ui, feed } = screen(rig);
    expect(journalHistory(readJournalText(a.journal.path)).filter((e) => e.type === 'sample')).toHaveLength(before);
    // Before the resumed monitor has polled, the window so far is on screen.
    let f = await ui.waitFor(`${before} polls`);
    expect(feed.state.polls).toBe(before);
    expect(f).toContain(`${before} polls`);
    expect(f).toContain(`health_failures — last ${before} values`);
    expect(f).toMatch(/low_confidence_queue\s+10 items/);
    const run = rig.monitor.run();
    f = await ui.waitFor(`${before + 1} polls`);
    await ui.press('l');
    f = await ui.waitFor('Log of this window');
    expect(f).toContain('T+00:00 started: watching');
    expect(f).toMatch(/T\+05:0\d the monitor was stopped/);
    expect(f).toMatch(/T\+07:0\d resumed: watching/);
    rig.monitor.stop();
    await drive(rig.clock, run);
    ui.unmount();
    a.cleanup();
  });

  it('l opens a log pane that scrolls through every event with the pager keys (several in one chunk each count), G follows the end, l goes back', async () => {
    rig = makeRig(prod, { metrics: healthy });
    const { ui, feed } = screen(rig);
    const run = rig.monitor.run();
    await rig.clock.advance(60_000);
    for (let i = 1; i <= 40; i++) feed.dispatch({ type: 'ui-note', t: rig.clock.now(), level: 'info', text: `note ${i}` });
    await ui.press('l');
    let f = await ui.waitFor('Log of this window');
    const total = feed.state.events.length;
    const m = /lines (\d+)-(\d+) of (\d+)/.exec(f);
    expect(f).toMatch(/Log of this window — lines \d+-\d+ of \d+/);
    expect(m && Number(m[3])).toBe(total);
    expect(m && Number(m[2])).toBe(total);
    expect(f).toContain('note 40');
    expect(f).toContain(hintLine(MONITOR_LOG_KEYS));
    expect(f.split('\n').length).toBeLessThanOrEqual(24);
    const first = Number(m![1]);
    await ui.press('kkk');
    f = await ui.waitFor(`lines ${first - 3}-${total - 3} of ${total}`);
    expect(f).not.toContain('note 40');
    await ui.press('g');
    await ui.waitFor('T+00:00 started: watching');
    // New events while scrolled back do not move the view (the count grows, the lines stay); G follows the end again.
    feed.dispatch({ type: 'ui-note', t: rig.clock.now(), level: 'info', text: 'note 41' });
    f = await ui.waitFor(`of ${total + 1}`);
    expect(f).not.toContain('note 41');
    await ui.press('G');
    await ui.waitFor('note 41');
    await ui.press('l');
    f = await ui.waitFor('Latest events');
    expect(f).toContain(hintLine(MONITOR_KEYS));
    rig.monitor.stop();
    await drive(rig.clock, run);
    ui.unmount();
  });
});
