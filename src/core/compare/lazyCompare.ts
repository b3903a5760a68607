type CompareVendor = typeof import('./compareVendor');

let loaded: CompareVendor | undefined;

/** The comparison page's facts, figures and controller, loaded when the panel first opens. */
export function compareVendor(): CompareVendor {
  // A plain require of a fixed path: the bundler keeps it as a separate file (see esbuild.js).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./compareVendor') as CompareVendor;
  return loaded;
}
