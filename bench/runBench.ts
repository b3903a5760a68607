/**
 * `npm run bench`: measures the extension against the obvious alternatives in the same run and
 * prints ratios. Nothing here is asserted; the numbers are for people (and CHANGELOG notes).
 */
import * as fs from 'fs';
import * as path from 'path';
import { measureActivation } from './activation';
import { measureListing } from './treeListing';
import { measureDiscovery } from './azureDiscovery';
import { measureProvisioning } from './provisioning';
import { measureWorkbench } from './workbenchTiming';
import { measurePush } from './pushImage';
import { measureCopy } from './copyImage';
import { measureBuild } from './buildContext';
import { measureBuildOverLink } from './buildOverLink';
import { measureSwarmListing } from './swarmListing';
import { measureServiceUpdate } from './serviceUpdate';
import { measureStackDeploy } from './stackDeploy';
import { BASE_IMAGE, importBusybox, startDockerd } from '../test/support/engines';

const root = path.resolve(__dirname, '..', '..');
const HOSTS = 10;
const CONTAINERS = 100;

function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(2)}×`;
}

async function createContainers(socketPath: string, count: number): Promise<void> {
  const { Dockerode } = await import('../src/core/docker/vendor');
  const docker = new Dockerode({ socketPath });
  for (let i = 0; i < count; i += 10) {
    await Promise.all(
      Array.from({ length: Math.min(10, count - i) }, (_, j) =>
        docker.createContainer({ Image: BASE_IMAGE, Cmd: ['sleep', '1'], name: `bench-${i + j}`, Labels: { 'bench.index': String(i + j) } }),
      ),
    );
  }
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = {};
  console.log('# Docker on Azure benchmarks\n');

  const act = measureActivation();
  results.activation = act;
  console.log('## Bundle and activation');
  console.log(
    `main bundle (dist/extension.js, minified): ${(act.bundleBytes / 1024).toFixed(1)} KB — ${ratio(act.bundleBytes, 300 * 1024)} of the 300 KB budget`,
  );
  console.log(`lazy vendor bundle (dockerode + ssh2, loaded on first connection): ${(act.vendorBytes / 1024).toFixed(1)} KB`);
  console.log(
    `require + activate(), median of ${act.samples} cold processes: ${act.activateMs.toFixed(2)} ms (budget 20 ms: ${ratio(act.activateMs, 20)})`,
  );
  console.log(
    `  with Node's built-in modules already loaded, as in VS Code's extension host: ${act.warmBuiltinsActivateMs.toFixed(2)} ms (budget: ${ratio(act.warmBuiltinsActivateMs, 20)})`,
  );
  console.log(
    `  empty extension, same harness: ${act.emptyActivateMs.toFixed(2)} ms → ours costs ${ratio(act.activateMs, act.emptyActivateMs)} an empty one`,
  );
  console.log(
    `  if Docker/SSH clients loaded at activation: ${act.eagerActivateMs.toFixed(2)} ms → lazy loading is ${ratio(act.eagerActivateMs, act.activateMs)} faster\n`,
  );

  const dir = fs.mkdtempSync('/tmp/doa-bench-');
  const daemon = await startDockerd({ dir });
  try {
    await importBusybox(daemon.socketPath);
    await createContainers(daemon.socketPath, CONTAINERS);
    const listing = await measureListing(daemon.socketPath, HOSTS, CONTAINERS);
    results.listing = listing;
    console.log(`## Listing ${HOSTS} hosts × ${CONTAINERS} containers (one dockerd behind ${HOSTS} addresses), median of ${listing.rounds}`);
    console.log(`whole tree (hosts → containers + images, all hosts at once): ${listing.treeMs.toFixed(0)} ms`);
    console.log(
      `docker CLI, ps -a + images per host, one host after another: ${listing.cliSequentialMs.toFixed(0)} ms → tree is ${ratio(listing.cliSequentialMs, listing.treeMs)} faster`,
    );
    console.log(`one host alone: tree ${listing.singleHostTreeMs.toFixed(0)} ms, CLI ${listing.cliSingleHostMs.toFixed(0)} ms`);
    console.log(`ten hosts cost ${ratio(listing.treeMs, listing.singleHostTreeMs)} one host in the tree (the sum would be ${HOSTS}×)`);
  } finally {
    await daemon.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  const push = await measurePush();
  results.push = push;
  console.log(`\n## Push: an image with a ${push.megabytes} MB layer of its own to a fresh repository of a local registry, median of ${push.rounds}`);
  console.log(
    `ours ${push.oursMs.toFixed(0)} ms, docker tag + push ${push.cliMs.toFixed(0)} ms → ours takes ${ratio(push.oursMs, push.cliMs)} as long as the CLI`,
  );

  const copy = await measureCopy();
  results.copy = copy;
  console.log(`\n## Copy to host: ${(copy.bytes / 1024 / 1024).toFixed(1)} MB image between two daemons, median of ${copy.rounds}`);
  console.log(
    `ours (save streamed into load) ${copy.oursMs.toFixed(0)} ms, docker save | docker -H other load ${copy.cliMs.toFixed(0)} ms → ours takes ${ratio(copy.oursMs, copy.cliMs)} as long as the CLI`,
  );

  const build = await measureBuild();
  results.build = build;
  console.log(
    `\n## Build: ${build.files} files, ${build.megabytes} MB, half of them .dockerignored (a folder, a ** glob, a negation), classic builder, --no-cache, median of ${build.rounds}`,
  );
  console.log(
    `context sent: ${build.filesInImage} files, ${build.sentMegabytes.toFixed(1)} MB of tar (walk and .dockerignore ${build.prepareMs.toFixed(0)} ms, packing alone ${build.tarMs.toFixed(0)} ms); both images count ${build.filesInImage} files in /app`,
  );
  console.log(
    `ours (context upload + build) ${build.oursMs.toFixed(0)} ms, DOCKER_BUILDKIT=0 docker build ${build.cliMs.toFixed(0)} ms → ours takes ${ratio(build.oursMs, build.cliMs)} as long as the CLI`,
  );

  const link = await measureBuildOverLink();
  results.buildOverLink = link;
  const { ours, cli, classic, noLink } = link.contenders;
  const mb = (b: number) => `${(b / 1_000_000).toFixed(2)} MB`;
  const line = (what: string, b: { ms: number; upBytes: number }) => `${what} ${(b.ms / 1000).toFixed(2)} s, ${mb(b.upBytes)} up`;
  console.log(
    `\n## Deploy over a link like an Azure VM's (${link.mbitPerSecond} Mbit/s, ${link.rttMs} ms RTT): ${link.files} files, ${link.megabytes} MB, half .dockerignored`,
  );
  for (const [what, key] of [
    ['first deploy', 'first'],
    ['redeploy after a 1 KB change', 'redeploy'],
  ] as const) {
    console.log(
      `${what}: ${line('ours (BuildKit)', ours[key])}; ${line('DOCKER_BUILDKIT=1 docker build', cli[key])}; ${line('classic builder', classic[key])}`,
    );
    console.log(
      `  ours vs BuildKit CLI: time ${ratio(ours[key].ms, cli[key].ms)}, bytes ${ratio(ours[key].upBytes, cli[key].upBytes)} (goal ≤ 1.10×); classic takes ${ratio(classic[key].ms, ours[key].ms)} as long as ours`,
    );
    const overLink = (b: { ms: number }) => Math.max(1, b.ms - noLink[key].ms);
    console.log(
      `  the same build with no link (daemon's socket): ${(noLink[key].ms / 1000).toFixed(2)} s, the floor for every client; above it, classic takes ${ratio(overLink(classic[key]), overLink(ours[key]))} as long as ours, the BuildKit CLI ${ratio(overLink(cli[key]), overLink(ours[key]))}`,
    );
  }

  const swarm = await measureSwarmListing();
  results.swarmListing = swarm;
  console.log(`\n## Swarms tree on a real 3-node swarm (tasks kept pending), median of ${swarm.samples}`);
  for (const r of swarm.rounds) {
    console.log(
      `${r.services} services × 10 (${r.tasks} tasks): ${r.calls} API calls, ${r.ms.toFixed(0)} ms; one task call per service: ${r.perServiceCalls} calls, ${r.perServiceMs.toFixed(0)} ms → ${ratio(r.perServiceMs, r.ms)} as long`,
    );
  }
  const [small, large] = swarm.rounds;
  console.log(
    `10× the services and tasks: ${large.calls / small.calls}× the calls (flat), ${ratio(large.ms, small.ms)} the time (the bytes the answers carry)`,
  );

  const update = await measureServiceUpdate();
  results.serviceUpdate = update;
  console.log(`\n## Rolling image update of a ${update.replicas}-replica service on a 3-node swarm, to converged, median of ${update.rounds}`);
  console.log(
    `ours ${(update.oursMs / 1000).toFixed(2)} s, docker service update --image ${(update.cliMs / 1000).toFixed(2)} s → ours takes ${ratio(update.oursMs, update.cliMs)} as long as the CLI`,
  );

  const stack = await measureStackDeploy();
  results.stackDeploy = stack;
  console.log(`\n## Stack deploy on a real 3-node swarm until ${stack.replicas} replicas run, median of ${stack.samples}`);
  console.log(
    `ours (Engine API): ${stack.oursMs.toFixed(0)} ms; docker stack deploy -c: ${stack.cliMs.toFixed(0)} ms → ours takes ${ratio(stack.oursMs, stack.cliMs)} as long`,
  );

  const disc = await measureDiscovery();
  results.azureDiscovery = disc;
  console.log(`\n## Azure discovery: ${disc.subscriptions} subscriptions × ${disc.vmsPerSubscription} VMs through the ARM emulator`);
  console.log(`ours (VMs with status, NICs and public IPs listed per subscription): ${disc.oursCalls} ARM calls, ${disc.oursMs.toFixed(0)} ms`);
  console.log(
    `naive (list VMs, then instance view, NIC and public IP per VM, 10 at a time): ${disc.naiveCalls} ARM calls, ${disc.naiveMs.toFixed(0)} ms → ours makes ${ratio(disc.naiveCalls, disc.oursCalls)} fewer calls and is ${ratio(disc.naiveMs, disc.oursMs)} faster`,
  );

  const prov = await measureProvisioning();
  results.provisioning = prov;
  console.log(
    `\n## Provisioning a host through the ARM emulator (network operations ${prov.networkMs / 1000} s, VM creation ${prov.computeMs / 1000} s, polled every 1 s)`,
  );
  console.log(`ours (network pieces and public IP in parallel): ${(prov.parallelMs / 1000).toFixed(1)} s, ${prov.parallelCalls} ARM calls`);
  console.log(
    `one resource after another: ${(prov.sequentialMs / 1000).toFixed(1)} s, ${prov.sequentialCalls} ARM calls → ours is ${ratio(prov.sequentialMs, prov.parallelMs)} faster`,
  );

  const wb = await measureWorkbench();
  results.workbench = wb;
  console.log(
    `\n## In the workbench: code-server ${wb.codeServerVersion}, real dockerd with ${wb.containers} running containers, median of ${wb.runs} fresh profiles each`,
  );
  console.log(`page load → activity-bar icon (the workbench itself): ours ${wb.ours.iconMs.toFixed(0)} ms, empty ${wb.empty.iconMs.toFixed(0)} ms`);
  console.log(
    `page load → first container row in Other Docker Hosts ("Local engine" expanded the moment it appears): ${wb.ours.targetRowMs.toFixed(0)} ms`,
  );
  console.log(
    `page load → the empty extension's one row: ${wb.empty.targetRowMs.toFixed(0)} ms → ours takes ${ratio(wb.ours.targetRowMs, wb.empty.targetRowMs)} as long`,
  );
  console.log(
    `  ours to its first row of any kind ("Local engine"): ${wb.ours.firstRowMs.toFixed(0)} ms (${ratio(wb.ours.firstRowMs, wb.empty.firstRowMs)} the empty one)`,
  );
  console.log(
    `  from the icon click, the workbench's own load taken out: ours ${wb.ours.iconToTargetRowMs.toFixed(0)} ms, empty ${wb.empty.iconToTargetRowMs.toFixed(0)} ms → ${ratio(wb.ours.iconToTargetRowMs, wb.empty.iconToTargetRowMs)}`,
  );
  console.log(
    `activation as "Developer: Show Running Extensions" reports it: ours ${wb.ours.activationMs} ms, empty ${wb.empty.activationMs} ms → ${ratio(wb.ours.activationMs, wb.empty.activationMs)}`,
  );
  const outDir = path.join(root, 'bench-results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'latest.json'), JSON.stringify(results, null, 2));
  console.log(`\nRaw figures: ${path.relative(process.cwd(), path.join(outDir, 'latest.json'))}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
