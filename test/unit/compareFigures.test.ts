import test from 'node:test';
import assert from 'node:assert/strict';
import { figuresFor, glanceFor, HostInputs, pendingInputs, securitySummary } from '../../src/core/compare/hostFigures';
import { comparisonMarkdown } from '../../src/core/compare/compareMarkdown';
import { COMPARISON_ROWS } from '../../src/core/compare/comparisonFacts';
import { parseFromPage, type ContainerSecurity, type Figure } from '../../src/core/compare/protocol';
import { renderMarkdown } from '../support/markdownRender';

const ok = <T>(value: T) => ({ state: 'ok' as const, value });
const failed = (reason: string) => ({ state: 'failed' as const, reason });

const safe = (name: string): ContainerSecurity => ({
  name,
  root: false,
  privileged: false,
  hostNetwork: false,
  dockerSocket: false,
  addedCapabilities: [],
});

function measured(over: Partial<HostInputs> = {}): HostInputs {
  return {
    azure: ok({ vmSize: 'Standard_B2s', vCpus: 2, memoryMb: 4096, osDiskGb: 30, startsMs: [52_000, 61_000] }),
    engine: ok({ os: 'linux', arch: 'amd64' }),
    images: ok([
      { tags: ['busybox:latest'], size: 4_400_000 },
      { tags: ['myreg.azurecr.io/app:1', 'myreg.azurecr.io/app:latest'], size: 120_000_000 },
      { tags: [], size: 45_000_000 },
    ]),
    containers: ok([
      { name: 'web', running: true, security: { ...safe('web'), root: true, dockerSocket: true }, startMs: 400 },
      { name: 'job', running: false, security: safe('job'), startMs: 600 },
      { name: 'old', running: false, security: { ...safe('old'), addedCapabilities: ['NET_ADMIN'] } },
    ]),
    memory: ok([
      { name: 'web', bytes: 8_000_000 },
      { name: 'db', bytes: 40_000_000 },
    ]),
    ...over,
  };
}

const text = (f: Figure) => (f.state === 'value' ? f.text : f.state === 'unavailable' ? `unavailable: ${f.reason}` : 'measuring');

test('everything measuring while nothing has settled', () => {
  const figures = figuresFor(pendingInputs());
  assert.deepEqual(Object.keys(figures).sort(), COMPARISON_ROWS.map((r) => r.key).sort());
  for (const f of Object.values(figures)) {
    assert.deepEqual(f, { state: 'measuring' });
  }
  assert.deepEqual(glanceFor(pendingInputs()), { state: 'measuring' });
});

test('an Azure host with containers gets ratios on every measurable row', () => {
  const f = figuresFor(measured());
  // Median of 400 and 600 ms against the last VM start seen.
  assert.equal(text(f.startup), 'container start 500 ms vs VM start 52 s, 104× faster');
  assert.match(text(f.disk), /^OS disk 30 GiB vs median image 45 MB \(largest 120 MB, 3 images\): the median image is 716× smaller$/);
  assert.match(
    text(f.resources),
    /^VM Standard_B2s: 2 vCPU, 4\.3 GB memory; running containers use 8\.0 MB–40 MB \(median 24 MB, 2 measured\), 179× less than the VM$/,
  );
  assert.equal(text(f.isolation), 'Of 3 containers: 1 runs as root, 1 with the Docker socket mounted, 1 with added capabilities');
  assert.equal(text(f.portability), 'images here are for linux/amd64, 4.4 MB–120 MB each');
  assert.equal(text(f.automation), '3 image tags from myreg.azurecr.io (2), docker.io (1)');
});

test('the throwaway container, once measured, replaces the timestamps', () => {
  const f = figuresFor(measured({ probe: ok({ image: 'busybox:latest', ms: 380 }) }));
  assert.equal(text(f.startup), 'container start 380 ms vs VM start 52 s, 137× faster');
  assert.match((f.startup as { detail: string }).detail, /throwaway container from busybox:latest/);
  assert.deepEqual(figuresFor(measured({ probe: { state: 'pending' } })).startup, { state: 'measuring' });
});

test('a host that is not an Azure VM shows its own side and says why the VM side is missing', () => {
  const f = figuresFor(measured({ azure: ok(undefined) }));
  assert.equal(text(f.startup), 'container start 500 ms');
  assert.match((f.startup as { detail: string }).detail, /not an Azure VM/);
  assert.match(text(f.disk), /^median image 45 MB/);
  assert.match((f.disk as { detail: string }).detail, /OS disk: It is not an Azure VM/);
  assert.match(text(f.resources), /^running containers use/);
});

test('an Azure VM never seen starting asks for a start instead of inventing a figure', () => {
  const f = figuresFor(measured({ azure: ok({ vmSize: 'Standard_B2s', vCpus: 2, memoryMb: 4096, osDiskGb: 30, startsMs: [] }) }));
  assert.equal(text(f.startup), 'container start 500 ms');
  assert.match((f.startup as { detail: string }).detail, /has not seen this VM start yet; use Start Host VM/);
});

test('missing data on both sides gives both reasons, never a blank', () => {
  const f = figuresFor(
    measured({
      azure: ok(undefined),
      containers: ok([{ name: 'x', running: false, security: safe('x') }]),
      images: ok([]),
      memory: ok([]),
      engine: failed('version call refused'),
    }),
  );
  assert.match(text(f.startup), /^unavailable: No container here was started right after it was created.*not an Azure VM/);
  assert.match(text(f.disk), /^unavailable: There are no images on this host to measure\. It is not an Azure VM/);
  assert.match(text(f.resources), /^unavailable: No running containers to measure\./);
  assert.match(text(f.portability), /^unavailable: version call refused There are no images/);
  assert.match(text(f.automation), /^unavailable: The images here have no repository tags/);
});

test('an unreachable engine fails every Docker row with its reason, and the VM side still shows', () => {
  const down = failed('Connection refused by 10.0.0.4:2376.');
  const f = figuresFor(measured({ engine: down, images: down, containers: down, memory: down }));
  assert.equal(text(f.startup), 'VM start 52 s');
  assert.equal(text(f.disk), 'OS disk 30 GiB');
  assert.match(text(f.resources), /^VM Standard_B2s: 2 vCPU/);
  assert.equal(text(f.isolation), 'unavailable: Connection refused by 10.0.0.4:2376.');
  assert.deepEqual(glanceFor(measured({ containers: down })), { state: 'unavailable', reason: 'Connection refused by 10.0.0.4:2376.' });
});

test('security summary counts each risk and says so when there is none', () => {
  assert.equal(securitySummary([]), 'No containers on this host to check.');
  assert.match(securitySummary([safe('a'), safe('b')]), /^None of 2 containers runs as root/);
  assert.equal(
    securitySummary([
      { ...safe('a'), root: true, privileged: true, hostNetwork: true },
      { ...safe('b'), root: true },
    ]),
    "Of 2 containers: 2 run as root, 1 privileged, 1 on the host's network",
  );
});

test('Markdown keeps every row, the live column and the glance, with pipes escaped', () => {
  const inputs = measured();
  const md = comparisonMarkdown('prod|vm', figuresFor(inputs), glanceFor(inputs));
  const lines = md.trim().split('\n');
  assert.equal(lines[0], '| Topic | Virtual machines | Containers | Measured on prod\\|vm |');
  for (const row of COMPARISON_ROWS) {
    assert.ok(
      lines.some((l) => l.startsWith(`| ${row.topic} |`)),
      row.topic,
    );
  }
  assert.ok(renderMarkdown(md).text.includes('container start 500 ms vs VM start 52 s, 104× faster'));
  assert.ok(md.includes('| web | yes |  |  | yes |  |'));
  assert.ok(md.includes('| old |  |  |  |  | NET\\_ADMIN |'));
  assert.match(comparisonMarkdown('h', figuresFor(pendingInputs())), /\| measuring… \|/);
  assert.doesNotMatch(comparisonMarkdown(undefined, {}), /Measured on/);
});

test('Copy as Markdown pastes what a daemon named as text: no link, image or HTML in the table', () => {
  const evil = '[Open](https://evil.example) ![t](https://evil.example/t.png) <img src=x> `x` www.evil.example';
  const inputs = measured({
    containers: ok([{ name: evil, running: true, security: { ...safe(evil), root: true, addedCapabilities: [evil] }, startMs: 400 }]),
    engine: failed(`refused: ${evil}\n\n# Heading`),
  });
  const rendered = renderMarkdown(comparisonMarkdown(evil, figuresFor(inputs), glanceFor(inputs)));
  const markup = new Set(rendered.tags);
  for (const tag of ['a', 'img', 'h1', 'code']) {
    assert.equal(markup.has(tag), false, `no <${tag}> in ${rendered.html}`);
  }
  assert.ok(rendered.text.includes(`Measured on ${evil}`));
  assert.ok(rendered.text.includes(`${evil}`));
});

test('the page may only send the messages the protocol names', () => {
  assert.deepEqual(parseFromPage({ type: 'ready' }), { type: 'ready' });
  assert.deepEqual(parseFromPage({ type: 'pickHost', hostKey: 'local' }), { type: 'pickHost', hostKey: 'local' });
  assert.equal(parseFromPage({ type: 'pickHost' }), undefined);
  assert.equal(parseFromPage({ type: 'measureStart', hostKey: 3 }), undefined);
  assert.equal(parseFromPage({ type: 'runCommand', command: 'rm' }), undefined);
  assert.equal(parseFromPage(null), undefined);
  assert.equal(parseFromPage('ready'), undefined);
});
