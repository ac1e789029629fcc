import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    globalSetup: ['test/helpers/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Tests spawn real processes and servers and spend most of their time waiting on them (a full
    // run keeps about 1.3 of 2 cores busy with two workers), so three workers on two cores.
    maxWorkers: 3,
  },
});
