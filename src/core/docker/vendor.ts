// The connection layer and the heavy clients it uses (dockerode, ssh2, Node's http/https/tls/net,
// tar-stream with the .dockerignore matcher for builds, child_process for Compose), bundled apart
// from the extension (dist/vendor.js) and loaded on first use through lazyVendor.ts, so that
// activating the extension does not pay for them.
export { openConnection } from './connection';
export { default as Dockerode } from 'dockerode';
export { buildImage } from './buildImage';
export { copyImage } from './copyImage';
export { startDaemonForwarder } from './daemonForwarder';
export { findComposeTool, composeUp } from './composeRun';
export { exchangeAcrToken } from './acrTokenExchange';
