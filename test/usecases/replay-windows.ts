// Recorded windows for the replay tests: real Monitor runs on a fake clock (the same class the CLI
// runs), each journal copied into one logs/ folder under its own name, with known answers.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EnvironmentGates } from '../../src/config/gates-schema.js';
import { readJournalFile } from '../../src/usecases/monitor-journal.js';
import type { MonitorSummary } from '../../src/usecases/monitor.js';
import { bucketsAt } from '../gates/sim.js';
import { MIN, T0, makeRig, type World } from './monitor-fakes.js';

/** Healthy traffic: 1 extraction a second, `failPct` of them failing, hash times at 300 ms. */
export function healthyMetrics(failPct = 0) {
  return (m: number, p: number | undefined) => {
    const dt = p === undefined ? 0 : (m - p) * 60;
    return { values: { low_confidence_queue: 10, cpu_percent: 20, memory_percent: 30, disk_used_percent: 40 }, extractions: dt, failures: (dt * failPct) / 100, hash: bucketsAt([[300, dt]]) };
  };
}

/** p95 regression from T+12: 10 % of hashes at 2200 ms (trips the seeds' 2000 ms at T+21). */
export function slowMetrics(m: number, p: number | undefined) {
  const o = healthyMetrics()(m, p);
  if (p === undefined) return o;
  const bad = Math.max(0, m - Math.max(p, 12)) * 60 * 0.1;
  return { ...o, hash: bucketsAt([[300, (m - p) * 60 - bad], [2200, bad]]) };
}

/** One scenario: a name, the world, rig options, and what happens while it runs. */
export interface Scenario {
  name: string;
  world: World;
  opts?: Parameters<typeof makeRig>[2];
  during?: (rig: ReturnType<typeof makeRig>) => Promise<void>;
  /** Kill the monitor at this minute, then resume it (same journal) with `resumeGates` if given. */
  crashAt?: number;
  resumeGates?: EnvironmentGates;
}

/** A logs/ folder filled with the journals of the scenarios, in order. */
export async function recordWindows(gates: EnvironmentGates, scenarios: Scenario[]): Promise<{ logsDir: string; files: string[]; summaries: (MonitorSummary | undefined)[]; cleanup: () => void }> {
  const root = mkdtempSync(join(tmpdir(), 'replay-windows-'));
  const logsDir = join(root, 'logs');
  mkdirSync(logsDir);
  const files: string[] = [];
  const summaries: (MonitorSummary | undefined)[] = [];
  const dirs: string[] = [];
  let i = 0;
  for (const sc of scenarios) {
    const rig = makeRig(gates, sc.world, sc.opts);
    dirs.push(rig.dir);
    let summary: MonitorSummary | undefined;
    if (sc.crashAt !== undefined) {
      void rig.monitor.run();
      await rig.clock.advance(sc.crashAt * MIN);
      rig.journal.close();
      const r = readJournalFile(rig.journal.path);
      if (r.kind !== 'resumable') throw new Error(`${sc.name}: expected a resumable journal`);
      const b = makeRig(sc.resumeGates ?? gates, sc.world, { start: T0 + (sc.crashAt + 1) * MIN, resume: r.state, dir: rig.dir, journalPath: rig.journal.path });
      summary = await b.run();
      b.journal.close();
    } else {
      const done = rig.run();
      if (sc.during) await sc.during(rig);
      summary = await done;
    }
    rig.journal.close();
    // Names sort in recording order, one second apart, as real journals would.
    const name = `monitor_production_20261123_12${String(Math.floor(i / 60)).padStart(2, '0')}${String(i % 60).padStart(2, '0')}.log`;
    copyFileSync(rig.journal.path, join(logsDir, name));
    files.push(join(logsDir, name));
    summaries.push(summary);
    i++;
  }
  return {
    logsDir,
    files,
    summaries,
    cleanup: () => {
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
      rmSync(root, { recursive: true, force: true });
    },
  };
}
