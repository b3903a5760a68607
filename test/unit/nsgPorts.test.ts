import test from 'node:test';
import assert from 'node:assert/strict';
import type { SecurityRule } from '@azure/arm-network';
import { daemonSource, freePriorities, planPortRules, portRule, portsToOpen, validateSource } from '../../src/core/azure/nsgPorts';

const allow = (over: Partial<SecurityRule>): SecurityRule => ({
  protocol: 'Tcp',
  access: 'Allow',
  direction: 'Inbound',
  priority: 1000,
  sourceAddressPrefix: '*',
  sourcePortRange: '*',
  destinationAddressPrefix: '*',
  destinationPortRange: '22',
  ...over,
});

test('a port already allowed for anyone, or for the chosen source, is not opened again', () => {
  const rules = [
    allow({ destinationPortRange: '8000-8100', sourceAddressPrefix: 'Internet' }),
    allow({ destinationPortRange: '443', sourceAddressPrefix: '203.0.113.0/24', priority: 1010 }),
    allow({ destinationPortRanges: ['9000', '9001'], priority: 1020 }),
  ];
  assert.deepEqual(
    portsToOpen(
      rules,
      [
        { port: 8080, protocol: 'tcp' },
        { port: 443, protocol: 'tcp' },
        { port: 9001, protocol: 'tcp' },
        { port: 9002, protocol: 'tcp' },
      ],
      '203.0.113.0/24',
    ),
    [{ port: 9002, protocol: 'tcp' }],
  );
  assert.deepEqual(
    portsToOpen(rules, [{ port: 443, protocol: 'tcp' }], '198.51.100.7'),
    [{ port: 443, protocol: 'tcp' }],
    'another source is not let in',
  );
});

test('deny rules, outbound rules and another protocol do not count as open', () => {
  const rules = [
    allow({ destinationPortRange: '80', access: 'Deny' }),
    allow({ destinationPortRange: '80', direction: 'Outbound', priority: 1010 }),
    allow({ destinationPortRange: '80', protocol: 'Udp', priority: 1020 }),
  ];
  assert.deepEqual(portsToOpen(rules, [{ port: 80, protocol: 'tcp' }], '*'), [{ port: 80, protocol: 'tcp' }]);
  assert.deepEqual(portsToOpen([allow({ destinationPortRange: '*', protocol: '*' })], [{ port: 53, protocol: 'udp' }], '*'), []);
});

test('the default source is the one the host already trusts for SSH or the Docker daemon', () => {
  assert.equal(
    daemonSource([
      allow({ destinationPortRange: '80', sourceAddressPrefix: '*' }),
      allow({ destinationPortRange: '2376', sourceAddressPrefix: '198.51.100.7/32' }),
    ]),
    '198.51.100.7/32',
    'an app port open to anyone does not widen the default',
  );
  assert.equal(daemonSource([allow({ destinationPortRange: '20-25', sourceAddressPrefix: 'Internet' })]), 'Internet');
  assert.equal(daemonSource([allow({ destinationPortRange: '80' })]), undefined);
});

test('sources are validated as ARM accepts them', () => {
  for (const ok of ['*', 'Internet', '203.0.113.7', '203.0.113.0/24', 'AzureCloud.westeurope']) {
    assert.equal(validateSource(ok), undefined, ok);
  }
  for (const bad of ['', '300.1.1.1', '10.0.0.0/33', 'my office', '10.0.0']) {
    assert.match(validateSource(bad) ?? '', /IPv4 address/, bad);
  }
});

test('new rules take free priorities above the host rules, and say there is no room when there is none', () => {
  assert.deepEqual(freePriorities([allow({ priority: 1100 }), allow({ priority: 1120 })], 3), [1110, 1130, 1140]);
  const full = Array.from({ length: 300 }, (_, i) => allow({ priority: 1100 + i * 10 }));
  assert.throws(() => freePriorities(full, 1), /no free rule priority/);
  assert.deepEqual(portRule({ port: 8080, protocol: 'udp' }, '*', 1100), {
    protocol: 'Udp',
    access: 'Allow',
    direction: 'Inbound',
    priority: 1100,
    sourceAddressPrefix: '*',
    sourcePortRange: '*',
    destinationAddressPrefix: '*',
    destinationPortRange: '8080',
    description: 'Opened by Docker on Azure for a deployed container',
  });
});

const ours = (port: number, over: Partial<SecurityRule>): SecurityRule => ({
  ...portRule({ port, protocol: 'tcp' }, '198.51.100.7', 1100),
  name: `docker-on-azure-tcp-${port}`,
  id: `/subscriptions/s/resourceGroups/rg/providers/Microsoft.Network/networkSecurityGroups/n/securityRules/docker-on-azure-tcp-${port}`,
  etag: 'W/"1"',
  provisioningState: 'Succeeded',
  sourceAddressPrefixes: [],
  ...over,
});

test("a second source joins the extension's own rule for the port: the first keeps its access, the priority stays", () => {
  const ssh = allow({ name: 'SSH', sourceAddressPrefix: '198.51.100.7' });
  const [write, ...more] = planPortRules([ssh, ours(8080, {})], [{ port: 8080, protocol: 'tcp' }], '203.0.113.7');
  assert.deepEqual(more, []);
  assert.equal(write.name, 'docker-on-azure-tcp-8080');
  const { sourceAddressPrefix, ...rest } = portRule({ port: 8080, protocol: 'tcp' }, '198.51.100.7', 1100);
  assert.equal(sourceAddressPrefix, '198.51.100.7');
  assert.deepEqual(write.rule, { ...rest, sourceAddressPrefixes: ['198.51.100.7', '203.0.113.7'] }, 'one list of sources, no read-only fields');
  // A third joins the list in turn; one already in it (in either spelling) writes nothing.
  const two = ours(8080, { sourceAddressPrefix: undefined, sourceAddressPrefixes: ['198.51.100.7', '203.0.113.7'] });
  assert.deepEqual(planPortRules([two], [{ port: 8080, protocol: 'tcp' }], '192.0.2.0/24')[0].rule.sourceAddressPrefixes, [
    '198.51.100.7',
    '203.0.113.7',
    '192.0.2.0/24',
  ]);
  assert.deepEqual(planPortRules([two], [{ port: 8080, protocol: 'tcp' }], '203.0.113.7/32'), []);
});

test("a rule that only shares the extension's name is the user's: the new source gets a rule of its own beside it", () => {
  const theirs = allow({ name: 'docker-on-azure-tcp-8080', destinationPortRange: '8080', sourceAddressPrefix: '192.0.2.1', priority: 1100 });
  const taken = allow({ name: 'DOCKER-ON-AZURE-TCP-8080-2', destinationPortRange: '9', priority: 1110 });
  assert.deepEqual(planPortRules([theirs, taken], [{ port: 8080, protocol: 'tcp' }], '203.0.113.7'), [
    { name: 'docker-on-azure-tcp-8080-3', rule: portRule({ port: 8080, protocol: 'tcp' }, '203.0.113.7', 1120) },
  ]);
});

test('a tag or anyone cannot share an address list: such a source, or one beside a tagged rule, gets a rule of its own', () => {
  const mine = ours(8080, {});
  assert.deepEqual(planPortRules([mine], [{ port: 8080, protocol: 'tcp' }], 'AzureCloud'), [
    { name: 'docker-on-azure-tcp-8080-2', rule: portRule({ port: 8080, protocol: 'tcp' }, 'AzureCloud', 1110) },
  ]);
  const tagged = ours(8080, { sourceAddressPrefix: 'AzureCloud.westeurope' });
  assert.deepEqual(planPortRules([tagged], [{ port: 8080, protocol: 'tcp' }], '203.0.113.7'), [
    { name: 'docker-on-azure-tcp-8080-2', rule: portRule({ port: 8080, protocol: 'tcp' }, '203.0.113.7', 1110) },
  ]);
  // Two ports at once: one joins the existing rule, the other takes the first free priority.
  assert.deepEqual(
    planPortRules(
      [mine],
      [
        { port: 8080, protocol: 'tcp' },
        { port: 9090, protocol: 'tcp' },
        { port: 9090, protocol: 'tcp' },
      ],
      '203.0.113.7',
    ).map((w) => [w.name, w.rule.priority]),
    [
      ['docker-on-azure-tcp-8080', 1100],
      ['docker-on-azure-tcp-9090', 1110],
    ],
  );
});

test("the rule for 2376 says it is the Docker daemon's TLS port, and a second source still joins it", () => {
  assert.equal(portRule({ port: 2376, protocol: 'tcp' }, '198.51.100.7', 1100).description, 'Opened by Docker on Azure for the Docker daemon (mutual TLS)');
  const [write] = planPortRules([ours(2376, {})], [{ port: 2376, protocol: 'tcp' }], '203.0.113.7');
  assert.equal(write.name, 'docker-on-azure-tcp-2376');
  assert.deepEqual(write.rule.sourceAddressPrefixes, ['198.51.100.7', '203.0.113.7']);
});
