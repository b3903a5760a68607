/** Shared by the push and copy benchmarks: images no engine or registry has seen, and medians. */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import type Dockerode from 'dockerode';
import { buildClassic } from '../src/core/docker/buildImage';
import { BASE_IMAGE } from '../test/support/engines';

/** The busybox base plus one layer of `megabytes` of random data (incompressible, unique). */
export async function buildPayloadImage(docker: Dockerode, dir: string, tag: string, megabytes: number): Promise<void> {
  const ctx = fs.mkdtempSync(path.join(dir, 'ctx-'));
  fs.writeFileSync(path.join(ctx, 'payload'), randomBytes(megabytes * 1024 * 1024));
  fs.writeFileSync(path.join(ctx, 'Dockerfile'), `FROM ${BASE_IMAGE}\nCOPY payload /payload\n`);
  await buildClassic(docker, { contextDir: ctx, dockerfile: path.join(ctx, 'Dockerfile'), tag }, () => undefined);
  fs.rmSync(ctx, { recursive: true, force: true });
}

export const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}
