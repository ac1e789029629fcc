// The hot module graphs of the build (scripts/build.mjs, src/cli/hot.ts): rollback, deploy,
// service and verify (dist/hot-rollback.js, …) each load only their own chunks, so one process
// never holds two copies of a module's state; a line their direct path does not serve reaches
// commander through the shared graph's start.js, and a served one runs in its own graph.
import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath, makeWorkspace, runCli } from '../helpers/cli.js';

/** The files a bundle file imports (minified or not): static ones (`from "./…"`, `import "./…"`) and dynamic ones. */
function importsOf(file: string): { statics: string[]; dynamics: string[] } {
  const text = readFileSync(file, 'utf8');
  const rel = (s: string): string => join(dirname(file), s);
  const statics = [...text.matchAll(/(?:\bfrom|\bimport)\s*"(\.{1,2}\/[^"]+)"/g)].map((m) => rel(m[1]!));
  const dynamics = [...text.matchAll(/\bimport\(\s*"(\.{1,2}\/[^"]+)"\s*\)/g)].map((m) => rel(m[1]!));
  return { statics, dynamics };
}

/** Every file reachable from `entry` by imports (static and dynamic), relative to the dist folder. */
function graphOf(entry: string): { reached: Set<string>; leaves: Set<string> } {
  const dist = dirname(entry);
  const reached = new Set<string>();
  const leaves = new Set<string>();
  const todo = [entry];
  while (todo.length) {
    const f = todo.pop()!;
    const name = relative(dist, f);
    if (reached.has(name)) continue;
    // start.js and main.js are the shared graph's entries: the hand-over, not followed.
    if (name === 'start.js' || name === 'main.js') {
      leaves.add(name);
      continue;
    }
    reached.add(name);
    const { statics, dynamics } = importsOf(f);
    todo.push(...statics, ...dynamics);
  }
  return { reached, leaves };
}

describe('the hot module graphs', () => {
  for (const name of ['hot-rollback', 'hot-deploy', 'hot-service', 'hot-verify']) {
    it(`${name}.js reaches only its own chunks, and the shared graph only through start.js and main.js`, () => {
      const { reached, leaves } = graphOf(join(dirname(cliPath()), `${name}.js`));
      // (hot-verify.js starts the hashing thread, then loads its second entry, hot-verify-run.js)
      const foreign = [...reached].filter((f) => f !== `${name}.js` && f !== `${name}-run.js` && !f.startsWith(`chunks/${name}-`));
      expect(foreign).toEqual([]);
      expect([...leaves].sort()).toEqual(['main.js', 'start.js']);
      // The walk sees the graph: the entry's static imports are followed (not only the entry).
      expect(reached.size).toBeGreaterThan(5);
      const main = reached.has(`${name}-run.js`) ? `${name}-run.js` : `${name}.js`;
      expect(importsOf(join(dirname(cliPath()), main)).statics.length).toBeGreaterThan(3);
    });
  }

  it('a hot command line the direct path does not serve gets commander (help, a bad option), a served one runs', async () => {
    const ws = await makeWorkspace();
    try {
      const help = await runCli(['deploy', '--help'], { cwd: ws.root });
      expect(help.code).toBe(0);
      expect(help.stdout).toMatch(/^Usage: rollout deploy \[options\]/);
      const svcHelp = await runCli(['service', '--help'], { cwd: ws.root });
      expect(svcHelp.code).toBe(0);
      expect(svcHelp.stdout).toMatch(/^Usage: rollout service \[options\] \[command\]/);
      const vHelp = await runCli(['verify', '--help'], { cwd: ws.root });
      expect(vHelp.code).toBe(0);
      expect(vHelp.stdout).toMatch(/^Usage: rollout verify \[options\] \[backup\]/);
      const twoFiles = await runCli(['verify', 'a.zip', 'b.zip'], { cwd: ws.root });
      expect(twoFiles.code).toBe(2);
      expect(twoFiles.stderr).toMatch(/^rollout: too many arguments/);
      const missing = await runCli(['verify', 'backups/none.zip', '--json'], { cwd: ws.root });
      expect(missing.code).toBe(2);
      expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false });
      const bad = await runCli(['rollback', '--env', 'staging', '--bogus'], { cwd: ws.root });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/^rollout: unknown option '--bogus'/);
      const st = await runCli(['service', 'status', '--env', 'development', '--json'], { cwd: ws.root });
      expect(st.code).toBe(0);
      expect(JSON.parse(st.stdout)).toMatchObject({ ok: true, action: 'status', env: 'development', running: false });
    } finally {
      ws.cleanup();
    }
  });
});
