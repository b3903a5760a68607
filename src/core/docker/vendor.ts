// The connection layer and the heavy clients it uses (dockerode, ssh2, Node's http/https/tls, and
// tar-stream with the .dockerignore matcher for builds),
// bundled apart from the extension (dist/vendor.js) and loaded on first connection through
// lazyVendor.ts, so that activating the extension does not pay for them.
export { openConnection } from './connection';
export { default as Dockerode } from 'dockerode';
export { buildImage } from './buildImage';
