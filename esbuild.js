// Two bundles: dist/extension.js (the extension, small so activation is quick) and dist/vendor.js
// (dockerode and ssh2, loaded on first connection). `vscode` is provided by the host at run time.
const esbuild = require('esbuild');
const fs = require('fs');

const production = process.argv.includes('--production');

/** The extension reaches the vendor bundle only through lazyVendor.ts's require('./vendor'). */
const vendorAsSeparateFile = {
  name: 'vendor-as-separate-file',
  setup(build) {
    build.onResolve({ filter: /^\.\/vendor$/ }, (args) =>
      args.importer.endsWith('lazyVendor.ts') ? { path: './vendor.js', external: true } : undefined,
    );
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
    esbuild.build({ ...common, entryPoints: ['src/extension.ts'], outfile: 'dist/extension.js', plugins: [vendorAsSeparateFile] }),
    esbuild.build({ ...common, entryPoints: ['src/core/docker/vendor.ts'], outfile: 'dist/vendor.js', plugins: [withoutBuildKit] }),
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
