declare const __LOOM_VERSION__: string | undefined;

/** Injected by tsup (and vitest) from package.json, so the CLI never reads package.json at start-up. */
export const VERSION: string = typeof __LOOM_VERSION__ === 'string' ? __LOOM_VERSION__ : '0.0.0-dev';
