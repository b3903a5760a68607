// The BuildKit builder (session server, file sync, status stream, with protobufjs), bundled apart
// (dist/buildKitVendor.js) and loaded through lazyBuildKit.ts on the first build, so neither
// activation nor hosts that are only browsed pay for it.
export { buildWithBuildKit } from './buildKitBuild';
export { SessionRefusedError } from './buildSession';
