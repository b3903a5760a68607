type AzureAuthVendor = typeof import('./azureAuthVendor');

let loaded: AzureAuthVendor | undefined;

/** VS Code's Azure sign-in support, loaded on first use. */
export function azureAuthVendor(): AzureAuthVendor {
  // A plain require of a fixed path: the bundler keeps it as a separate file (see esbuild.js).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./azureAuthVendor') as AzureAuthVendor;
  return loaded;
}
