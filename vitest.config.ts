import { defineConfig } from 'vitest/config';

export default defineConfig({
  define: { __LOOM_VERSION__: JSON.stringify('0.0.0-test') },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    restoreMocks: true,
    env: { FORCE_COLOR: '0', NO_COLOR: '1' },
  },
});
