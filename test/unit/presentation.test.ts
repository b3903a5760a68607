import test from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInfo, ImageInfo } from 'dockerode';
import { containerModel, formatAge, formatBytes, imageModel, imageRows, publishedPorts, sortContainers } from '../../src/core/docker/presentation';

function container(over: Partial<ContainerInfo>): ContainerInfo {
  return {
    Id: 'a'.repeat(64),
    Names: ['/web'],
    Image: 'nginx:1.27',
    ImageID: 'sha256:1',
    Command: 'nginx -g daemon off;',
    Created: 1_700_000_000,
    Ports: [],
    Labels: {},
    State: 'running',
    Status: 'Up 5 minutes',
    HostConfig: { NetworkMode: 'bridge' },
    NetworkSettings: { Networks: {} },
    Mounts: [],
    ...over,
  } as ContainerInfo;
}

test('running containers come first, then by name', () => {
  const sorted = sortContainers([
    container({ Id: '1', Names: ['/zeta'], State: 'exited' }),
    container({ Id: '2', Names: ['/beta'], State: 'running' }),
    container({ Id: '3', Names: ['/alpha'], State: 'exited' }),
    container({ Id: '4', Names: ['/gamma'], State: 'running' }),
  ]);
  assert.deepEqual(
    sorted.map((c) => c.Names[0]),
    ['/beta', '/gamma', '/alpha', '/zeta'],
  );
});

test('published ports fold the IPv4/IPv6 twins and skip unpublished ones', () => {
  const ports = publishedPorts([
    { IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    { IP: '::', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' },
    { IP: '127.0.0.1', PrivatePort: 443, PublicPort: 8443, Type: 'tcp' },
    { PrivatePort: 9000, Type: 'tcp' } as never,
    { IP: '0.0.0.0', PrivatePort: 53, PublicPort: 5353, Type: 'udp' },
  ]);
  assert.deepEqual(ports, [
    { hostIp: '0.0.0.0', hostPort: 5353, containerPort: 53, protocol: 'udp' },
    { hostIp: '0.0.0.0', hostPort: 8080, containerPort: 80, protocol: 'tcp' },
    { hostIp: '127.0.0.1', hostPort: 8443, containerPort: 443, protocol: 'tcp' },
  ]);
});

test('a container row shows image, status and ports, and a state-based context value', () => {
  const m = containerModel('local', container({ Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }] }));
  assert.equal(m.id, `local/containers/${'a'.repeat(64)}`);
  assert.equal(m.label, 'web');
  assert.equal(m.description, 'nginx:1.27 · Up 5 minutes · 8080→80');
  assert.equal(m.contextValue, 'dockerContainer running hasPorts');
  assert.equal(m.icon, 'pass-filled');
  assert.match(m.tooltip!, /Command: `nginx -g daemon off;`/);
  const stopped = containerModel('local', container({ State: 'exited', Status: 'Exited (0) 1 hour ago' }));
  assert.equal(stopped.contextValue, 'dockerContainer exited');
  assert.equal(stopped.description, 'nginx:1.27 · Exited (0) 1 hour ago');
  assert.notEqual(stopped.icon, m.icon);
});

function image(over: Partial<ImageInfo>): ImageInfo {
  return {
    Id: 'sha256:' + 'b'.repeat(64),
    ParentId: '',
    RepoTags: [],
    RepoDigests: [],
    Created: 1_700_000_000,
    Size: 4_500_000,
    VirtualSize: 0,
    SharedSize: 0,
    Labels: {},
    Containers: 1,
    ...over,
  } as ImageInfo;
}

test('one image row per tag; dangling images only when asked for', () => {
  const images = [
    image({ Id: 'sha256:1', RepoTags: ['web:1', 'web:latest'] }),
    image({ Id: 'sha256:2', RepoTags: ['<none>:<none>'] }),
    image({ Id: 'sha256:3', RepoTags: [], RepoDigests: ['myreg.example/app@sha256:abc'] }),
  ];
  assert.deepEqual(
    imageRows(images, false).map((r) => r.reference),
    ['myreg.example/app:<none>', 'web:1', 'web:latest'],
  );
  const withDangling = imageRows(images, true);
  assert.deepEqual(
    withDangling.map((r) => r.dangling),
    [true, false, false, false],
  );
});

test('an image row shows size and age', () => {
  const now = (1_700_000_000 + 3 * 86400) * 1000;
  const [row] = imageRows([image({ RepoTags: ['local/busybox:1'] })], false);
  const m = imageModel('h', row, now);
  assert.equal(m.label, 'local/busybox:1');
  assert.equal(m.description, '4.50 MB · 3 days ago');
  assert.equal(m.contextValue, 'dockerImage');
});

test('sizes use decimal units as the Docker CLI does; ages read naturally', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1_000), '1.00 kB');
  assert.equal(formatBytes(72_800_000), '72.8 MB');
  assert.equal(formatBytes(1_230_000_000), '1.23 GB');
  assert.equal(formatBytes(-1), '?');
  assert.equal(formatAge(0, 500), 'just now');
  assert.equal(formatAge(0, 45_000), '45 seconds ago');
  assert.equal(formatAge(0, 60_000), '1 minute ago');
  assert.equal(formatAge(0, 2 * 3600_000), '2 hours ago');
  assert.equal(formatAge(0, 400 * 86400_000), '1 year ago');
});
