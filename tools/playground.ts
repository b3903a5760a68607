/** A private Docker engine with a few demo containers, so the extension can be tried without one. */
import * as fs from 'fs';
import * as path from 'path';
import { BASE_IMAGE, DockerdHandle, freePort, importBusybox, run, startDockerd } from '../test/support/engines';

export interface Playground {
  socketPath: string;
  dockerConfigDir: string;
  webUrl: string;
  stop(): Promise<void>;
}

async function docker(socketPath: string, args: string[]): Promise<string> {
  return (await run('docker', ['-H', `unix://${socketPath}`, ...args])).stdout.trim();
}

export async function startPlayground(dir: string): Promise<Playground> {
  fs.mkdirSync(dir, { recursive: true });
  let daemon: DockerdHandle | undefined;
  try {
    daemon = await startDockerd({ dir: path.join(dir, 'engine'), bridge: true });
    await importBusybox(daemon.socketPath);
    const port = await freePort();
    const www = path.join(dir, 'www');
    fs.mkdirSync(www, { recursive: true });
    fs.writeFileSync(path.join(www, 'index.html'), '<h1>Hello from the Docker on Azure playground</h1>\n');
    // Busybox as PID 1 ignores SIGTERM; a short stop timeout keeps Stop quick in the demo.
    const common = ['run', '-d', '--stop-timeout', '1'];
    await docker(daemon.socketPath, [
      ...common,
      '--name',
      'web',
      '-p',
      `127.0.0.1:${port}:80`,
      '-v',
      `${www}:/www:ro`,
      BASE_IMAGE,
      'httpd',
      '-f',
      '-p',
      '80',
      '-h',
      '/www',
    ]);
    await docker(daemon.socketPath, [
      ...common,
      '--name',
      'worker',
      BASE_IMAGE,
      'sh',
      '-c',
      'i=0; while true; do i=$((i+1)); echo "processed job $i"; sleep 2; done',
    ]);
    await docker(daemon.socketPath, ['run', '--name', 'nightly-report', BASE_IMAGE, 'sh', '-c', 'echo report written; exit 0']);
    const dockerConfigDir = path.join(dir, 'docker-config');
    fs.mkdirSync(dockerConfigDir, { recursive: true });
    const handle = daemon;
    return {
      socketPath: daemon.socketPath,
      dockerConfigDir,
      webUrl: `http://127.0.0.1:${port}/`,
      stop: async () => {
        await handle.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await daemon?.stop();
    throw err;
  }
}
