import test from 'node:test';
import assert from 'node:assert/strict';
import {
  compareSpeed,
  formatBytes,
  formatDuration,
  median,
  memoryInUse,
  ratio,
  registryOf,
  startFromTimestamps,
} from '../../src/core/compare/measurements';

test('durations read as people say them', () => {
  assert.equal(formatDuration(412), '412 ms');
  assert.equal(formatDuration(1234), '1.2 s');
  assert.equal(formatDuration(52_400), '52 s');
  assert.equal(formatDuration(135_000), '2 min 15 s');
  assert.equal(formatDuration(180_000), '3 min');
});

test('sizes use decimal units like docker images', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(4_400_000), '4.4 MB');
  assert.equal(formatBytes(45_000_000), '45 MB');
  assert.equal(formatBytes(1_230_000_000), '1.2 GB');
});

test('ratios round sensibly and refuse missing or zero sides', () => {
  assert.equal(ratio(52_000, 400), '130×');
  assert.equal(ratio(2_500, 1_000), '2.5×');
  assert.equal(ratio(2_000, 1_000), '2×');
  assert.equal(ratio(32 * 1024 ** 3, 4_400_000), '7,809×');
  assert.equal(ratio(undefined, 400), undefined);
  assert.equal(ratio(52_000, 0), undefined);
  assert.equal(ratio(-1, 3), undefined);
});

test('speed comparison says which side won, or that it is a tie', () => {
  assert.equal(compareSpeed(400, 52_000), '130× faster');
  assert.equal(compareSpeed(1_000, 1_050), 'about as fast');
  assert.equal(compareSpeed(30_000, 10_000), '3× slower');
});

test('median of odd, even and empty lists', () => {
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([]), undefined);
});

test('start time from inspect timestamps only counts containers started right after creation', () => {
  assert.equal(startFromTimestamps('2024-05-01T10:00:00.100Z', '2024-05-01T10:00:00.550Z'), 450);
  // Docker's zero time: created but never started.
  assert.equal(startFromTimestamps('2024-05-01T10:00:00Z', '0001-01-01T00:00:00Z'), undefined);
  // Restarted an hour later: that is waiting, not starting.
  assert.equal(startFromTimestamps('2024-05-01T10:00:00Z', '2024-05-01T11:00:00Z'), undefined);
  assert.equal(startFromTimestamps(undefined, '2024-05-01T11:00:00Z'), undefined);
  assert.equal(startFromTimestamps('garbage', '2024-05-01T11:00:00Z'), undefined);
});

test('container memory leaves out the page cache, as docker stats does', () => {
  assert.equal(memoryInUse({ memory_stats: { usage: 10_000_000, stats: { inactive_file: 4_000_000 } } }), 6_000_000);
  assert.equal(memoryInUse({ memory_stats: { usage: 10_000_000, stats: { total_inactive_file: 1_000_000 } } }), 9_000_000);
  assert.equal(memoryInUse({ memory_stats: { usage: 10_000_000 } }), 10_000_000);
  assert.equal(memoryInUse({ memory_stats: {} }), undefined);
  assert.equal(memoryInUse({}), undefined);
});

test('registry of an image reference', () => {
  assert.equal(registryOf('busybox:latest'), 'docker.io');
  assert.equal(registryOf('library/nginx:1'), 'docker.io');
  assert.equal(registryOf('myreg.azurecr.io/app:2'), 'myreg.azurecr.io');
  assert.equal(registryOf('localhost:5000/app:2'), 'localhost:5000');
});
