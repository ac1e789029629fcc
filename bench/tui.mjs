// The TUI in a real pseudo-terminal (util-linux `script`, 80x24), on a private build of the bundle:
//  1. time to the first frame of `rollout` (home drawn) against a bare node start and an Ink
//     hello-world bundle built the same way (esbuild, same options), in the same pty, interleaved;
//  2. key press to updated frame (? toggles help on the home screen);
//     BENCH_BEFORE=/path/to/old/dist adds an older build's first frame to the same interleaved runs;
//  3. CPU of the TUI process while `rollout monitor` idles between polls, against the demo service.
// Writes its section of bench/RESULTS.md. Everything it starts is stopped; temp folders removed.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';
import { fileURLToPath } from 'node:url';
import { freePort, machine, median, writeSection } from './lib.mjs';
import { bundle } from '../scripts/build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
if (spawnSync('script', ['--version']).status !== 0) {
  console.error('bench/tui.mjs: needs util-linux `script` for a pseudo-terminal.');
  process.exit(2);
}
const dist = mkdtempSync(join(tmpdir(), 'rollout-bench-dist-'));
const ws = mkdtempSync(join(tmpdir(), 'rollout-bench-ws-'));
const state = mkdtempSync(join(tmpdir(), 'rollout-bench-state-'));
const children = new Set();
const env = { ...process.env, NO_COLOR: '1', ROLLOUT_STATE_DIR: state, ROLLOUT_PACKAGE_ROOT: root, ROLLOUT_OPERATOR: 'bench', TERM: 'xterm-256color' };

function sh(s) {
  return `'${s.replaceAll("'", "'\\''")}'`;
}

/** A command in an 80x24 pty: output collected, input written to it. */
function pty(cmd, cwd = ws) {
  const child = spawn('script', ['-qfec', `stty cols 80 rows 24; exec ${cmd}`, '/dev/null'], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  const waiters = [];
  child.stdout.on('data', (d) => {
    out += d.toString();
    for (const w of [...waiters]) if (out.slice(w.from).includes(w.text)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(performance.now());
    }
  });
  child.on('exit', () => children.delete(child));
  return {
    child,
    get length() {
      return out.length;
    },
    /** Resolves with the time the text appeared after offset `from`. */
    waitFor(text, from = 0, ms = 20_000) {
      if (out.slice(from).includes(text)) return Promise.resolve(performance.now());
      return new Promise((resolve, reject) => {
        const w = { text, from, resolve };
        waiters.push(w);
        setTimeout(() => reject(new Error(`bench: "${text}" did not appear; output so far:\n${out.slice(-2000)}`)), ms);
      });
    },
    write(s) {
      child.stdin.write(s);
    },
    kill() {
      child.kill('SIGKILL');
    },
  };
}

function cpuTicks(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const parts = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(parts[11]) + Number(parts[12]); // utime + stime, in clock ticks
}

const cli = () => `${sh(process.execPath)} ${sh(join(dist, 'cli.js'))}`;
const rollout = (...args) => spawnSync(process.execPath, [join(dist, 'cli.js'), ...args], { cwd: ws, env, encoding: 'utf8' });

/** An Ink hello-world, bundled with the options scripts/build.mjs uses for the CLI. */
async function helloBundle(dir) {
  const { build } = await import('esbuild');
  const src = join(dir, 'hello.mjs');
  writeFileSync(src, "import React from 'react';\nimport { render, Text } from 'ink';\nrender(React.createElement(Text, null, 'Hello, world'));\n");
  await build({
    entryPoints: { hello: src },
    outdir: join(dir, 'hello-dist'),
    nodePaths: [join(root, 'node_modules')],
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    minify: false,
    legalComments: 'none',
    logLevel: 'warning',
    external: ['react-devtools-core'],
    define: { 'process.env.NODE_ENV': '"production"' },
    banner: { js: "import { createRequire as __rolloutCreateRequire } from 'node:module'; const require = __rolloutCreateRequire(import.meta.url);" },
  });
  return join(dir, 'hello-dist', 'hello.js');
}

try {
  await bundle(dist);
  const hello = await helloBundle(state);
  cpSync(join(root, 'quality-gates-config.json'), join(ws, 'quality-gates-config.json'));
  cpSync(join(root, 'schemas'), join(ws, 'schemas'), { recursive: true });
  cpSync(join(root, 'runbooks'), join(ws, 'runbooks'), { recursive: true });
  const port = await freePort();
  const rb = join(ws, 'runbooks', 'dhash.yaml');
  writeFileSync(rb, readFileSync(rb, 'utf8').replaceAll('7412', String(port)));
  // The older build starts in a copy of the workspace: its validated-config cache entry
  // (.rollout/cache, keyed to the build) would otherwise replace this build's on every
  // alternation, and both would validate their config before every first frame.
  const wsBefore = join(state, 'ws-before');
  cpSync(ws, wsBefore, { recursive: true });

  // 1. First frame.
  const N = 9;
  const bare = [];
  const first = [];
  const inkHello = [];
  const older = [];
  const BEFORE = process.env.BENCH_BEFORE ? join(process.env.BENCH_BEFORE, 'cli.js') : undefined;
  for (let i = 0; i < N; i++) {
    if (BEFORE) {
      const t0 = performance.now();
      const p0 = pty(`${sh(process.execPath)} ${sh(BEFORE)}`, wsBefore);
      older.push((await p0.waitFor('Runbook')) - t0);
      p0.kill();
    }
    let t = performance.now();
    let p = pty(`${sh(process.execPath)} -e ${sh("process.stdout.write('READY')")}`);
    bare.push((await p.waitFor('READY')) - t);
    p.kill();
    t = performance.now();
    p = pty(`${sh(process.execPath)} ${sh(hello)}`);
    inkHello.push((await p.waitFor('Hello, world')) - t);
    p.kill();
    t = performance.now();
    p = pty(cli());
    first.push((await p.waitFor('Runbook')) - t);
    p.kill();
  }

  console.log(`first frame medians: bare ${median(bare).toFixed(0)} ms, Ink hello-world ${median(inkHello).toFixed(0)} ms, rollout ${median(first).toFixed(0)} ms${older.length ? `, older build ${median(older).toFixed(0)} ms` : ''}`);

  // 2. Key press to updated frame: ? shows help, ? again hides it.
  const keys = [];
  {
    const p = pty(cli());
    await p.waitFor('Runbook');
    // A fresh state folder: no operator yet; o asks for the name.
    const from0 = p.length;
    p.write('o');
    await p.waitFor('type your name', from0);
    p.write('bench\r');
    await p.waitFor('Operator: bench', from0);
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 10; i++) {
      let from = p.length;
      let t = performance.now();
      p.write('?');
      keys.push((await p.waitFor('Emergency rollback', from)) - t);
      from = p.length;
      t = performance.now();
      p.write('?');
      keys.push((await p.waitFor('Runbook', from)) - t);
    }
    p.kill();
  }

  // 3. CPU while the monitor screen idles between polls (staging polls every 30 s at first).
  let idle;
  {
    const d = rollout('deploy', '--env', 'staging', '--version', '1.0.0', '--yes', '--no-monitor');
    if (d.status !== 0) throw new Error(`bench: demo deploy failed: ${d.stderr}`);
    const p = pty(`${cli()} monitor --env staging`);
    await p.waitFor('next poll in');
    await new Promise((r) => setTimeout(r, 3000));
    const pid = Number(spawnSync('pgrep', ['-P', String(p.child.pid)], { encoding: 'utf8' }).stdout.trim().split('\n')[0]);
    const hz = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;
    const c0 = cpuTicks(pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 20_000));
    const c1 = cpuTicks(pid);
    const secs = (performance.now() - t0) / 1000;
    idle = { percent: ((c1 - c0) / hz / secs) * 100, secs };
    p.write('q');
    await new Promise((r) => setTimeout(r, 300));
    p.write('y');
    await new Promise((r) => setTimeout(r, 1000));
    p.kill();
    rollout('service', 'stop', '--env', 'staging');
  }

  const b = median(bare);
  const f = median(first);
  const h = median(inkHello);
  const o = older.length ? median(older) : undefined;
  const k = median(keys);
  const table = [
    '| measure | median | goal |',
    '| --- | ---: | --- |',
    `| bare node start to first output, in a pty | ${b.toFixed(0)} ms | — |`,
    `| Ink hello-world bundle (esbuild, same options) to its frame, in a pty | ${h.toFixed(0)} ms (${(h / b).toFixed(2)}x bare) | — |`,
    `| \`rollout\` to the first frame (home drawn), in a pty | ${f.toFixed(0)} ms (${(f / b).toFixed(2)}x bare, ${(f / h).toFixed(2)}x the Ink hello-world) | <= 1.3x the Ink hello-world (#15) |`,
    ...(o !== undefined ? [`| older build (BENCH_BEFORE) to the first frame, in a pty | ${o.toFixed(0)} ms (${(o / b).toFixed(2)}x bare, ${(o / h).toFixed(2)}x the Ink hello-world) | — |`] : []),
    `| key press to updated frame (? on home, ${keys.length} presses) | ${k.toFixed(1)} ms (max ${Math.max(...keys).toFixed(1)} ms) | — |`,
    `| CPU of the TUI while \`rollout monitor\` idles between polls (${idle.secs.toFixed(0)} s) | ${idle.percent.toFixed(2)} % of one core | < 2 % |`,
  ].join('\n');
  console.log(table);
  writeSection('TUI (bench/tui.mjs)', `${machine()}, load average ${loadavg().map((l) => l.toFixed(1)).join(' / ')} at the end; the bundle in a pseudo-terminal (util-linux script, 80x24), ${N} interleaved starts each of bare node, an Ink hello-world bundle and rollout (medians); the monitor against the embedded demo service.\n\n${table}`);
} finally {
  for (const c of children) c.kill('SIGKILL');
  spawnSync(process.execPath, [join(dist, 'cli.js'), 'service', 'stop', '--env', 'staging'], { cwd: ws, env, stdio: 'ignore' });
  rmSync(dist, { recursive: true, force: true });
  rmSync(ws, { recursive: true, force: true });
  rmSync(state, { recursive: true, force: true });
}
