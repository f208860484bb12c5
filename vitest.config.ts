import { defineConfig } from 'vitest/config';

// Unit tests need nothing but Node; integration tests share one real control plane,
// started (or reused) by the global setup and torn down only if this run started it; image tests boot
// the machine images (test/images).
export default defineConfig({
  test: {
    reporters: ['default', ['json', { outputFile: '.cache/vitest-report.json' }]],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/cluster/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        extends: true,
        test: {
          // Machines booted from the image trees (as root: mmdebstrap, runc, network namespaces); no
          // control plane. Built trees are cached in ~/.cache/tispace/images.
          name: 'images',
          include: ['test/images/**/*.test.ts'],
          testTimeout: 180_000,
          hookTimeout: 1_200_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
