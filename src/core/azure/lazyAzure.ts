type AzureVendor = typeof import('./azureVendor');

let loaded: AzureVendor | undefined;

/** The Azure SDK layer, loaded on first use. */
export function azureVendor(): AzureVendor {
  // A plain require of a fixed path: the bundler keeps it as a separate file (see esbuild.js).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./azureVendor') as AzureVendor;
  return loaded;
}
