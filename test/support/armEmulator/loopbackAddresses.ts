/**
 * Loopback addresses besides 127.0.0.1, one per emulated public IP, so that each emulated Docker
 * host listens on "its" address and the usual port (2376) as a real VM does. On Linux the whole of
 * 127.0.0.0/8 is local without any setup.
 *
 * Test processes run side by side (node --test runs files in parallel), each maybe with its own
 * emulator: an address is reserved machine-wide by a file named after it holding the owner's pid,
 * and one some other program already listens on (at the port) is skipped. Allocation is
 * synchronous because ARM handlers are: a public IP's address is decided while its PUT is served.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isAlive } from '../processes';

const RESERVATIONS = '/tmp/arm-emulator-loopback';
// 127.0.0.2 to 127.0.255.254: plenty, and the same /16 keeps addresses short.
const FIRST = 2;
const LAST = 0xffff;

const addressOf = (n: number) => `127.0.${n >> 8}.${n & 255}`;

export class LoopbackAddresses {
  private next = FIRST;
  private readonly mine = new Set<string>();

  /** A loopback address nothing listens on at `port` and no other emulator holds. */
  allocate(port: number): string {
    const busy = listeners(port);
    for (; this.next <= LAST; this.next++) {
      const n = this.next;
      const addr = addressOf(n);
      if ((n & 255) === 0 || (n & 255) === 255 || busy.has(addr) || !this.reserve(addr)) {
        continue;
      }
      this.next++;
      return addr;
    }
    throw new Error('the ARM emulator ran out of loopback addresses for public IPs');
  }

  /** Gives back every address this allocator reserved. */
  releaseAll(): void {
    for (const addr of this.mine) {
      const file = path.join(RESERVATIONS, addr);
      if (readPid(file) === process.pid) {
        fs.rmSync(file, { force: true });
      }
    }
    this.mine.clear();
  }

  private reserve(addr: string): boolean {
    fs.mkdirSync(RESERVATIONS, { recursive: true });
    const file = path.join(RESERVATIONS, addr);
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
        this.mine.add(addr);
        return true;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw e;
        }
      }
      // Held by a live process (this one included: another emulator here): not ours to take.
      const owner = readPid(file);
      if (owner !== undefined && isAlive(owner)) {
        return false;
      }
      // Left by a process that died without releasing it.
      fs.rmSync(file, { force: true });
    }
    return false;
  }
}

/** Whether a live emulator (this process or another) holds `addr`. */
export function heldByLiveProcess(addr: string): boolean {
  const owner = readPid(path.join(RESERVATIONS, addr));
  return owner !== undefined && isAlive(owner);
}

function readPid(file: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(file, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * IPv4 addresses with a TCP listener on `port`, from /proc/net/tcp{,6}. A wildcard listener is not
 * counted: it blocks every address alike, so skipping would not help; the boot then fails with
 * the port named.
 */
function listeners(port: number): Set<string> {
  const found = new Set<string>();
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const [, local, , st] = line.trim().split(/\s+/);
      const [hexAddr, p] = (local ?? '').split(':');
      // 0A: TCP_LISTEN
      if (st !== '0A' || p !== hexPort) {
        continue;
      }
      // The last 32 bits, in host byte order: the IPv4 address (or the IPv4 part of ::ffff:a.b.c.d).
      const v4 = hexAddr.slice(-8);
      if (hexAddr.length === 32 && !hexAddr.startsWith('0000000000000000FFFF0000')) {
        continue;
      }
      const b = Buffer.alloc(4);
      const word = parseInt(v4, 16) >>> 0;
      if (os.endianness() === 'LE') {
        b.writeUInt32LE(word);
      } else {
        b.writeUInt32BE(word);
      }
      found.add([...b].join('.'));
    }
  }
  return found;
}
