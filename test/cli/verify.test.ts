// rollout verify through the real CLI: the newest backup of --env by default, exit codes, --json,
// and one sentence on stderr for a refusal.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWorkspace, runCli } from '../helpers/cli.js';
import { deployTree } from '../backup/fixtures.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
const rollout = (...args: string[]) => runCli(args, { cwd: ws.root });
let first = '';
let second = '';

beforeAll(async () => {
  ws = await makeWorkspace();
  deployTree(ws.root, 'staging', '1.0.0');
  first = (JSON.parse((await rollout('backup', '--env', 'staging', '--json')).stdout) as { backup: string }).backup;
  deployTree(ws.root, 'staging', '1.1.0');
  second = (JSON.parse((await rollout('backup', '--env', 'staging', '--json')).stdout) as { backup: string }).backup;
}, 60_000);
afterAll(() => ws.cleanup());

describe('rollout verify', () => {
  it('verifies the newest backup of --env by default', async () => {
    const r = await rollout('verify', '--env', 'staging', '--json');
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, backup: second, env: 'staging', version: '1.1.0' });
  });

  it('verifies a named backup and says what it holds', async () => {
    const r = await rollout('verify', first);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`OK ${first}: SHA256 matches its .sha256`);
    expect(r.stdout).toContain('staging, version 1.0.0');
  });

  it('refuses a flipped byte with exit 3 and one sentence', async () => {
    const p = join(ws.root, second);
    const saved = readFileSync(p);
    const buf = Buffer.from(saved);
    buf[buf.length - 100]! ^= 0x40;
    writeFileSync(p, buf);
    try {
      const r = await rollout('verify', '--env', 'staging', '--json');
      expect(r.code).toBe(3);
      expect(r.stderr.trim().split('\n')[0]).toMatch(new RegExp(`^rollout: ${second.replaceAll('.', '\\.')} does not match its \\.sha256`));
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, exit_code: 3 });
    } finally {
      writeFileSync(p, saved);
    }
  });

  it('names what is missing: no argument (exit 2), no backups (exit 2), a missing file (exit 2)', async () => {
    expect((await rollout('verify')).code).toBe(2);
    const none = await rollout('verify', '--env', 'production');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/No backups of production in backups\//);
    const missing = await rollout('verify', 'backups/nope.zip');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/backups\/nope\.zip: backup not found/);
  });
});
