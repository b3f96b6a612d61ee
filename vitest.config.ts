import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Tensor tests are CPU-heavy and the machine has 2 cores: run files in 2 forks.
    pool: 'forks',
    maxWorkers: 2,
  },
});
