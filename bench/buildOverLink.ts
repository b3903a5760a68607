/**
 * Deploy and redeploy over a link like one to an Azure VM (50 Mbit/s, 40 ms round trip; see
 * throttledLink.ts), for a 20,000-file, 200 MB context of which half is .dockerignored: the
 * extension's BuildKit build against what users run, `DOCKER_BUILDKIT=1 docker build` (Debian's
 * 20.10 client, which needs no buildx), and the classic builder the extension used before. Each
 * contender starts from an empty build cache; the redeploy follows a change to one 1 KB file.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as path from 'path';
import { Dockerode } from '../src/core/docker/vendor';
import { buildClassic, buildImage } from '../src/core/docker/buildImage';
import { importBusybox, run, startDockerd, toolEnv } from '../test/support/engines';
import { countInImage, writeContext } from './buildContext';
import { timed } from './imageTransfer';
import { startThrottledLink } from './throttledLink';

export interface LinkBuild {
  ms: number;
  /** Bytes from this machine to the daemon over the link. */
  upBytes: number;
}

export interface LinkBuildResult {
  files: number;
  megabytes: number;
  mbitPerSecond: number;
  rttMs: number;
  contenders: Record<'ours' | 'cli' | 'classic' | 'noLink', { first: LinkBuild; redeploy: LinkBuild }>;
}

const DEBIAN_DOCKER = '/usr/bin/docker';

export async function measureBuildOverLink(files = 20_000, megabytes = 200, mbitPerSecond = 50, rttMs = 40): Promise<LinkBuildResult> {
  const dir = fs.mkdtempSync('/tmp/doa-bench-link-');
  const ctx = path.join(dir, 'ctx');
  // A bridge, so RUN steps have the network BuildKit gives them by default.
  const daemon = await startDockerd({ dir: `${dir}/d`, bridge: true });
  const link = await startThrottledLink({ socketPath: daemon.socketPath, mbitPerSecond, rttMs });
  try {
    await importBusybox(daemon.socketPath);
    const { keptFiles } = writeContext(ctx, files, megabytes);
    const changed = path.join(ctx, 'src', 'settings.json');
    const dockerfile = path.join(ctx, 'Dockerfile');
    const docker = new Dockerode({ host: '127.0.0.1', port: link.port, protocol: 'http' } as never);
    const target = {
      docker,
      dial: () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(link.port, '127.0.0.1', () => resolve(s));
          s.once('error', reject);
        }),
    };
    // The same build on the daemon's own socket: what the daemon spends whatever the client does
    // (snapshotting the changed COPY layer, exporting the image), the floor for every contender.
    const local = {
      docker: new Dockerode({ socketPath: daemon.socketPath }),
      dial: () =>
        new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect(daemon.socketPath, () => resolve(s));
          s.once('error', reject);
        }),
    };
    const builders: Record<keyof LinkBuildResult['contenders'], (tag: string) => Promise<unknown>> = {
      ours: (tag) => buildImage(target, { contextDir: ctx, dockerfile, tag, clientId: 'bench' }, () => undefined),
      noLink: (tag) => buildImage(local, { contextDir: ctx, dockerfile, tag, clientId: 'bench-local' }, () => undefined),
      cli: (tag) =>
        run(DEBIAN_DOCKER, ['-H', `tcp://127.0.0.1:${link.port}`, 'build', '-q', '-t', tag, '-f', dockerfile, ctx], {
          env: toolEnv({ DOCKER_BUILDKIT: '1', DOCKER_CLI_HINTS: 'false' }),
        }),
      classic: (tag) => buildClassic(docker, { contextDir: ctx, dockerfile, tag }, () => undefined),
    };
    const contenders = {} as LinkBuildResult['contenders'];
    for (const [name, build] of Object.entries(builders) as [keyof typeof builders, (tag: string) => Promise<unknown>][]) {
      await run('docker', ['-H', daemon.host, 'builder', 'prune', '-af']);
      await run('docker', ['-H', daemon.host, 'image', 'prune', '-af']);
      await importBusybox(daemon.socketPath);
      fs.writeFileSync(changed, `${JSON.stringify({ build: 0, pad: 'x'.repeat(1000) })}\n`);
      const once = async (round: string): Promise<LinkBuild> => {
        const tag = `bench/link-${name.toLowerCase()}:${round}`;
        link.reset();
        const ms = await timed(() => build(tag));
        const upBytes = link.bytes().up;
        const count = await countInImage(daemon.host, tag);
        if (count !== keptFiles + 1) {
          throw new Error(`${name} ${round}: ${count} files under /app, expected ${keptFiles + 1}`);
        }
        return { ms, upBytes };
      };
      const first = await once('first');
      fs.writeFileSync(changed, `${JSON.stringify({ build: 1, pad: 'y'.repeat(1000) })}\n`);
      contenders[name] = { first, redeploy: await once('redeploy') };
    }
    return { files: files + 4, megabytes, mbitPerSecond, rttMs, contenders };
  } finally {
    await link.close();
    await daemon.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
