import test from 'node:test';
import assert from 'node:assert/strict';
import { buildArmTemplate, buildDockerInstallTemplate } from '../../src/core/azure/provisioning/armTemplate';
import { buildInstallScript } from '../../src/core/azure/dockerInstall/installScript';
import { INSTALL_EXTENSION_NAME } from '../../src/core/azure/dockerInstall/installDocker';
import { deploy as deployOne, deployTemplate } from '../support/armTemplateDeploy';
import { buildCloudConfig, encodeCustomData } from '../../src/core/azure/provisioning/cloudInit';
import { planProvisioning, vmBody, ProvisionRequest } from '../../src/core/azure/provisioning/plan';

const deploy = (node: unknown, params: Record<string, string>, subscriptionId: string, resourceGroup: string) =>
  deployOne(node, params, { subscriptionId, resourceGroup });

const request: ProvisionRequest = {
  subscriptionId: 'sub-1',
  location: 'westeurope',
  resourceGroup: 'rg-1',
  createResourceGroup: false,
  hostName: 'web',
  dnsLabel: 'web-3f9a',
  vmSize: 'Standard_B2s',
  image: 'ubuntu-24.04',
  adminUser: 'azureuser',
  sshPublicKey: 'ssh-ed25519 AAAA key',
  access: 'ssh',
  sourceRange: '203.0.113.7',
};

test('deploying the template with the same parameters yields exactly the bodies provisioning sends', () => {
  const plan = planProvisioning(request);
  const cloudInit = buildCloudConfig({ adminUser: 'azureuser', access: 'ssh' });
  const template = buildArmTemplate(plan, cloudInit) as {
    parameters: Record<string, { defaultValue?: string }>;
    resources: Record<string, unknown>[];
  };
  const params = {
    ...Object.fromEntries(Object.entries(template.parameters).map(([k, v]) => [k, v.defaultValue ?? ''])),
    sshPublicKey: request.sshPublicKey,
  };
  const deployed = template.resources.map((r) => deploy(r, params, 'sub-1', 'rg-1') as Record<string, unknown>);
  for (const planned of plan.resources) {
    const resource = deployed.find((d) => d.name === planned.name);
    assert.ok(resource, `${planned.name} is in the template`);
    const { type, apiVersion, name, dependsOn, ...body } = resource;
    assert.ok(type && apiVersion && name);
    const expected =
      planned.key === 'vm' ? vmBody(request, plan.resources.find((r) => r.key === 'nic')!.id, encodeCustomData(cloudInit)) : planned.body;
    assert.deepEqual(body, expected, `${planned.name} deploys as planned`);
    assert.deepEqual(
      dependsOn,
      planned.dependsOn.map((d) => plan.resources.find((r) => r.key === d)!.id),
      `${planned.name} waits for what the plan waits for`,
    );
  }
});

test('a different host name, region and size in the parameters give a different host', () => {
  const template = buildArmTemplate(planProvisioning(request), '#cloud-config\n') as { resources: Record<string, unknown>[] };
  const params = {
    hostName: 'other',
    dnsLabel: 'other-label',
    location: 'northeurope',
    vmSize: 'Standard_D2s_v5',
    sshPublicKey: 'k',
    allowedSource: '198.51.100.0/24',
    cloudInit: '#cloud-config\n',
  };
  const deployed = template.resources.map(
    (r) => deploy(r, params, 's', 'g') as { name: string; location: string; properties: { hardwareProfile?: { vmSize: string } } },
  );
  assert.deepEqual(
    deployed.map((d) => d.name),
    ['other-vnet', 'other-nsg', 'other-ip', 'other-nic', 'other'],
  );
  assert.ok(deployed.every((d) => d.location === 'northeurope'));
  const ip = deployed.find((d) => d.name === 'other-ip') as unknown as { properties: { dnsSettings: { domainNameLabel: string } } };
  assert.equal(ip.properties.dnsSettings.domainNameLabel, 'other-label');
  assert.equal(deployed.find((d) => d.name === 'other')!.properties.hardwareProfile!.vmSize, 'Standard_D2s_v5');
  assert.ok(!JSON.stringify(deployed).includes('web'), 'nothing of the original host name is left');
  assert.ok(!JSON.stringify(deployed).includes('203.0.113.7'), 'nor its allowed address');
});

test('the Docker install template deploys the Custom Script extension Install Docker on VM… sends, its script only in a secureObject parameter', () => {
  const options = { adminUser: 'ops', sshPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK0s ops@vm' };
  const { template, protectedSettings } = buildDockerInstallTemplate({ vmName: 'web', location: 'westeurope' }, options);
  const script = buildInstallScript(options);
  assert.deepEqual(protectedSettings, { script: Buffer.from(script).toString('base64') }, 'the very script the command sends');
  const text = JSON.stringify(template);
  for (const part of [protectedSettings.script, options.sshPublicKey, 'apt-get', 'usermod']) {
    assert.ok(!text.includes(part), `the template itself carries no part of the script (${part.slice(0, 20)}…)`);
  }
  const params = (template as { parameters: Record<string, { type: string; defaultValue?: unknown }> }).parameters;
  assert.equal(params.protectedSettings.type, 'secureObject');
  assert.equal(params.protectedSettings.defaultValue, undefined, 'a secure parameter has no default to leak');

  const [resource, ...more] = deployTemplate(template, { protectedSettings }, { subscriptionId: 's', resourceGroup: 'g' });
  assert.equal(more.length, 0);
  const { properties, ...rest } = resource as { properties: Record<string, unknown> };
  const { forceUpdateTag, ...settings } = properties;
  assert.deepEqual(rest, {
    type: 'Microsoft.Compute/virtualMachines/extensions',
    apiVersion: '2026-04-01',
    name: `web/${INSTALL_EXTENSION_NAME}`,
    location: 'westeurope',
  });
  assert.deepEqual(settings, {
    publisher: 'Microsoft.Azure.Extensions',
    type: 'CustomScript',
    typeHandlerVersion: '2.1',
    autoUpgradeMinorVersion: true,
    protectedSettings,
  });
  assert.ok(!Number.isNaN(Date.parse(forceUpdateTag as string)), 'each deployment gets a new tag, so a redeployment runs the script again');
  const other = deployTemplate(template, { protectedSettings, vmName: 'api' }, { subscriptionId: 's', resourceGroup: 'g' })[0];
  assert.equal(other.name, `api/${INSTALL_EXTENSION_NAME}`, 'the VM is a parameter');
});

test('the Docker install template refuses a key or user the script could not take, as the command does', () => {
  assert.throws(
    () => buildDockerInstallTemplate({ vmName: 'web', location: 'westeurope' }, { adminUser: 'ops', sshPublicKey: "x'; rm -rf /" }),
    /not one OpenSSH line/,
  );
  assert.throws(
    () => buildDockerInstallTemplate({ vmName: 'web', location: 'westeurope' }, { adminUser: 'Root User', sshPublicKey: 'ssh-ed25519 AAAA' }),
    /not a Linux user name/,
  );
});
