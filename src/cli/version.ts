// The version, read from package.json at build time by esbuild (define), or at run time in tests.
declare const __ROLLOUT_VERSION__: string | undefined;

/** The tool's version string. */
export const VERSION: string = typeof __ROLLOUT_VERSION__ === 'string' ? __ROLLOUT_VERSION__ : '0.0.0-dev';
