import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn real processes and servers; two cores here, so keep the pool small (three workers
    // measured only 6 % faster on a whole run, with every test slower: more timeout risk for little).
    maxWorkers: 2,
  },
});
