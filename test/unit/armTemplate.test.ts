import test from 'node:test';
import assert from 'node:assert/strict';
import { buildArmTemplate } from '../../src/core/azure/provisioning/armTemplate';
import { buildCloudConfig, encodeCustomData } from '../../src/core/azure/provisioning/cloudInit';
import { planProvisioning, vmBody, ProvisionRequest } from '../../src/core/azure/provisioning/plan';

/**
 * Just enough of ARM's template language to deploy what buildArmTemplate writes: parameters(),
 * concat(), resourceId() and base64(), with string literals. Anything else fails the test.
 */
function evaluate(expr: string, params: Record<string, string>, sub: string, rg: string): string {
  let pos = 0;
  const value = (): string => {
    if (expr[pos] === "'") {
      const end = expr.indexOf("'", pos + 1);
      const text = expr.slice(pos + 1, end);
      pos = end + 1;
      return text;
    }
    const name = /^[a-zA-Z0-9]+/.exec(expr.slice(pos))![0];
    pos += name.length + 1;
    const args: string[] = [];
    while (expr[pos] !== ')') {
      args.push(value());
      if (expr[pos] === ',') {
        pos++;
        while (expr[pos] === ' ') pos++;
      }
    }
    pos++;
    switch (name) {
      case 'parameters':
        assert.ok(args[0] in params, `parameter ${args[0]}`);
        return params[args[0]];
      case 'concat':
        return args.join('');
      case 'base64':
        return Buffer.from(args[0]).toString('base64');
      case 'resourceId': {
        const [type, ...names] = args;
        const segments = type.split('/');
        const path = [`${segments[0]}/${segments[1]}`, names[0], ...segments.slice(2).flatMap((t, i) => [t, names[i + 1]])].join('/');
        return `/subscriptions/${sub}/resourceGroups/${rg}/providers/${path}`;
      }
      default:
        throw new Error(`unsupported template function ${name}`);
    }
  };
  return value();
}

function deploy(node: unknown, params: Record<string, string>, sub: string, rg: string): unknown {
  if (typeof node === 'string' && node.startsWith('[') && node.endsWith(']')) {
    return evaluate(node.slice(1, -1), params, sub, rg);
  }
  if (Array.isArray(node)) {
    return node.map((n) => deploy(n, params, sub, rg));
  }
  if (node && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, deploy(v, params, sub, rg)]));
  }
  return node;
}

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
