/**
 * A private Docker engine with a few demo containers, and the project's ARM emulator with Docker
 * host VMs that really run, so the extension can be tried without Docker or an Azure account.
 */
import * as fs from 'fs';
import * as path from 'path';
import { BASE_IMAGE, DockerdHandle, freePort, importBusybox, run, startDockerd } from '../test/support/engines';
import { ArmEmulator, ensureEmulatorCa, startArmEmulator, trustEmulatorCa } from '../test/support/armEmulator';
import { createArmClients, type ArmClients } from '../src/core/azure/armClients';
import { resolveCloud } from '../src/core/azure/cloud';
import { createIdentityCredential } from '../src/core/azure/identityCredentials';
import { executeProvisioning } from '../src/core/azure/provisioning/executor';
import { provisionedKeyFileName } from '../src/core/azure/provisioning/naming';
import { planProvisioning, type ProvisionRequest } from '../src/core/azure/provisioning/plan';
import { generateSshKeyPair, writeSshKeyPair } from '../src/core/azure/provisioning/sshKeys';
import { appendKnownHost, knownHostsLine, publicKeyBlob } from '../src/core/docker/knownHosts';

/** A demo Docker host VM as the playground left it. */
export interface DemoAzureHost {
  name: string;
  powerState: 'running' | 'deallocated';
  /** Its emulated public IP (127.0.0.N), where its sshd listens. */
  address: string;
  containers: string[];
}

export interface Playground {
  socketPath: string;
  dockerConfigDir: string;
  webUrl: string;
  /** The folder to open: a small app with a Dockerfile that builds on every playground engine. */
  workspace: string;
  azureHosts: DemoAzureHost[];
  /** Environment for VS Code: the engine, the demo service principal, trust for the emulator's CA. */
  env: NodeJS.ProcessEnv;
  /** User settings that point the Azure view at the emulator, and SSH at the playground's keys. */
  settings: Record<string, unknown>;
  stop(): Promise<void>;
}

async function docker(socketPath: string, args: string[]): Promise<string> {
  return (await run('docker', ['-H', `unix://${socketPath}`, ...args])).stdout.trim();
}

// Busybox as PID 1 ignores SIGTERM; a short stop timeout keeps Stop quick in the demo.
const RUN = ['run', '-d', '--stop-timeout', '1'];
const PAGE = '<h1>Hello from the Docker on Azure playground</h1>\n';
const WORKER = ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "processed job $i"; sleep 2; done'];
const ADMIN_USER = 'azureuser';

interface DemoHostPlan {
  name: string;
  resourceGroup: string;
  /** The group is there already (it holds legacy-vm): the host goes into it, as the wizard allows. */
  existingGroup?: boolean;
  location: string;
  vmSize: string;
  /** Set up on the running VM through its daemon socket, as its owner would have with `docker run`. */
  containers: (socketPath: string) => Promise<string[]>;
  deallocate?: boolean;
}

const DEMO_HOSTS: DemoHostPlan[] = [
  {
    name: 'demo-web-host',
    resourceGroup: 'demo-web-rg',
    location: 'westeurope',
    vmSize: 'Standard_B2s',
    containers: async (socket) => {
      // Published on the VM's address (its daemon's default), as on a VM with a public IP.
      await docker(socket, [
        ...RUN,
        '--name',
        'web',
        '-p',
        '80',
        BASE_IMAGE,
        'sh',
        '-c',
        `mkdir -p /www && echo '${PAGE.trim()}' > /www/index.html && exec httpd -f -p 80 -h /www`,
      ]);
      await docker(socket, [...RUN, '--name', 'worker', BASE_IMAGE, ...WORKER]);
      return ['web', 'worker'];
    },
  },
  {
    name: 'demo-batch-host',
    resourceGroup: 'demo-batch-rg',
    existingGroup: true,
    location: 'northeurope',
    vmSize: 'Standard_D4s_v5',
    containers: async (socket) => {
      // Comes back with the VM when it is started: Docker restarts it, as on a VM.
      await docker(socket, [...RUN, '--restart', 'unless-stopped', '--name', 'queue-worker', BASE_IMAGE, ...WORKER]);
      await docker(socket, ['run', '--name', 'nightly-import', BASE_IMAGE, 'sh', '-c', 'echo imported 42 rows; exit 0']);
      return ['queue-worker', 'nightly-import'];
    },
    deallocate: true,
  },
];

/**
 * Provisions a demo host the way Provision Docker Host… does, through the product's own plan and
 * executor over the emulator's ARM API: a key pair in the key folder under the name the wizard
 * gives it, a host key handed to cloud-init and written to known_hosts. The emulator then boots the
 * VM as a real sshd in front of a real dockerd on its public IP.
 */
async function provisionDemoHost(
  arm: ArmEmulator,
  clients: ArmClients,
  sshDir: string,
  knownHostsFile: string,
  host: DemoHostPlan,
): Promise<DemoAzureHost> {
  const userKey = generateSshKeyPair(`${ADMIN_USER}@${host.name}`);
  await writeSshKeyPair(sshDir, provisionedKeyFileName(host.name), userKey);
  const hostKey = generateSshKeyPair(`root@${host.name}`);
  const request: ProvisionRequest = {
    subscriptionId: arm.subscriptions[0].subscriptionId,
    location: host.location,
    resourceGroup: host.resourceGroup,
    createResourceGroup: !host.existingGroup,
    hostName: host.name,
    dnsLabel: host.name,
    vmSize: host.vmSize,
    image: 'ubuntu-24.04',
    adminUser: ADMIN_USER,
    sshPublicKey: userKey.publicKey,
    access: 'ssh',
    // Where the extension's connections come from.
    sourceRange: '127.0.0.1',
  };
  const plan = planProvisioning(request);
  // No DNS name: the made-up <label>.<region>.cloudapp.azure.com exists on the real internet, maybe
  // as someone else's machine, and Open in Browser would go there. The view then uses the address.
  const publicIp = plan.resources.find((r) => r.key === 'publicIp')!.body.properties as { dnsSettings?: unknown };
  delete publicIp.dnsSettings;
  const result = await executeProvisioning(plan, { clients, sshHostKey: hostKey, onEvent: () => undefined });
  for (const name of [result.publicIp, result.fqdn].filter((n): n is string => !!n)) {
    await appendKnownHost(knownHostsFile, knownHostsLine(name, 22, publicKeyBlob(hostKey.publicKey)));
  }
  await arm.dockerHostsSettled();
  const booted = arm.bootedHosts().find((h) => h.vmId.toLowerCase() === result.vmId.toLowerCase());
  if (!booted) {
    const why = arm.bootFailures().find((f) => f.vmId.toLowerCase() === result.vmId.toLowerCase());
    throw new Error(`The demo VM ${host.name} did not boot${why ? `: ${why.error}` : ''}`);
  }
  await importBusybox(booted.socketPath);
  const containers = await host.containers(booted.socketPath);
  if (host.deallocate) {
    await clients.compute.virtualMachines.beginDeallocateAndWait(host.resourceGroup, host.name);
    await arm.dockerHostsSettled();
  }
  return { name: host.name, powerState: host.deallocate ? 'deallocated' : 'running', address: result.publicIp, containers };
}

/**
 * A demo subscription: Docker host VMs provisioned as the extension provisions them, one running
 * and one deallocated (starting it boots it with its containers), and an unmarked VM beside them.
 */
async function seedDemoAzure(arm: ArmEmulator, sshDir: string, knownHostsFile: string): Promise<DemoAzureHost[]> {
  // The tools process talks to the emulator itself, unlike VS Code, which gets NODE_EXTRA_CA_CERTS.
  trustEmulatorCa(arm.caCertPath);
  const cloud = resolveCloud({ resourceManagerEndpoint: arm.url, authorityHost: arm.url });
  const credential = createIdentityCredential('servicePrincipal', cloud, {
    AZURE_TENANT_ID: arm.tenantId,
    AZURE_CLIENT_ID: arm.clientId,
    AZURE_CLIENT_SECRET: arm.clientSecret,
  });
  const sub = arm.subscriptions[0].subscriptionId;
  const clients = createArmClients(credential, sub, cloud);
  arm.addVm({ subscriptionId: sub, resourceGroup: 'demo-batch-rg', name: 'legacy-vm', location: 'northeurope', powerState: 'running' });
  const hosts: DemoAzureHost[] = [];
  for (const host of DEMO_HOSTS) {
    hosts.push(await provisionDemoHost(arm, clients, sshDir, knownHostsFile, host));
  }
  return hosts;
}

export async function startPlayground(dir: string): Promise<Playground> {
  fs.mkdirSync(dir, { recursive: true });
  let daemon: DockerdHandle | undefined;
  let arm: ArmEmulator | undefined;
  try {
    daemon = await startDockerd({ dir: path.join(dir, 'engine'), bridge: true });
    await importBusybox(daemon.socketPath);
    const port = await freePort();
    const workspace = path.join(dir, 'demo-app');
    const www = path.join(workspace, 'www');
    fs.mkdirSync(www, { recursive: true });
    fs.writeFileSync(path.join(www, 'index.html'), PAGE);
    // Builds on the playground's engine and on every demo VM, which all have the busybox image (no registry is reachable).
    fs.writeFileSync(
      path.join(workspace, 'Dockerfile'),
      `FROM ${BASE_IMAGE}\nCOPY www /www\nEXPOSE 80\nCMD ["httpd", "-f", "-p", "80", "-h", "/www"]\n`,
    );
    await docker(daemon.socketPath, [
      ...RUN,
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
    await docker(daemon.socketPath, [...RUN, '--name', 'worker', BASE_IMAGE, ...WORKER]);
    await docker(daemon.socketPath, ['run', '--name', 'nightly-report', BASE_IMAGE, 'sh', '-c', 'echo report written; exit 0']);
    const dockerConfigDir = path.join(dir, 'docker-config');
    fs.mkdirSync(dockerConfigDir, { recursive: true });
    // The extension's SSH keys and known hosts for the demo, never the user's own ~/.ssh.
    const sshDir = path.join(dir, 'ssh');
    const knownHostsFile = path.join(sshDir, 'known_hosts');
    const armDir = path.join(dir, 'arm');
    await ensureEmulatorCa(armDir);
    arm = await startArmEmulator({ dir: armDir, bootDockerHosts: true });
    const azureHosts = await seedDemoAzure(arm, sshDir, knownHostsFile);
    const handle = daemon;
    const azure = arm;
    return {
      socketPath: daemon.socketPath,
      dockerConfigDir,
      webUrl: `http://127.0.0.1:${port}/`,
      workspace,
      azureHosts,
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
        // Demo hosts are reached with their keys here, and a host provisioned in the demo puts its key here too.
        'dockerOnAzure.ssh.keyDirectory': sshDir,
        'dockerOnAzure.ssh.knownHostsFile': knownHostsFile,
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
