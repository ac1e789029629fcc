// The early start of verify's hashing thread (src/usecases/verify-start.ts) runs at the top of
// verify's module graph, before the command: a line whose archive cannot even be looked at (a path
// through a file, a backups/ that is a file) must leave the command to say so in its one sentence
// and exit code, not end the process in a stack trace.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discardHashThread } from '../../src/backup/hash-prestart.js';
import { prestartForVerify } from '../../src/usecases/verify-start.js';
import { makeWorkspace, runCli } from '../helpers/cli.js';

let ws: Awaited<ReturnType<typeof makeWorkspace>>;
let flat: Awaited<ReturnType<typeof makeWorkspace>>;
beforeAll(async () => {
  ws = await makeWorkspace();
  mkdirSync(join(ws.root, 'backups'));
  writeFileSync(join(ws.root, 'backups', 'afile'), 'x');
  // A workspace whose backups/ is a file.
  flat = await makeWorkspace();
  writeFileSync(join(flat.root, 'backups'), 'x');
});
afterAll(() => {
  discardHashThread();
  ws.cleanup();
  flat.cleanup();
});

describe('verify of an archive that cannot be looked at', () => {
  it('prestartForVerify starts nothing and throws nothing', () => {
    expect(prestartForVerify(['node', 'cli.js', 'verify', 'backups/afile/x.zip'], ws.root)).toBe(false);
    expect(prestartForVerify(['node', 'cli.js', 'verify', '--env', 'staging'], flat.root)).toBe(false);
  });

  it.each([
    ['a path through a file', () => ws.root, ['verify', 'backups/afile/x.zip'], 2, /^rollout: backups\/afile\/x\.zip: backup not found\.$/],
    ['a path through a file, --json', () => ws.root, ['verify', 'backups/afile/x.zip', '--json'], 2, /backup not found/],
    ['backups/ is a file', () => flat.root, ['verify', '--env', 'staging'], 1, /^rollout: Could not finish the command: a part of backups is a file where a folder is expected/],
  ])('%s: one sentence and the exit code, no stack trace', async (_n, root, args, code, said) => {
    const r = await runCli(args, { cwd: root() });
    expect(r.code, r.stderr).toBe(code);
    const err = r.stderr.trim();
    expect(err.split('\n')).toHaveLength(1);
    expect(err).not.toMatch(/\n\s+at |node:fs/);
    // (--json: the sentence is in the result object too; the stderr line is the same)
    expect(err).toMatch(said);
  });
});
