// Property tests (fast-check) over the config and runbook loaders: whatever the text, loading it
// either succeeds or fails with one RolloutError sentence (exit 2 or 3) naming the file; never
// another exception, never a message of several lines. Inputs: random JSON and YAML, and the
// shipped files with random mutations (a value replaced, a key added, numbers at the extremes).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGatesConfig } from '../../src/config/gates.js';
import { parseRunbook, YAML_MAX_ALIAS_COUNT } from '../../src/config/runbook.js';
import { RolloutError } from '../../src/domain/errors.js';
import { REPO } from '../helpers/cli.js';

const SHIPPED_CONFIG = JSON.parse(readFileSync(join(REPO, 'quality-gates-config.json'), 'utf8')) as unknown;
const SHIPPED_RUNBOOK = readFileSync(join(REPO, 'runbooks/dhash.yaml'), 'utf8');

/** Run a loader; anything but success or one-sentence RolloutError (exit 2 or 3) fails the property. */
function endsWell(load: () => unknown, file: string): void {
  try {
    load();
  } catch (e) {
    if (!(e instanceof RolloutError)) throw new Error(`not a RolloutError: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    expect([2, 3]).toContain(e.exitCode);
    expect(e.message.split('\n')).toHaveLength(1);
    expect(e.message.startsWith(file)).toBe(true);
  }
}

// Values that break naive code: prototype keys, huge and tiny numbers, NaN-ish strings, control characters.
const nasty = fc.oneof(
  fc.constantFrom('__proto__', 'constructor', 'toString', '', ' ', '\u0000', '\x1b[31m', 'NaN', 'Infinity', '-0', '1e309'),
  fc.constantFrom(1e308, -1e308, 1e-320, 0, -0, Number.MAX_SAFE_INTEGER, -1, 0.5, 1e12, 1e-9),
  fc.jsonValue({ maxDepth: 2 }),
);

/** A copy of `v` with one value somewhere replaced, or one key added. */
function mutate(v: unknown, path: number[], replacement: unknown, newKey: string | undefined): unknown {
  if (v === null || typeof v !== 'object') return replacement;
  const entries = Array.isArray(v) ? v.map((x, i) => [String(i), x] as const) : Object.entries(v as Record<string, unknown>);
  if (entries.length === 0 || path.length === 0) {
    if (newKey !== undefined && !Array.isArray(v)) return { ...(v as Record<string, unknown>), [newKey]: replacement };
    return replacement;
  }
  const [k, child] = entries[path[0]! % entries.length]!;
  const next = mutate(child, path.slice(1), replacement, newKey);
  if (Array.isArray(v)) return v.map((x, i) => (String(i) === k ? next : x));
  // defineProperty, so that a "__proto__" key is an own key, as JSON.parse would make it.
  const out: Record<string, unknown> = {};
  for (const [kk, vv] of entries) Object.defineProperty(out, kk, { value: kk === k ? next : vv, enumerable: true, writable: true, configurable: true });
  return out;
}

describe('config and runbook loaders (properties)', () => {
  it('quality-gates-config.json: any JSON text ends in a config or one sentence', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.jsonValue().map((v) => JSON.stringify(v))), (text) => endsWell(() => parseGatesConfig(text, 'q.json'), 'q.json')),
      { numRuns: 150 },
    );
  });

  it('quality-gates-config.json: the shipped config with one value replaced or a key added ends well', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 6 }), nasty, fc.option(fc.constantFrom('__proto__', 'constructor', 'extra', 'threshold'), { nil: undefined }), (path, value, key) => {
        const text = JSON.stringify(mutate(SHIPPED_CONFIG, path, value, key));
        endsWell(() => parseGatesConfig(text, 'q.json'), 'q.json');
      }),
      { numRuns: 200 },
    );
  });

  it('runbooks: any text, and the shipped runbook with random edits, ends in a runbook or one sentence', () => {
    const edited = fc.tuple(fc.nat(), fc.nat({ max: 40 }), fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('&a [1]', '*a', '<<: *a', ': :', '- - -', '\t', '!!js/function x', '"\\x1b"', '1e309', '__proto__: 1'))).map(([at, del, ins]) => {
      const i = at % (SHIPPED_RUNBOOK.length + 1);
      return SHIPPED_RUNBOOK.slice(0, i) + ins + SHIPPED_RUNBOOK.slice(i + del);
    });
    fc.assert(fc.property(fc.oneof(fc.string(), edited), (text) => endsWell(() => parseRunbook(text, 'runbooks/x.yaml'), 'runbooks/x.yaml')), { numRuns: 150 });
  });

  it('runbooks: alias chains of any depth end in a runbook or one sentence, never an expansion that hangs', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 12 }), (depth, fan) => {
        const lines = ['x0: &x0 ["lol"]'];
        for (let d = 1; d <= depth; d++) lines.push(`x${d}: &x${d} [${Array(fan).fill(`*x${d - 1}`).join(', ')}]`);
        const text = `${SHIPPED_RUNBOOK}\nx-bomb:\n${lines.map((l) => `  ${l}`).join('\n')}\n`;
        let refused = false;
        endsWell(() => {
          try {
            parseRunbook(text, 'runbooks/x.yaml');
          } catch (e) {
            refused = e instanceof Error && /too many YAML aliases/.test(e.message);
            throw e;
          }
        }, 'runbooks/x.yaml');
        // The work is bounded, not timed (a 2 s wall-clock bound is a flake at load): a bomb is
        // refused for its aliases unless its whole expansion is within the limit. (Without the
        // limit, 12^12 nodes never end, and the test's timeout says so.)
        let nodes = 0;
        for (let d = 1; d <= depth; d++) nodes += fan ** d;
        if (!refused) expect(nodes).toBeLessThanOrEqual(YAML_MAX_ALIAS_COUNT);
      }),
      { numRuns: 30 },
    );
  });
});
