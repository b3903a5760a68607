import test from 'node:test';
import assert from 'node:assert/strict';
import { advertiseAddressFor } from '../../src/core/swarm/createSwarm';
import { swarmError } from '../../src/core/swarm/swarmApi';
import { groupStacks, parseNode, parseService, parseTask, tasksOf } from '../../src/core/swarm/swarmModel';
import { swarmNodeModel, swarmServiceModel, swarmTaskModel } from '../../src/core/swarm/swarmPresentation';
import { assertInertTooltip } from '../support/markdownRender';

const task = (over: Record<string, unknown>) => ({
  ID: 't',
  ServiceID: 's1',
  NodeID: 'n1',
  Slot: 1,
  DesiredState: 'running',
  Status: { State: 'running' },
  UpdatedAt: '2026-01-01T00:00:00Z',
  ...over,
});

test('replica counts come from the one task list: only tasks that run and are meant to run count', () => {
  const tasks = [
    task({ ID: 'a' }),
    task({ ID: 'b', Slot: 2, Status: { State: 'starting' } }),
    task({ ID: 'c', Slot: 1, DesiredState: 'shutdown', Status: { State: 'running' } }),
    task({ ID: 'd', ServiceID: 'other' }),
  ].map(parseTask);
  const s = parseService(
    {
      ID: 's1',
      Spec: { Name: 'web', Mode: { Replicated: { Replicas: 3 } }, TaskTemplate: { ContainerSpec: { Image: 'nginx:1@sha256:' + 'a'.repeat(64) } } },
      Endpoint: { Ports: [{ PublishedPort: 8080, TargetPort: 80, Protocol: 'tcp', PublishMode: 'host' }] },
    },
    tasks,
  );
  assert.deepEqual(s, {
    id: 's1',
    name: 'web',
    image: 'nginx:1',
    mode: 'replicated',
    desired: 3,
    running: 1,
    ports: [{ published: 8080, target: 80, protocol: 'tcp', mode: 'host' }],
    stack: undefined,
    updateState: undefined,
    hasPreviousSpec: false,
  });
  const global = parseService({ ID: 'other', Spec: { Name: 'agent', Mode: { Global: {} } }, PreviousSpec: { Name: 'agent' } }, tasks);
  assert.equal(global.mode, 'global');
  assert.equal(global.desired, 1);
  assert.equal(global.hasPreviousSpec, true, 'an updated service has its earlier spec to roll back to');
});

test('a daemon answer of the wrong shape reads as empty fields, not a crash', () => {
  assert.deepEqual(parseNode({ ID: 42, Spec: 'x', Description: null }), {
    id: '',
    hostname: '',
    role: 'worker',
    availability: 'active',
    status: 'unknown',
    address: '',
    engineVersion: '',
    leader: false,
    managerReachability: undefined,
  });
  assert.equal(parseService(null, []).mode, 'unknown');
  assert.equal(parseTask([]).state, 'unknown');
});

test('stacks group services by com.docker.stack.namespace; tasks sort by slot, the current one first', () => {
  const tasks = [
    task({ ID: 'old', Slot: 1, DesiredState: 'shutdown', Status: { State: 'failed' }, UpdatedAt: '2026-01-01T00:00:01Z' }),
    task({ ID: 'two', Slot: 2 }),
    task({ ID: 'new', Slot: 1, UpdatedAt: '2026-01-01T00:00:02Z' }),
  ].map(parseTask);
  assert.deepEqual(
    tasksOf({ tasks }, 's1').map((t) => t.id),
    ['new', 'old', 'two'],
  );
  const svc = (name: string, stack?: string) =>
    parseService({ ID: name, Spec: { Name: name, Labels: stack ? { 'com.docker.stack.namespace': stack } : {} } }, []);
  assert.deepEqual(
    groupStacks([svc('a', 'shop'), svc('b'), svc('c', 'blog'), svc('d', 'shop')]).map((s) => [s.name, s.services.map((x) => x.name)]),
    [
      ['blog', ['c']],
      ['shop', ['a', 'd']],
    ],
  );
});

test('rows: what a node, service and task show; daemon strings stay inert in tooltips', () => {
  const node = parseNode({
    ID: 'abc',
    Spec: { Role: 'manager', Availability: 'drain' },
    Status: { State: 'down', Addr: '10.0.0.1' },
    Description: { Hostname: 'vm-[1](https://evil.example)', Engine: { EngineVersion: '20.10.24' } },
    ManagerStatus: { Leader: true, Reachability: 'reachable' },
  });
  const row = swarmNodeModel('c', node);
  assert.equal(row.description, 'manager (leader) · drain · down · 20.10.24');
  assert.equal(row.contextValue, 'swarmNode manager leader drain down');
  assert.equal(row.iconColor, 'charts.red');
  assertInertTooltip(row.tooltip!, ['10.0.0.1', '20.10.24', 'abc'], ['vm-[1](https://evil.example)']);

  const service = parseService(
    {
      ID: 's1',
      Spec: {
        Name: 'web',
        Mode: { Replicated: { Replicas: 2 } },
        TaskTemplate: { ContainerSpec: { Image: 'nginx' } },
        EndpointSpec: { Ports: [{ TargetPort: 53, Protocol: 'udp' }] },
      },
    },
    [parseTask(task({}))],
  );
  assert.equal(swarmServiceModel('c', service).description, '1/2 · nginx · 53/udp');
  assert.equal(swarmServiceModel('c', service).iconColor, 'charts.yellow');

  const failed = parseTask(task({ Status: { State: 'failed', Err: 'task: non-zero exit (1)' }, DesiredState: 'shutdown' }));
  const t = swarmTaskModel('row', 'web', failed, 'n2');
  assert.equal(t.label, 'web.1');
  assert.equal(t.description, 'n2 · failed → shutdown · task: non-zero exit (1)');
});

test('the advertise address comes from a tcp:// or ssh:// address; a socket or loopback names no reachable place', () => {
  assert.equal(advertiseAddressFor('tcp://10.1.2.3:2376'), '10.1.2.3');
  assert.equal(advertiseAddressFor('ssh://azureuser@vm1.westeurope.cloudapp.azure.com'), 'vm1.westeurope.cloudapp.azure.com');
  assert.equal(advertiseAddressFor('unix:///var/run/docker.sock'), undefined);
  assert.equal(advertiseAddressFor('tcp://127.0.0.1:2376'), undefined);
  assert.equal(advertiseAddressFor('ssh://localhost'), undefined);
  assert.equal(advertiseAddressFor('not an address'), undefined);
});

test('a swarm without a leader says what happened and what to do; other errors pass as they came', () => {
  const noLeader = swarmError(
    new Error(
      "(HTTP code 503) unexpected - rpc error: code = Unknown desc = The swarm does not have a leader. It's possible that too few managers are online.",
    ),
  );
  assert.match(String((noLeader as Error).message), /lost its quorum.*--force-new-cluster/);
  assert.match(String((swarmError(new Error('This node is not a swarm manager.')) as Error).message), /no longer a manager/);
  const other = new Error('no such service');
  assert.equal(swarmError(other), other);
});
