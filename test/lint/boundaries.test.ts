// The layer rule of eslint.config.js, tried on crafted sources: an upward import, a face reaching
// past the use cases, and an import cycle each fail `npm run lint`; the real tree passes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

/** The rule ids and messages ESLint reports for `text` as if it were the file `rel`. */
async function lint(rel: string, text: string): Promise<{ rule: string | null; message: string }[]> {
  const [r] = await eslint.lintText(text, { filePath: join(root, rel) });
  return (r?.messages ?? []).map((m) => ({ rule: m.ruleId, message: m.message }));
}

describe('layer rule (eslint-plugin-boundaries + import-x/no-cycle)', { timeout: 60_000 }, () => {
  it('fails a lower layer importing a higher one, type imports included', async () => {
    const domain = await lint('src/domain/zz-fixture.ts', "import type { EngineContext } from '../config/engine-context.js';\nexport type X = EngineContext;\n");
    expect(domain).toEqual([expect.objectContaining({ rule: 'boundaries/dependencies', message: expect.stringContaining('domain may not import config') })]);
    const backup = await lint('src/backup/zz-fixture.ts', "import { makeTarget } from '../targets/make-target.js';\nexport const m = makeTarget;\n");
    expect(backup.map((m) => m.message)).toEqual([expect.stringContaining('backup may not import targets')]);
    const usecase = await lint('src/usecases/zz-fixture.ts', "import { closest } from '../cli/commands/home.js';\nexport const c = closest;\n");
    expect(usecase.map((m) => m.message)).toEqual([expect.stringContaining('usecases may not import cli')]);
  });

  it('fails a face that skips the use cases (static or lazy import)', async () => {
    const cli = await lint('src/cli/commands/zz-fixture.ts', "import { prune } from '../../backup/prune.js';\nexport const p = prune;\n");
    expect(cli.map((m) => m.message)).toEqual([expect.stringContaining('cli may not import backup')]);
    const ui = await lint('src/ui/zz-fixture.ts', "export const t = async (): Promise<unknown> => import('../targets/make-target.js');\n");
    expect(ui.map((m) => m.message)).toEqual([expect.stringContaining('ui may not import targets')]);
    const lock = await lint('src/cli/commands/zz-fixture.ts', "import { withEnvLock } from '../../lock/env-lock.js';\nexport const w = withEnvLock;\n");
    expect(lock.map((m) => m.message)).toEqual([expect.stringContaining('cli may not import lock')]);
  });

  it('passes the same imports where the layers allow them', async () => {
    expect(await lint('src/usecases/zz-fixture.ts', "import { makeTarget } from '../targets/make-target.js';\nimport { prune } from '../backup/prune.js';\nexport const x = [makeTarget, prune];\n")).toEqual([]);
    expect(await lint('src/cli/commands/zz-fixture.ts', "import { pruneWorkspace } from '../../usecases/prune.js';\nexport const p = pruneWorkspace;\n")).toEqual([]);
  });

  it('fails an import cycle: a command importing main.ts, which loads the command lazily', async () => {
    const help = readFileSync(join(root, 'src/cli/commands/help.ts'), 'utf8');
    expect(await lint('src/cli/commands/help.ts', help)).toEqual([]);
    const cyclic = `${help}\nexport const again = async (): Promise<unknown> => import('../main.js');\n`;
    expect((await lint('src/cli/commands/help.ts', cyclic)).map((m) => m.rule)).toEqual(['import-x/no-cycle']);
  });
});
