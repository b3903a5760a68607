// The heavy third-party clients, bundled apart from the extension (dist/vendor.js) and loaded on
// first connection through lazyVendor.ts, so that activation does not pay for them.
export { default as Dockerode } from 'dockerode';
export { Client as SshClient } from 'ssh2';
