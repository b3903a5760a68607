type BuildKitVendor = typeof import('./buildKitVendor');

let loaded: BuildKitVendor | undefined;

/** The BuildKit builder, loaded on first use. */
export function buildKit(): BuildKitVendor {
  // A plain require of a fixed path: the bundler keeps it as a separate file (see esbuild.js).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./buildKitVendor') as BuildKitVendor;
  return loaded;
}
