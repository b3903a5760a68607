import { createCipheriv, createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Dockerode } from '../src/core/docker/vendor';
import { buildClassic } from '../src/core/docker/buildImage';
import { prepareBuildContext } from '../src/core/docker/buildContext';
import { BASE_IMAGE, importBusybox, run, startDockerd, toolEnv } from '../test/support/engines';
import { median, timed } from './imageTransfer';

export interface BuildResult {
  rounds: number;
  /** The context folder as generated, `.dockerignore`d files included. */
  files: number;
  megabytes: number;
  /** Files the build found under /app, the same for both sides or the bench fails. */
  filesInImage: number;
  /** Our tar's size, i.e. what crossed the socket on each of our builds. */
  sentMegabytes: number;
  /** Walking the folder and matching `.dockerignore`, before the first byte is sent. */
  prepareMs: number;
  /** Packing the whole tar with nowhere to send it: the local share of an upload. */
  tarMs: number;
  oursMs: number;
  cliMs: number;
}

const KEPT_DIRS = 50;

/**
 * Deterministic, incompressible bytes: AES-CTR over zeros with a key from the seed, so a rerun
 * sends the same context and neither side profits from compression.
 */
function byteStream(seed: string): (n: number) => Buffer {
  const key = createHash('sha256').update(seed).digest();
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16));
  return (n) => cipher.update(Buffer.alloc(n));
}

/**
 * `files` files of `megabytes` MB in all, half of the files and of the bytes excluded by a
 * `.dockerignore`: a folder (node_modules), a `**` glob (logs next to the sources) and a negation
 * re-including one file inside the excluded folder. Kept and excluded files come in pairs of the
 * same size, so the split is exact.
 */
export function writeContext(dir: string, files: number, megabytes: number): { keptFiles: number } {
  const bytes = byteStream('doa-bench-build-context');
  const pairs = files / 2;
  const mean = (megabytes * 1_000_000) / files;
  const sizes = bytes(pairs * 4);
  const reincluded = 'node_modules/pkg-0/package.json';
  for (let i = 0; i < pairs; i++) {
    // Sizes spread between 0.2× and 1.8× the mean, so the tar sees small and larger files alike.
    const size = Math.round(mean * (0.2 + (1.6 * sizes.readUInt32LE(i * 4)) / 0xffffffff));
    const sub = `src/mod-${i % KEPT_DIRS}/part-${i % 7}`;
    const kept = `${sub}/file-${i}.dat`;
    const excluded = i % 5 < 2 ? `${sub}/trace-${i}.log` : `node_modules/pkg-${i % 37}/lib/file-${i}.js`;
    for (const rel of [kept, excluded]) {
      fs.mkdirSync(path.join(dir, path.dirname(rel)), { recursive: true });
      fs.writeFileSync(path.join(dir, rel), bytes(size));
    }
  }
  fs.writeFileSync(path.join(dir, reincluded), bytes(512));
  fs.writeFileSync(path.join(dir, '.dockerignore'), `# dependencies come from the registry\nnode_modules\n**/*.log\n!${reincluded}\n`);
  fs.writeFileSync(path.join(dir, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY . /app\nRUN find /app -type f | wc -l > /count\n`);
  return { keptFiles: pairs + 3 };
}

export async function countInImage(host: string, tag: string): Promise<number> {
  const { stdout } = await run('docker', ['-H', host, 'run', '--rm', tag, 'cat', '/count']);
  return Number(stdout.trim());
}

/**
 * Our build (context walked, matched against `.dockerignore`, packed and streamed to the Engine
 * API) against `DOCKER_BUILDKIT=0 docker build`, same context and daemon, `--no-cache` on both so
 * every round uploads and copies everything. Each build's image is checked for the file count the
 * context should give, then removed.
 */
export async function measureBuild(files = 20_000, megabytes = 200, rounds = 3): Promise<BuildResult> {
  const dir = fs.mkdtempSync('/tmp/doa-bench-build-');
  const ctx = path.join(dir, 'ctx');
  const daemon = await startDockerd({ dir: `${dir}/d` });
  try {
    await importBusybox(daemon.socketPath);
    const docker = new Dockerode({ socketPath: daemon.socketPath });
    const { keptFiles } = writeContext(ctx, files, megabytes);
    const dockerfile = path.join(ctx, 'Dockerfile');

    const prepareMs = await timed(() => prepareBuildContext(ctx, dockerfile));
    const context = await prepareBuildContext(ctx, dockerfile);
    let sentBytes = 0;
    const tarMs = await timed(async () => {
      for await (const chunk of context.tar()) {
        sentBytes += (chunk as Buffer).length;
      }
    });

    const ours: number[] = [];
    const cli: number[] = [];
    const check = async (tag: string) => {
      const count = await countInImage(daemon.host, tag);
      if (count !== keptFiles) {
        throw new Error(`${tag} saw ${count} files under /app, expected ${keptFiles}: the two builds were not sent the same context`);
      }
      await run('docker', ['-H', daemon.host, 'image', 'rm', '-f', tag]);
    };
    const buildOurs = async (r: number) => {
      const tag = `bench/build-ours:${r}`;
      ours.push(await timed(() => buildClassic(docker, { contextDir: ctx, dockerfile, tag, noCache: true }, () => undefined)));
      await check(tag);
    };
    const buildCli = async (r: number) => {
      const tag = `bench/build-cli:${r}`;
      const env = toolEnv({ DOCKER_BUILDKIT: '0', DOCKER_CLI_HINTS: 'false' });
      cli.push(await timed(() => run('docker', ['-H', daemon.host, 'build', '--no-cache', '-t', tag, '-f', dockerfile, ctx], { env })));
      await check(tag);
    };
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        await buildOurs(r);
        await buildCli(r);
      } else {
        await buildCli(r);
        await buildOurs(r);
      }
    }
    return {
      rounds,
      files: files + 3,
      megabytes,
      filesInImage: keptFiles,
      sentMegabytes: sentBytes / 1_000_000,
      prepareMs,
      tarMs,
      oursMs: median(ours),
      cliMs: median(cli),
    };
  } finally {
    await daemon.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
