import { buildCloudConfig } from './cloudInit';
import { CUSTOM_SCRIPT, scriptProtectedSettings } from '../dockerInstall/customScriptRun';
import { INSTALL_EXTENSION_NAME } from '../dockerInstall/installDocker';
import { buildInstallScript, type InstallScriptOptions } from '../dockerInstall/installScript';
import type { ProvisionPlan } from './plan';

type Json = Record<string, unknown>;

/** The api-versions the specs in this repository describe for each type. */
const API_VERSIONS: Record<string, string> = {
  'Microsoft.Network/virtualNetworks': '2025-01-01',
  'Microsoft.Network/networkSecurityGroups': '2025-01-01',
  'Microsoft.Network/publicIPAddresses': '2025-01-01',
  'Microsoft.Network/networkInterfaces': '2025-01-01',
  'Microsoft.Compute/virtualMachines': '2026-04-01',
};

/** Replaces whole string values that equal a known literal; nothing is spliced into text. */
function substitute(value: unknown, exact: Map<string, string>): unknown {
  if (typeof value === 'string') {
    return exact.get(value) ?? value;
  }
  if (Array.isArray(value)) {
    return value.map((v) => substitute(v, exact));
  }
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, exact)]));
  }
  return value;
}

/**
 * The host's resources as a resource-group deployment template, for people who automate:
 * `az deployment group create -g RG --template-file host.json --parameters sshPublicKey=@~/.ssh/id_ed25519.pub`.
 * Parameters: host name, DNS label, region, size, SSH public key, allowed source and the cloud-init text.
 * The daemon is reached over SSH: a TLS certificate must name the host's address, which a template
 * cannot know before deployment.
 */
export function buildArmTemplate(plan: ProvisionPlan, cloudInit = buildCloudConfig({ adminUser: plan.request.adminUser, access: 'ssh' })): Json {
  const req = plan.request;
  const name = (suffix: string) => (suffix ? `concat(parameters('hostName'), '${suffix}')` : `parameters('hostName')`);
  const exact = new Map<string, string>([
    [req.hostName, `[${name('')}]`],
    [req.location, "[parameters('location')]"],
    [req.vmSize, "[parameters('vmSize')]"],
    [req.sshPublicKey, "[parameters('sshPublicKey')]"],
    [req.sourceRange, "[parameters('allowedSource')]"],
    [plan.osDisk.name, `[${name(plan.osDisk.name.slice(req.hostName.length))}]`],
  ]);
  const resources = plan.resources.filter((r) => r.key !== 'resourceGroup');
  for (const r of resources) {
    const suffix = r.name.slice(req.hostName.length);
    exact.set(r.name, `[${name(suffix)}]`);
    exact.set(r.id, `[resourceId('${r.type}', ${name(suffix)})]`);
    if (r.key === 'vnet') {
      exact.set(`${r.id}/subnets/default`, `[resourceId('${r.type}/subnets', ${name(suffix)}, 'default')]`);
    }
  }
  const publicIp = resources.find((r) => r.key === 'publicIp')!;
  const templateResources = resources.map((r) => {
    const { properties, ...rest } = r.body as { properties?: Json };
    const body =
      r.key === 'vm'
        ? { ...rest, properties: withCustomData(properties!) }
        : r.key === 'publicIp'
          ? { ...rest, properties: withDnsLabelParameter(properties!) }
          : r.body;
    return {
      type: r.type,
      apiVersion: API_VERSIONS[r.type],
      name: exact.get(r.name),
      ...(substitute(body, exact) as Json),
      dependsOn: r.dependsOn.filter((d) => d !== 'resourceGroup').map((d) => exact.get(plan.resources.find((x) => x.key === d)!.id)),
    };
  });
  return {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: {
      hostName: { type: 'string', defaultValue: req.hostName, metadata: { description: 'VM name and computer name' } },
      dnsLabel: {
        type: 'string',
        defaultValue: req.dnsLabel,
        metadata: { description: 'DNS label of the public IP: <label>.<region>.cloudapp.azure.com, unique in the region across all of Azure' },
      },
      location: { type: 'string', defaultValue: req.location },
      vmSize: { type: 'string', defaultValue: req.vmSize },
      sshPublicKey: { type: 'string', metadata: { description: 'OpenSSH public key of the admin user (password sign-in is disabled)' } },
      allowedSource: { type: 'string', defaultValue: req.sourceRange, metadata: { description: 'IPv4 address or CIDR allowed to reach SSH' } },
      cloudInit: { type: 'string', defaultValue: cloudInit, metadata: { description: 'cloud-config that installs Docker at first boot' } },
    },
    resources: templateResources,
    outputs: {
      fqdn: { type: 'string', value: `[reference(${exact.get(publicIp.id)!.slice(1, -1)}).dnsSettings.fqdn]` },
    },
  };
}

// Not through the exact-value map: the label often equals the host name, which maps to hostName.
function withDnsLabelParameter(properties: Json): Json {
  return { ...properties, dnsSettings: { ...(properties.dnsSettings as Json), domainNameLabel: "[parameters('dnsLabel')]" } };
}

function withCustomData(properties: Json): Json {
  const osProfile = { ...(properties.osProfile as Json), customData: "[base64(parameters('cloudInit'))]" };
  return { ...properties, osProfile };
}

export interface DockerInstallTemplateTarget {
  vmName: string;
  location: string;
}

/**
 * Install Docker on VM… for an existing VM as a resource-group deployment template: the Custom Script
 * extension resource with the very script the command sends (SSH mode). Its protectedSettings come
 * from a secureObject parameter, so the template carries no script and a deployment's record keeps
 * none; `protectedSettings` is that parameter's value, for a parameters file beside the template.
 */
export function buildDockerInstallTemplate(
  target: DockerInstallTemplateTarget,
  script: Omit<InstallScriptOptions, 'tls'>,
): { template: Json; protectedSettings: { script: string } } {
  const template = {
    $schema: 'https://schema.management.azure.com/schemas/2019-04-01/deploymentTemplate.json#',
    contentVersion: '1.0.0.0',
    parameters: {
      vmName: { type: 'string', defaultValue: target.vmName, metadata: { description: 'The existing Linux VM to install Docker on' } },
      location: { type: 'string', defaultValue: target.location, metadata: { description: "The VM's region" } },
      protectedSettings: {
        type: 'secureObject',
        metadata: { description: '{ "script": base64 of the Docker on Azure install script }, encrypted to the VM by Azure' },
      },
      forceUpdateTag: {
        type: 'string',
        defaultValue: '[utcNow()]',
        metadata: { description: 'A new value runs the script again on a redeployment' },
      },
    },
    resources: [
      {
        type: 'Microsoft.Compute/virtualMachines/extensions',
        apiVersion: API_VERSIONS['Microsoft.Compute/virtualMachines'],
        name: `[concat(parameters('vmName'), '/${INSTALL_EXTENSION_NAME}')]`,
        location: "[parameters('location')]",
        properties: {
          publisher: CUSTOM_SCRIPT.publisher,
          type: CUSTOM_SCRIPT.type,
          typeHandlerVersion: CUSTOM_SCRIPT.typeHandlerVersion,
          autoUpgradeMinorVersion: true,
          forceUpdateTag: "[parameters('forceUpdateTag')]",
          protectedSettings: "[parameters('protectedSettings')]",
        },
      },
    ],
  };
  return { template, protectedSettings: scriptProtectedSettings(buildInstallScript(script)) };
}
