import { defineConfig } from 'vitest/config';
import vue from '@vitejs/plugin-vue';

// Two projects: plain Node for the engine, services and contract; happy-dom for stores and components.
export default defineConfig({
  test: {
    // tfjs greets every process that touches its cpu backend (the tests' reference) with a banner
    // asking for tfjs-node; 18 copies of it buried the output that matters.
    onConsoleLog: (log) => !log.includes('install our node backend'),
    reporters: ['default', './test/skip-reasons-reporter.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two files at a time on the 2-core machine (vitest's default is cores - 1 = one): much of a
    // file's time is single-threaded (tsx transforms and imports, model building, child processes
    // starting), which the other file's work fills. Set here, not per project: vitest refuses
    // projects of one group with different maxWorkers.
    maxWorkers: 2,
    projects: [
      {
        test: {
          name: 'node',
          environment: 'node',
          include: ['test/**/*.test.ts'],
          exclude: ['test/renderer/**'],
          pool: 'forks',
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        plugins: [vue()],
        test: {
          name: 'dom',
          environment: 'happy-dom',
          include: ['test/renderer/**/*.test.ts'],
        },
      },
    ],
  },
});
