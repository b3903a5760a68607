import * as path from 'path';
import { DockerHostSpec } from './hostSpec';

/** The engine the `docker` CLI would use without a context: DOCKER_HOST, else the default socket. */
export function localEngineSpec(env: NodeJS.ProcessEnv): DockerHostSpec {
  const address = env.DOCKER_HOST || (process.platform === 'win32' ? 'npipe:////./pipe/docker_engine' : 'unix:///var/run/docker.sock');
  const certPath = env.DOCKER_CERT_PATH;
  const tls =
    certPath && address.startsWith('tcp://')
      ? { ca: path.join(certPath, 'ca.pem'), cert: path.join(certPath, 'cert.pem'), key: path.join(certPath, 'key.pem') }
      : undefined;
  return {
    id: 'local',
    name: 'Local engine',
    source: 'local',
    address,
    tls,
  };
}
