type Vendor = typeof import('./vendor');

let loaded: Vendor | undefined;

/** The connection layer with the Docker and SSH clients, loaded on first use. */
export function vendor(): Vendor {
  // A plain require of a fixed path: the bundler keeps it as a separate file (see esbuild.js).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('./vendor') as Vendor;
  return loaded;
}
