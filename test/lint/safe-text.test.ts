// Screens draw text only through src/ui/Text.tsx, which escapes control characters: eslint refuses
// Ink's own Text (named, aliased or through a namespace import) anywhere else in src/ui.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: root });

async function messages(rel: string, text: string): Promise<string[]> {
  const [r] = await eslint.lintText(text, { filePath: join(root, rel) });
  return (r?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

describe('screens draw text only through the escaping Text', { timeout: 60_000 }, () => {
  it("fails Ink's Text imported in src/ui, however it is spelt", async () => {
    for (const src of ["import { Box, Text } from 'ink';\nexport const x = [Box, Text];\n", "import { Text as T } from 'ink';\nexport const x = T;\n", "import * as ink from 'ink';\nexport const x = ink.Text;\n"]) {
      expect(await messages('src/ui/ZzFixture.tsx', src), src).toEqual([expect.stringMatching(/^no-restricted-imports: .*Import Text from '\.\/Text\.js'/)]);
    }
  });

  it('passes the escaping Text and the rest of Ink', async () => {
    expect(await messages('src/ui/ZzFixture.tsx', "import { Box } from 'ink';\nimport { Text } from './Text.js';\nexport const x = [Box, Text];\n")).toEqual([]);
  });
});
