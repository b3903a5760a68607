/** A private Docker engine with a few demo containers, so the extension can be tried without one. */
import * as fs from 'fs';
import * as path from 'path';
import { BASE_IMAGE, DockerdHandle, freePort, importBusybox, run, startDockerd } from '../test/support/engines';
import { ArmEmulator, ensureEmulatorCa, startArmEmulator } from '../test/support/armEmulator';

export interface Playground {
  socketPath: string;
  dockerConfigDir: string;
  webUrl: string;
  /** Environment for VS Code: the engine, the demo service principal, trust for the emulator's CA. */
  env: NodeJS.ProcessEnv;
  /** User settings that point the Azure view at the emulator. */
  settings: Record<string, unknown>;
  stop(): Promise<void>;
}

async function docker(socketPath: string, args: string[]): Promise<string> {
  return (await run('docker', ['-H', `unix://${socketPath}`, ...args])).stdout.trim();
}

/**
 * The project's ARM emulator with a demo subscription: Docker hosts on VMs in several power states,
 * so the Azure view, its lifecycle actions and delete can be tried without an Azure account.
 * (Their addresses are made up, so expanding a running one shows a connection error.)
 */
async function startDemoAzure(dir: string): Promise<ArmEmulator> {
  await ensureEmulatorCa(dir);
  const arm = await startArmEmulator({ dir });
  const sub = arm.subscriptions[0].subscriptionId;
  const tags = { 'dockerOnAzure:host': 'true', 'dockerOnAzure:daemon': 'ssh', 'dockerOnAzure:adminUser': 'azureuser' };
  arm.addVm({ subscriptionId: sub, resourceGroup: 'demo-web-rg', name: 'demo-web-host', tags, powerState: 'running', vmSize: 'Standard_B2s' });
  arm.addVm({
    subscriptionId: sub,
    resourceGroup: 'demo-batch-rg',
    name: 'demo-batch-host',
    tags,
    powerState: 'deallocated',
    vmSize: 'Standard_D4s_v5',
    location: 'northeurope',
  });
  arm.addVm({ subscriptionId: sub, resourceGroup: 'demo-batch-rg', name: 'legacy-vm', powerState: 'running' });
  return arm;
}

export async function startPlayground(dir: string): Promise<Playground> {
  fs.mkdirSync(dir, { recursive: true });
  let daemon: DockerdHandle | undefined;
  let arm: ArmEmulator | undefined;
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
    arm = await startDemoAzure(path.join(dir, 'arm'));
    const handle = daemon;
    const azure = arm;
    return {
      socketPath: daemon.socketPath,
      dockerConfigDir,
      webUrl: `http://127.0.0.1:${port}/`,
      env: {
        DOCKER_HOST: `unix://${daemon.socketPath}`,
        DOCKER_CONFIG: dockerConfigDir,
        NODE_EXTRA_CA_CERTS: azure.caCertPath,
        AZURE_TENANT_ID: azure.tenantId,
        AZURE_CLIENT_ID: azure.clientId,
        AZURE_CLIENT_SECRET: azure.clientSecret,
      },
      settings: {
        'dockerOnAzure.azure.signInMethod': 'servicePrincipal',
        'dockerOnAzure.azure.resourceManagerEndpoint': azure.url,
        'dockerOnAzure.azure.authorityHost': azure.url,
      },
      stop: async () => {
        await azure.stop();
        await handle.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await arm?.stop();
    await daemon?.stop();
    throw err;
  }
}
