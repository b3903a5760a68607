import test from 'node:test';
import assert from 'node:assert/strict';
import { secretMounts } from '../../src/core/docker/buildSecrets';

test('secret mounts are found by id, with Docker’s defaults for the id and the required flag', () => {
  const dockerfile = [
    'FROM alpine',
    'RUN --mount=type=cache,target=/cache --mount=type=secret,id=npm_token,required=true npm ci',
    'RUN --mount=type=secret,target=/root/.aws/credentials aws s3 ls',
    'RUN --mount="type=secret,dst=/etc/pip.conf" \\',
    '    pip install -r requirements.txt',
    'RUN --mount=type=secret,id=npm_token true',
    'COPY --mount=type=secret,id=ignored . .',
    'RUN --mount=type=bind,target=/src make',
  ].join('\n');
  assert.deepEqual(secretMounts(dockerfile), [
    { id: 'npm_token', required: true },
    { id: 'credentials', required: false },
    { id: 'pip.conf', required: false },
  ]);
});

test('a Dockerfile without secret mounts needs none', () => {
  assert.deepEqual(secretMounts('FROM alpine\nRUN echo --mount=type=secret\n'), []);
});
