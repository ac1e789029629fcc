// Lint: the recommended JS and typescript-eslint rules, plus the layering rule of DESIGN.md.
//
// Layers, lowest first (an import may only point at its own layer or a lower one):
//   1. domain     src/domain: errors, clock, time, atomic writes
//   2. base       src/config, audit, metrics, gates, probes, notify, lock, backup, demo, shell
//   3. adapters   src/targets (the Target contract, local, command), src/steps (migrate, smoke, deploy journal)
//   4. usecases   src/usecases: one use case per capability, the only way in for the faces
//   5. faces      src/cli, src/ui: parse input, call a use case, present its events and outcome;
//                 they never reach past the use cases into backup/, lock/, steps/ or targets/.
// eslint-plugin-boundaries enforces it (boundaries/dependencies), and import-x/no-cycle refuses an
// import cycle (dynamic imports count); test/lint/boundaries.test.ts proves both rules fail.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const noUiInEngine = {
  patterns: [
    { group: ['ink', 'ink-*', 'react', 'react/*'], message: 'Engine code must not import ink or react (DESIGN.md layering).' },
    { group: ['zx', 'zx/*'], message: 'Only src/shell/ imports zx (DESIGN.md layering).' },
  ],
};

/** Exported for the lint test: screens import Text from src/ui/Text.tsx, which escapes what it draws. */
export const inkTextOnlyViaSafeText = { name: 'ink', importNames: ['Text', 'Transform'], message: "Import Text from './Text.js': it escapes control characters in every string a screen draws (src/domain/terminal-text.ts)." };

const BASE = ['config', 'audit', 'metrics', 'gates', 'probes', 'notify', 'lock', 'backup', 'demo', 'shell'];
const ADAPTERS = ['targets', 'steps'];
// What a face may use below the use cases: everything of the base layer but the pieces a use case owns.
const FACE_BELOW = ['domain', ...BASE.filter((b) => !['lock', 'backup'].includes(b))];
const allowTo = (types) => ({ to: { element: { types: { anyOf: types } } } });

/** The layer rule, exported so that the test can lint crafted files against the same settings. */
export const layering = {
  files: ['src/**/*.ts', 'src/**/*.tsx'],
  plugins: { boundaries, 'import-x': importX },
  settings: {
    // import-x parses each imported .ts file itself to follow the graph (no-cycle needs it).
    'import-x/extensions': ['.ts', '.tsx', '.js'],
    'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
    'import-x/resolver-next': [createTypeScriptImportResolver({ alwaysTryTypes: true, project: './tsconfig.json' })],
    'import/resolver': { typescript: { alwaysTryTypes: true, project: './tsconfig.json' } },
    'boundaries/elements': ['domain', ...BASE, ...ADAPTERS, 'usecases', 'cli', 'ui'].map((t) => ({ type: t, pattern: `src/${t}` })),
  },
  rules: {
    'import-x/no-cycle': ['error', { allowUnsafeDynamicCyclicDependency: false }],
    'boundaries/dependencies': ['error', {
      default: 'disallow',
      message: 'Layer rule (README "Code map"): {{from.type}} may not import {{to.type}}: an import points only at its own layer or a lower one, and cli/ui reach backup, lock, steps and targets only through src/usecases.',
      policies: [
        { from: { element: { type: 'domain' } }, allow: allowTo(['domain']) },
        { from: { element: { types: { anyOf: BASE } } }, allow: allowTo(['domain', ...BASE]) },
        { from: { element: { types: { anyOf: ADAPTERS } } }, allow: allowTo(['domain', ...BASE, ...ADAPTERS]) },
        { from: { element: { type: 'usecases' } }, allow: allowTo(['domain', ...BASE, ...ADAPTERS, 'usecases']) },
        { from: { element: { types: { anyOf: ['cli', 'ui'] } } }, allow: allowTo([...FACE_BELOW, 'usecases', 'cli', 'ui']) },
      ],
    }],
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'deployments/**', 'premerge_artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  layering,
  {
    files: ['src/domain/**', 'src/config/**', 'src/audit/**', 'src/steps/**', 'src/targets/**', 'src/gates/**', 'src/metrics/**', 'src/notify/**', 'src/demo/**', 'src/backup/**', 'src/lock/**', 'src/usecases/**'],
    rules: { 'no-restricted-imports': ['error', noUiInEngine] },
  },
  {
    // Every string a screen draws is escaped by src/ui/Text.tsx (terminal-text.ts): Ink's own Text
    // would pass ESC, CR and bidi overrides from runbooks, journals and services to the terminal.
    files: ['src/ui/**'],
    ignores: ['src/ui/Text.tsx'],
    rules: { 'no-restricted-imports': ['error', { paths: [inkTextOnlyViaSafeText], patterns: [noUiInEngine.patterns[1]] }] },
  },
  {
    files: ['src/cli/**'],
    rules: { 'no-restricted-imports': ['error', { patterns: [noUiInEngine.patterns[1]] }] },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
