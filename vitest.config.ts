import { defineConfig } from 'vitest/config';

// Two projects: fast in-process tests (unit, conformance, protocol over
// loopback TCP) and end-to-end tests with real clients (libnfs on the host,
// the Linux kernel client in a qemu guest).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/protocol/**/*.test.ts'],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
