import test from 'node:test';
import assert from 'node:assert/strict';
import { Clock, RefreshScheduler, RefreshTarget } from '../../src/core/docker/refreshScheduler';

/** A clock the test advances by hand, so timing behaviour is checked without real waiting. */
class ManualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  now(): number {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }
  pending(): number {
    return this.timers.size;
  }
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) {
        break;
      }
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await flush();
    }
    this.t = end;
    await flush();
  }
}

const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

class FakeTarget implements RefreshTarget {
  refreshed: string[] = [];
  subscribeCalls: string[] = [];
  feeds = new Map<string, { onChange(): void; onEnd(): void; closed: boolean }>();
  reachable = new Set<string>();
  refresh(hostId: string): void {
    this.refreshed.push(hostId);
  }
  async subscribe(hostId: string, onChange: () => void, onEnd: () => void) {
    this.subscribeCalls.push(hostId);
    if (!this.reachable.has(hostId)) {
      throw new Error('unreachable');
    }
    const feed = { onChange, onEnd, closed: false };
    this.feeds.set(hostId, feed);
    return { close: () => (feed.closed = true) };
  }
}

const options = { debounceMs: 400, maxDelayMs: 2000, pollMs: 60_000, reconnectMinMs: 2000, reconnectMaxMs: 30_000 };

function setup() {
  const clock = new ManualClock();
  const target = new FakeTarget();
  const scheduler = new RefreshScheduler(target, options, clock);
  return { clock, target, scheduler };
}

test('nothing runs while the views are hidden', async () => {
  const { clock, target, scheduler } = setup();
  target.reachable.add('a');
  scheduler.watch('a');
  await clock.advance(10 * 60_000);
  assert.deepEqual(target.subscribeCalls, []);
  assert.deepEqual(target.refreshed, []);
  assert.equal(clock.pending(), 0);
});

test('a burst of events becomes one refresh of that host only', async () => {
  const { clock, target, scheduler } = setup();
  target.reachable.add('a').add('b');
  scheduler.setVisible(true);
  scheduler.watch('a');
  scheduler.watch('b');
  await flush();
  const feed = target.feeds.get('a')!;
  for (let i = 0; i < 5; i++) {
    feed.onChange();
    await clock.advance(100);
  }
  assert.deepEqual(target.refreshed, []);
  await clock.advance(400);
  assert.deepEqual(target.refreshed, ['a']);
});

test('a never-ending stream of events still refreshes within the maximum delay', async () => {
  const { clock, target, scheduler } = setup();
  target.reachable.add('a');
  scheduler.setVisible(true);
  scheduler.watch('a');
  await flush();
  const feed = target.feeds.get('a')!;
  for (let i = 0; i < 30; i++) {
    feed.onChange();
    await clock.advance(100);
  }
  // 3 s of events every 100 ms: the 2 s cap forces a refresh even though the debounce never settles.
  assert.ok(target.refreshed.length >= 1);
});

test('the slow poll refreshes every watched host while visible', async () => {
  const { clock, target, scheduler } = setup();
  target.reachable.add('a').add('b');
  scheduler.setVisible(true);
  scheduler.watch('a');
  scheduler.watch('b');
  await clock.advance(60_000);
  assert.deepEqual(target.refreshed.sort(), ['a', 'b']);
});

test('hiding closes every feed and timer; showing again refreshes and resubscribes', async () => {
  const { clock, target, scheduler } = setup();
  target.reachable.add('a');
  scheduler.setVisible(true);
  scheduler.watch('a');
  await flush();
  const first = target.feeds.get('a')!;
  first.onChange();
  scheduler.setVisible(false);
  assert.equal(first.closed, true);
  assert.equal(clock.pending(), 0);
  await clock.advance(120_000);
  assert.deepEqual(target.refreshed, []);
  scheduler.setVisible(true);
  await flush();
  assert.deepEqual(target.refreshed, ['a']);
  assert.equal(target.subscribeCalls.length, 2);
  assert.deepEqual(scheduler.subscribedHosts(), ['a']);
});

/** Host `a` followed while visible, then gone: its feed ended and it no longer answers. */
async function followedThenLost() {
  const world = setup();
  world.target.reachable.add('a');
  world.scheduler.setVisible(true);
  world.scheduler.watch('a');
  await flush();
  world.target.reachable.delete('a');
  world.target.feeds.get('a')!.onEnd();
  return world;
}

test('a feed that ends refreshes at once, then reconnects with backoff and refreshes on recovery', async () => {
  const { clock, target, scheduler } = await followedThenLost();
  assert.deepEqual(target.refreshed, ['a'], 'the daemon went away: show it now');
  await clock.advance(2000);
  await clock.advance(4000);
  assert.equal(target.subscribeCalls.length, 3, 'two retries at 2 s and 4 s after the first subscription');
  await clock.advance(7000);
  assert.equal(target.subscribeCalls.length, 3, 'the next retry waits 8 s');
  target.reachable.add('a');
  await clock.advance(1000);
  assert.equal(target.subscribeCalls.length, 4);
  assert.deepEqual(target.refreshed, ['a', 'a', 'a', 'a'], 'each failed retry re-read the host; recovered: shown again without a manual refresh');
  assert.deepEqual(scheduler.subscribedHosts(), ['a']);
});

test('while a host stays unreachable, each failed reconnect re-reads it, so its error row shows the current reason', async () => {
  const { clock, target } = await followedThenLost();
  assert.equal(target.refreshed.length, 1);
  await clock.advance(2000);
  assert.equal(target.refreshed.length, 2, 'the first retry failed: the reason may have changed since the feed broke');
  await clock.advance(4000);
  assert.equal(target.refreshed.length, 3);
  await clock.advance(3000);
  assert.equal(target.refreshed.length, 3, 'no re-read between retries');
});

test('a host that cannot be followed from the start is not re-read on top of the listing that just failed', async () => {
  const { clock, target, scheduler } = setup();
  scheduler.setVisible(true);
  scheduler.watch('a');
  await flush();
  assert.deepEqual(target.refreshed, []);
  await clock.advance(2000);
  assert.deepEqual(target.refreshed, ['a'], 'a later failed retry does re-read it');
});

test('an explicit refresh runs at once and cancels a pending debounced one', async () => {
  const { clock, target, scheduler } = setup();
  target.reachable.add('a');
  scheduler.setVisible(true);
  scheduler.watch('a');
  await flush();
  target.feeds.get('a')!.onChange();
  scheduler.refreshNow('a');
  assert.deepEqual(target.refreshed, ['a']);
  await clock.advance(1000);
  assert.deepEqual(target.refreshed, ['a']);
});

test('unwatching a host closes its feed and stops its refreshes', async () => {
  const { clock, target, scheduler } = setup();
  target.reachable.add('a');
  scheduler.setVisible(true);
  scheduler.watch('a');
  await flush();
  scheduler.unwatch('a');
  assert.equal(target.feeds.get('a')!.closed, true);
  await clock.advance(60_000);
  assert.deepEqual(target.refreshed, []);
});
