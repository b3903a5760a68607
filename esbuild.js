// One small bundle, dist/extension.js (quick to activate), and lazily loaded bundles for the heavy
// dependencies (see LAZY_BUNDLES). `vscode` is provided by the host at run time.
const esbuild = require('esbuild');
const fs = require('fs');

const production = process.argv.includes('--production');

/**
 * Heavy dependencies live in bundles of their own, loaded on first use through a lazy loader's
 * plain `require('./<module>')`: the Docker and SSH clients, the BuildKit builder, the Azure SDKs,
 * VS Code's Azure sign-in, and the comparison page (its text and measuring logic are only needed once the panel opens).
 */
const LAZY_BUNDLES = [
  { loader: 'lazyVendor.ts', module: './vendor', entry: 'src/core/docker/vendor.ts', outfile: 'dist/vendor.js' },
  { loader: 'lazyBuildKit.ts', module: './buildKitVendor', entry: 'src/core/docker/buildkit/buildKitVendor.ts', outfile: 'dist/buildKitVendor.js' },
  { loader: 'lazyAzure.ts', module: './azureVendor', entry: 'src/core/azure/azureVendor.ts', outfile: 'dist/azureVendor.js' },
  { loader: 'lazyCompare.ts', module: './compareVendor', entry: 'src/core/compare/compareVendor.ts', outfile: 'dist/compareVendor.js' },
  { loader: 'lazyAzureAuth.ts', module: './azureAuthVendor', entry: 'src/ui/azure/azureAuthVendor.ts', outfile: 'dist/azureAuthVendor.js' },
];

const lazyBundlesAsSeparateFiles = {
  name: 'lazy-bundles-as-separate-files',
  setup(build) {
    build.onResolve({ filter: /^\.\/\w+Vendor$|^\.\/vendor$/ }, (args) => {
      const lazy = LAZY_BUNDLES.find((b) => args.importer.endsWith(b.loader) && args.path === b.module);
      return lazy ? { path: `./${lazy.outfile.replace(/^dist\//, '')}`, external: true } : undefined;
    });
  },
};

/**
 * dockerode's BuildKit session support pulls in gRPC and protobuf (about 850 KB) and loads .proto
 * files from its own folder at run time, which a bundle cannot provide. The extension builds with
 * the classic builder, so those two modules are replaced by ones that say so if ever reached.
 */
const withoutBuildKit = {
  name: 'without-buildkit',
  setup(build) {
    build.onResolve({ filter: /^\.\/(session|buildkit)$/ }, (args) =>
      /dockerode[\\/]lib/.test(args.importer) ? { path: args.path, namespace: 'no-buildkit' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'no-buildkit' }, () => ({
      contents:
        "function unsupported() { throw new Error('BuildKit sessions are not included in Docker on Azure; builds use the classic builder.'); }\n" +
        'module.exports = unsupported; module.exports.followProgress = unsupported;',
      loader: 'js',
    }));
  },
};

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // ssh2's optional native speed-ups; it falls back to pure JS when they are absent.
  external: ['vscode', 'cpu-features', './crypto/build/Release/sshcrypto.node'],
  minify: production,
  sourcemap: !production,
  metafile: true,
  logLevel: 'warning',
};

async function main() {
  fs.rmSync('dist', { recursive: true, force: true });
  const results = await Promise.all([
    esbuild.build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', plugins: [lazyBundlesAsSeparateFiles] }),
    ...LAZY_BUNDLES.map((b) =>
      esbuild.build({ ...common, entryPoints: [b.entry], outfile: b.outfile, plugins: [withoutBuildKit, lazyBundlesAsSeparateFiles] }),
    ),
  ]);
  const outputs = Object.assign({}, ...results.map((r) => r.metafile.outputs));
  fs.writeFileSync(
    'dist/meta.json',
    JSON.stringify({ outputs: Object.fromEntries(Object.entries(outputs).map(([k, v]) => [k, { bytes: v.bytes }])) }),
  );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
