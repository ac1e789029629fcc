// Tune's rules on known numbers: p95 or max times the margin, steps of 10-20 % (or --margin),
// LOOSER flagged against the seeds' production defaults, and edits that keep the rest of the file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseGatesConfig } from '../../src/config/gates.js';
import { applyProposals, proposeGate } from '../../src/usecases/tune.js';
import { REPO } from '../helpers/cli.js';
import { gate, shippedEnv } from '../gates/sim.js';

const prod = shippedEnv('production');
const enough = { marginPct: 20, enoughWindows: true, healthyWindows: 10 };

describe('proposeGate', () => {
  it('tightens toward p95 x 1.2, capped at a 20 % step', () => {
    const p = proposeGate(gate(prod, 'p95_hash_time'), Array.from({ length: 100 }, (_, i) => 400 + i), [], enough);
    expect(p).toMatchObject({ statistic: 'p95', observed: 494, current: 2000, proposed: 1600, changed: true });
    expect(p.rationale).toMatch(/^p95_hash_time: 2000 ms -> 1600 ms \(-20 %\): healthy p95 490 ms over 100 polls of 10 windows, \+20 % margin = 590 ms; step capped at 20 %; its description still names 2000: update it$/);
  });

  it('loosens past the seeds default only saying so', () => {
    const p = proposeGate(gate(prod, 'p95_hash_time'), [1900, 1950, 2000, 2050], [], enough);
    expect(p.proposed).toBe(2400);
    expect(p.looserThanDefault).toBe(2000);
    expect(p.rationale).toMatch(/LOOSER than the seeds' production default of 2000 ms/);
  });

  it('keeps a threshold within 10 % of the target, and one whose step rounds back', () => {
    expect(proposeGate(gate(prod, 'low_confidence_queue'), [760, 800], [], enough)).toMatchObject({ changed: false, proposed: 1000 });
    const h = proposeGate(gate(prod, 'health_failures'), [0, 0, 1], [], enough);
    expect(h).toMatchObject({ statistic: 'max', observed: 1, changed: false, proposed: 2 });
    expect(h.rationale).toMatch(/rounds back/);
  });

  it('--margin above 20 % allows a larger step', () => {
    const p = proposeGate(gate(prod, 'p95_hash_time'), Array.from({ length: 100 }, (_, i) => 400 + i), [], { ...enough, marginPct: 100 });
    expect(p.proposed).toBe(990);
    expect(p.rationale).not.toMatch(/capped/);
  });

  it('proposes nothing without enough healthy windows or observations', () => {
    expect(proposeGate(gate(prod, 'p95_hash_time'), [100], [], { ...enough, enoughWindows: false, healthyWindows: 2 }).rationale).toMatch(/only 2 healthy windows \(at least 3 needed/);
    expect(proposeGate(gate(prod, 'cpu_percent'), [], [], enough).rationale).toMatch(/no healthy observations/);
  });
});

describe('applyProposals', () => {
  it('changes only the thresholds, keeps the formatting, and adds a gate the file left to the defaults', () => {
    const text = readFileSync(join(REPO, 'quality-gates-config.json'), 'utf8');
    const dev = shippedEnv('development');
    const after = applyProposals(text, 'development', [
      { ...proposeGate(gate(dev, 'p95_hash_time'), [100], [], enough), changed: true, proposed: 4000 },
      { ...proposeGate(gate(dev, 'cpu_percent'), [100], [], enough), changed: true, proposed: 80 },
    ]);
    const a = text.split('\n');
    const b = after.split('\n');
    // One line changed in place; cpu_percent (not in the file for development) is inserted.
    expect(b.filter((l) => !a.includes(l)).join('\n')).toMatch(/"p95_hash_time": \{ "threshold": 4000, "window_minutes": 15, "action": "alert" \}/);
    const cfg = parseGatesConfig(after);
    expect(gate(cfg.environments.development!, 'p95_hash_time').threshold).toBe(4000);
    expect(gate(cfg.environments.development!, 'cpu_percent').threshold).toBe(80);
    expect(gate(cfg.environments.production!, 'p95_hash_time').threshold).toBe(2000);
    expect(JSON.parse(after).retention).toEqual(JSON.parse(text).retention);
  });
});
