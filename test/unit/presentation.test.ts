import test from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerInfo, ImageInfo } from 'dockerode';
import {
  composeProjectModel,
  containerModel,
  formatAge,
  formatBytes,
  imageModel,
  imageRows,
  publishedPorts,
  sortContainers,
} from '../../src/core/docker/presentation';
import { markdownCode, markdownText } from '../../src/core/markdown';
import { assertInertTooltip, renderMarkdown, shownAs } from '../support/markdownRender';

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

/** What a hostile daemon can put in the strings it reports: the daemon, not Docker's rules, decides. */
const HOSTILE = {
  backtick: 'x` [Run](command:workbench.action.terminal.new) `y',
  fence: '``` ![t](https://evil.example/t.png) ```',
  edges: '`edges`',
  breakout: 'sh\n\n[link](command:evil)\n# Heading\r\n- item',
  html: '<img src=x onerror=alert(1)><b>bold</b>',
  autolinks: 'https://evil.example/login www.evil.example me@evil.example <https://evil.example>',
  entity: '&lt;img src=x&gt; &#96; \\` \\[a](b)',
};

test('markdownCode shows any string verbatim in one code span, markdownText as plain text', () => {
  const samples = [' ', '   ', '`', '``', ' `a` ', '  a  ', ' a', 'a``b```c`', '\\`', 'a\\', ...Object.values(HOSTILE)];
  for (const sample of samples) {
    const code = renderMarkdown(`x ${markdownCode(sample)} y`);
    assert.deepEqual(code.tags, ['p', 'code', 'code', 'p'], code.html);
    assert.deepEqual(code.codes, [shownAs(sample)], code.html);
    const text = renderMarkdown(`x ${markdownText(sample)} y`);
    assert.deepEqual(text.tags, ['p', 'p'], text.html);
    assert.equal(text.text, `x ${shownAs(sample)} y\n`, text.html);
  }
  assert.equal(markdownCode(''), '');
});

test('container tooltips show what the daemon reports as text and code, never as links, images or HTML', () => {
  const m = containerModel(
    'h',
    container({
      Names: [`/${HOSTILE.html}${HOSTILE.autolinks}`],
      Image: HOSTILE.backtick,
      Command: `${HOSTILE.breakout} ${HOSTILE.fence}`,
      State: HOSTILE.entity as never,
      Status: HOSTILE.autolinks,
      Id: HOSTILE.edges + 'a'.repeat(60),
      Ports: [{ IP: '<b>[x](https//evil.example)</b>', PrivatePort: 80, PublicPort: 8080, Type: 'tcp' }],
    }),
  );
  assertInertTooltip(
    m.tooltip!,
    [HOSTILE.backtick, `${HOSTILE.breakout} ${HOSTILE.fence}`, (HOSTILE.edges + 'a'.repeat(60)).slice(0, 12)],
    [`${HOSTILE.html}${HOSTILE.autolinks}`, `— ${HOSTILE.entity}`, `Status: ${HOSTILE.autolinks}`, 'Ports: <b>[x](https//evil.example)</b>:8080→80'],
  );
});

test('compose project and image tooltips keep labels, tags and IDs inert too', () => {
  const project = composeProjectModel('h', {
    name: HOSTILE.html,
    containers: [
      { State: 'running', Labels: { 'com.docker.compose.service': HOSTILE.backtick, 'com.docker.compose.project.working_dir': HOSTILE.breakout } },
      { State: 'exited', Labels: { 'com.docker.compose.service': HOSTILE.edges } },
    ],
  });
  assertInertTooltip(project.tooltip!, [HOSTILE.edges, HOSTILE.backtick, HOSTILE.breakout], [HOSTILE.html]);

  const [row] = imageRows([image({ Id: `sha256:${HOSTILE.fence}`, RepoTags: [`${HOSTILE.autolinks}:1`] })], false);
  assertInertTooltip(imageModel('h', row, Date.now()).tooltip!, [HOSTILE.fence.slice(0, 12)], [`${HOSTILE.autolinks}:1`]);
});
