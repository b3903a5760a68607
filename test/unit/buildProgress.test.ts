import test from 'node:test';
import assert from 'node:assert/strict';
import { BuildProgress } from '../../src/core/docker/buildkit/buildProgress';
import type { StatusResponse } from '../../src/core/docker/buildkit/sessionMessages';

const status = (over: Partial<StatusResponse>): StatusResponse => ({ vertexes: [], statuses: [], logs: [], warnings: [], ...over });
const log = (vertex: string, text: string) => ({ vertex, msg: Buffer.from(text) });

test('each step is numbered when it first shows, its output follows, and it ends CACHED, DONE with its time, or ERROR', () => {
  const lines: string[] = [];
  const steps: string[] = [];
  const progress = new BuildProgress(
    (l) => lines.push(l),
    (s) => steps.push(s),
  );
  progress.handle(
    status({ vertexes: [{ digest: 'a', name: '[internal] load build definition from Dockerfile', cached: false, started: 1000, completed: 1100 }] }),
  );
  progress.handle(status({ vertexes: [{ digest: 'b', name: '[1/3] FROM base', cached: true, started: 1200, completed: 1200 }] }));
  progress.handle(status({ vertexes: [{ digest: 'c', name: '[2/3] RUN make', cached: false, started: 2000 }] }));
  progress.handle(status({ logs: [log('c', 'compiling\npart'), log('c', 'ial line\n')] }));
  progress.handle(status({ vertexes: [{ digest: 'c', name: '[2/3] RUN make', cached: false, started: 2000, completed: 4500 }] }));
  progress.handle(status({ vertexes: [{ digest: 'd', name: '[3/3] RUN test', cached: false, started: 5000 }] }));
  progress.handle(status({ logs: [log('d', 'FAIL: one\nno newline at the end')] }));
  progress.handle(
    status({ vertexes: [{ digest: 'd', name: '[3/3] RUN test', cached: false, started: 5000, completed: 5300, error: 'exit code: 1' }] }),
  );
  assert.deepEqual(lines, [
    '#1 [internal] load build definition from Dockerfile',
    '#1 DONE 0.1s',
    '#2 [1/3] FROM base',
    '#2 CACHED',
    '#3 [2/3] RUN make',
    '#3 compiling',
    '#3 partial line',
    '#3 DONE 2.5s',
    '#4 [3/3] RUN test',
    '#4 FAIL: one',
    '#4 no newline at the end',
    '#4 ERROR: exit code: 1',
  ]);
  assert.deepEqual(steps, ['[1/3] FROM base', '[2/3] RUN make', '[3/3] RUN test'], 'internal steps are not shown as progress');
  assert.deepEqual(progress.failure(), { step: '[3/3] RUN test', tail: ['FAIL: one', 'no newline at the end'] });
  assert.equal(progress.summary(), '3 steps, 1 cached, 4.3s');
});

test('a cancelled step reads CANCELED and is not reported as the failure; the tail keeps the last ten lines', () => {
  const lines: string[] = [];
  const progress = new BuildProgress((l) => lines.push(l));
  progress.handle(status({ vertexes: [{ digest: 'a', name: '[2/2] RUN long', cached: false, started: 0 }] }));
  progress.handle(status({ logs: [log('a', Array.from({ length: 12 }, (_, i) => `line ${i}\n`).join(''))] }));
  progress.handle(
    status({
      vertexes: [
        {
          digest: 'a',
          name: '[2/2] RUN long',
          cached: false,
          started: 0,
          completed: 10,
          error: 'rpc error: code = Canceled desc = context canceled',
        },
      ],
    }),
  );
  assert.equal(lines.at(-1), '#1 CANCELED');
  assert.equal(progress.failure(), undefined);
});
