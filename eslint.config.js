// Lint: the recommended JS and typescript-eslint rules, plus the layering rule of DESIGN.md.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noUiInEngine = {
  patterns: [
    { group: ['ink', 'ink-*', 'react', 'react/*'], message: 'Engine code must not import ink or react (DESIGN.md layering).' },
    { group: ['zx', 'zx/*'], message: 'Only src/shell/ imports zx (DESIGN.md layering).' },
  ],
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
  {
    files: ['src/domain/**', 'src/config/**', 'src/audit/**', 'src/steps/**', 'src/gates/**', 'src/metrics/**', 'src/notify/**', 'src/demo/**', 'src/backup/**', 'src/lock/**', 'src/usecases/**'],
    rules: { 'no-restricted-imports': ['error', noUiInEngine] },
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
