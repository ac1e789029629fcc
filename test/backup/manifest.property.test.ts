// Property tests (fast-check) over the manifest checker: any manifest a hostile file could hold
// (paths with "..", absolute, prototype names, other environments, roots marked absent, entries
// anywhere) is either accepted, and then provably inside the environment's scope, or refused
// with one RefusedError sentence (exit 3); never another exception.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { MANIFEST_FORMAT, parseManifest, unsafePathReason } from '../../src/backup/manifest.js';
import { Manifest } from '../../src/backup/manifest-schema.js';
import { backupScope, checkManifestScope } from '../../src/backup/scope.js';
import { loadRunbook } from '../../src/config/runbook.js';
import { workspaceAt } from '../../src/config/workspace.js';
import { RefusedError } from '../../src/domain/errors.js';
import { REPO } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'rollout-prop-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const ws = workspaceAt(root);
const runbook = loadRunbook(join(REPO, 'runbooks/dhash.yaml'), 'runbooks/dhash.yaml');
const scope = backupScope(ws, runbook, 'production');

const segment = fc.oneof(fc.constantFrom('deployments', 'production', 'staging', 'releases', 'current', 'config', 'dhash.json', 'migrations', 'production_migration_state.json', 'runbooks', 'dhash.yaml', '..', '.', '', '__proto__', 'constructor', 'current.json', '1.0.0'), fc.string({ maxLength: 6 }));
const path = fc.oneof(
  fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/')),
  fc.constantFrom(...scope.roots.map((r) => r.path)),
  fc.constantFrom(...scope.roots.map((r) => r.path)).chain((p) => segment.map((s) => `${p}/${s}`)),
  fc.constantFrom('/etc/passwd', 'C:/x', '..\\x', 'a\u0000b'),
);
const kind = fc.constantFrom('file', 'dir', 'symlink', 'absent');
const entry = fc.oneof(
  fc.record({ path, kind: fc.constant('file' as const), size: fc.nat(), sha256: fc.constant('0'.repeat(64)) }),
  fc.record({ path, kind: fc.constant('dir' as const) }),
  fc.record({ path, kind: fc.constant('symlink' as const), target: fc.string({ maxLength: 10 }) }),
);
const manifest = fc.record({
  format: fc.constant(MANIFEST_FORMAT),
  env: fc.constantFrom('production', 'staging', '__proto__', 'toString', 'x'),
  version: fc.constant('1.0.0'),
  created_at: fc.constant('2026-11-23T10:15:00.000Z'),
  operator: fc.constant('p'),
  tool_version: fc.constant('0.1.0'),
  target_kind: fc.constant('local'),
  roots: fc.array(fc.record({ path, kind }), { maxLength: 5 }),
  entries: fc.array(entry, { maxLength: 8 }),
  totals: fc.constant({ files: 0, dirs: 0, symlinks: 0, bytes: 0 }),
});

describe('the manifest checker (properties)', () => {
  it('accepts only manifests inside the scope, and refuses everything else with one sentence', () => {
    fc.assert(
      fc.property(manifest, (m) => {
        const parsed = Manifest.safeParse(m);
        expect(parsed.success).toBe(true);
        try {
          checkManifestScope(parsed.data!, scope, 'backups/x.zip');
        } catch (e) {
          if (!(e instanceof RefusedError)) throw e;
          expect(e.exitCode).toBe(3);
          expect(e.message.split('\n')).toHaveLength(1);
          expect(e.message.startsWith('backups/x.zip: ')).toBe(true);
          return;
        }
        // Accepted: then every root is one the scope names, absent only where a backup records it,
        // and every entry lies inside a present root with a safe path.
        expect(m.env).toBe('production');
        for (const r of m.roots) {
          const rule = scope.roots.find((s) => s.path === r.path);
          expect(rule).toBeDefined();
          if (r.kind === 'absent') expect(rule!.absent).toBe('recorded');
        }
        for (const e of m.entries) {
          expect(m.roots.some((r) => r.kind !== 'absent' && (e.path === r.path || e.path.startsWith(`${r.path}/`)))).toBe(true);
        }
      }),
      { numRuns: 600 },
    );
  });

  it('refuses every root outside the scope, whatever else the manifest holds', () => {
    const outside = path.filter((p) => !scope.roots.some((r) => r.path === p));
    fc.assert(
      fc.property(manifest, outside, kind, (m, p, k) => {
        const bad = { ...m, env: 'production', roots: [...m.roots, { path: p, kind: k }] };
        expect(() => checkManifestScope(bad, scope, 'b.zip')).toThrow(RefusedError);
      }),
      { numRuns: 300 },
    );
  });

  it('accepts what a genuine backup of the environment would hold (so the refusals above are not blanket)', () => {
    const pick = fc.subarray(scope.roots, { minLength: 1 });
    fc.assert(
      fc.property(pick, fc.array(fc.constantFrom('a', 'b', 'c.txt', '1.0.0'), { maxLength: 3 }), (roots, children) => {
        const mRoots = roots.map((r) => ({ path: r.path, kind: r.absent === 'recorded' && r.path.endsWith('.json') ? ('absent' as const) : ('dir' as const) }));
        const entries = mRoots.filter((r) => r.kind === 'dir').flatMap((r) => [{ path: r.path, kind: 'dir' as const }, ...[...new Set(children)].map((c) => ({ path: `${r.path}/${c}`, kind: 'dir' as const }))]);
        expect(() => checkManifestScope({ env: 'production', roots: mRoots, entries }, scope, 'b.zip')).not.toThrow();
      }),
      { numRuns: 100 },
    );
  });

  it('parseManifest (checked by hand) accepts exactly what the zod schema accepts, and returns the same manifest', async () => {
    // Entries near the valid ones: every field of every kind, wrong types, extra keys, huge and
    // negative numbers, upper-case or short hashes, missing fields, and non-objects.
    const anyValue = fc.oneof(fc.string({ maxLength: 4 }), fc.integer(), fc.double(), fc.constant(null), fc.boolean(), fc.constant(2 ** 53), fc.constant(-1), fc.constant([]), fc.constant({}));
    const field = fc.oneof(
      fc.constantFrom('path', 'kind', 'size', 'sha256', 'mode', 'target', '__proto__', 'constructor', 'extra').chain((k) => fc.tuple(fc.constant(k), anyValue)),
      fc.tuple(fc.constant('kind'), fc.constantFrom('file', 'dir', 'symlink', 'File', 'absent')),
      fc.tuple(fc.constant('sha256'), fc.constantFrom('0'.repeat(64), 'A'.repeat(64), 'f'.repeat(63), `${'a'.repeat(64)}\n`)),
      fc.tuple(fc.constant('size'), fc.oneof(fc.nat(), fc.constant(-0), fc.constant(1.5))),
      fc.tuple(fc.constant('mode'), fc.constantFrom(0o644, -1, 1.5, '644')),
    );
    const valid = fc.oneof(
      fc.record({ path: fc.string({ maxLength: 5 }), kind: fc.constant('file'), size: fc.nat(), sha256: fc.constant('0'.repeat(64)) }, { requiredKeys: ['path', 'kind', 'size', 'sha256'] }),
      fc.record({ path: fc.string({ maxLength: 5 }), kind: fc.constant('dir'), mode: fc.nat() }, { requiredKeys: ['path', 'kind'] }),
      fc.record({ path: fc.string({ maxLength: 5 }), kind: fc.constant('symlink'), target: fc.string({ maxLength: 5 }) }),
    );
    // A valid entry with a few fields set, removed or added (through JSON, as a file would hold them).
    const mutated = fc.tuple(valid, fc.array(field, { maxLength: 3 }), fc.array(fc.constantFrom('path', 'kind', 'size', 'sha256', 'target'), { maxLength: 1 })).map(([e, set, drop]) => {
      const o: Record<string, unknown> = JSON.parse(JSON.stringify(e));
      for (const [k, v] of set) o[k] = v;
      for (const k of drop) delete o[k];
      return JSON.parse(JSON.stringify(o)) as unknown;
    });
    const entryish = fc.oneof(valid, mutated, mutated, anyValue);
    // The rest of the manifest, checked by hand too: any top-level field set to something else,
    // removed, or an extra one; roots and totals near the valid ones.
    const topKeys = ['format', 'env', 'version', 'created_at', 'operator', 'tool_version', 'target_kind', 'roots', 'totals', 'entries', 'extra', '__proto__'];
    const topValue = fc.oneof(
      anyValue,
      fc.constant(MANIFEST_FORMAT),
      fc.constant([{ path: 'a', kind: 'absent' }]),
      fc.constant([{ path: 'a', kind: 'gone' }]),
      fc.constant([{ path: 'a', kind: 'dir', extra: 1 }]),
      fc.constant([{ path: 1, kind: 'dir' }]),
      fc.constant([null]),
      fc.constant({ files: 1, dirs: 2, symlinks: 0, bytes: 2 ** 53 }),
      fc.constant({ files: 1, dirs: 2, symlinks: 0 }),
      fc.constant({ files: 1, dirs: 2, symlinks: 0, bytes: 3, more: 1 }),
      fc.constant({ files: 1.5, dirs: 2, symlinks: 0, bytes: 3 }),
    );
    // Every key with every such value (and removed) on a valid manifest, so that no top-level rule goes untried.
    const validManifest = { format: MANIFEST_FORMAT, env: 'staging', version: null, created_at: 'x', operator: 'p', tool_version: '0.1.0', target_kind: 'local', roots: [{ path: 'a', kind: 'dir' }], entries: [{ path: 'a', kind: 'dir' }], totals: { files: 0, dirs: 1, symlinks: 0, bytes: 0 } };
    const samples = fc.sample(topValue, { numRuns: 400, seed: 7 });
    for (const k of topKeys) {
      for (const v of [undefined, ...samples]) {
        const o: Record<string, unknown> = JSON.parse(JSON.stringify(validManifest));
        if (v === undefined) delete o[k];
        else o[k] = v;
        const json = JSON.parse(JSON.stringify(o)) as unknown;
        const ok = await parseManifest(json).then(
          () => true,
          () => false,
        );
        expect(ok, `${k} = ${JSON.stringify(v)}`).toBe(Manifest.safeParse(json).success);
      }
    }
    const topEdits = fc.array(fc.tuple(fc.constantFrom(...topKeys), fc.option(topValue, { nil: undefined })), { maxLength: 2 });
    await fc.assert(
      fc.asyncProperty(manifest, fc.array(entryish, { maxLength: 6 }), fc.oneof(fc.constant([]), topEdits), async (m, entries, edits) => {
        const o: Record<string, unknown> = JSON.parse(JSON.stringify({ ...m, entries }));
        for (const [k, v] of edits) {
          if (v === undefined) delete o[k];
          else o[k] = v;
        }
        const json = JSON.parse(JSON.stringify(o)) as unknown;
        const ref = Manifest.safeParse(json);
        let ours: Manifest | undefined;
        let error: Error | undefined;
        try {
          ours = await parseManifest(json);
        } catch (e) {
          error = e as Error;
        }
        expect(error === undefined).toBe(ref.success);
        if (ref.success) expect(ours).toEqual(ref.data);
        else expect(error!.message).toMatch(/^entries\.\d+(\.|: )|^[a-z_]+(\.|: )|^\(top\): /);
      }),
      { numRuns: 3000 },
    );
  });
});


describe('unsafePathReason', () => {
  // The rules as written before the one-scan fast path: the fast path must agree on every name.
  const reference = (p: string): string | undefined => {
    if (p.length === 0) return 'an empty name';
    if (p.includes('\0')) return 'a NUL byte in the name';
    if (/^[a-zA-Z]:/.test(p)) return 'a drive letter';
    if (p.startsWith('/') || p.startsWith('\\')) return 'an absolute path';
    if (p.includes('\\')) return 'a backslash';
    const segs = p.split('/');
    if (segs.includes('..')) return 'a ".." segment';
    if (segs.some((s) => s === '.' || s === '')) return 'an empty or "." segment';
    return undefined;
  };
  it('gives the same verdict and wording as the plain rules for any name', () => {
    const piece = fc.oneof(fc.constantFrom('/', '.', '..', '\\', ':', 'C:', '\0', 'a', 'node_modules', '.bin', '..x', 'x..', '.hidden', 'é', '/'), fc.string({ maxLength: 4 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 8 }), (parts) => {
        const p = parts.join('');
        expect(unsafePathReason(p)).toBe(reference(p));
      }),
      { numRuns: 3000 },
    );
    for (const p of ['a/b', 'a/../b', './a', 'a/.', 'a//b', 'a/', '/a', 'C:x', 'a:b', 'a\\b', 'a\0b', '..', '.', '...', 'a/..b/c', '.a/b.']) expect(unsafePathReason(p)).toBe(reference(p));
  });
});
