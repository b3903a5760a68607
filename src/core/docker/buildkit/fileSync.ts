import * as fs from 'fs';
import type { ServerHttp2Stream } from 'http2';
import { walkContext, isRegularFile } from './contextWalker';
import { GrpcStatus, readMessages, writeMessage, type Metadata } from './grpcStream';
import { decodePacket, encodePacket, PacketType, type Packet } from './sessionMessages';

/** A folder the daemon may read through the session, under the name its frontend asks for. */
export interface SyncedFolder {
  path: string;
  resetOwner: boolean;
}

/** What one DiffCopy call sent: the daemon asks only for files that differ from its cached copy. */
export interface SyncResult {
  status: number;
  message?: string;
  entries: number;
  files: number;
  bytes: number;
}

/** fsutil's own sizes: 32 KiB data packets, four files in flight. */
const CHUNK = 32 * 1024;
const FILES_IN_FLIGHT = 4;
/** Stat packets per write: a few hundred bytes each, so about 100 KB a write. */
const STATS_PER_WRITE = 512;

/**
 * Serves one FileSync/DiffCopy call: we are fsutil's sender. Every entry's stat goes first (the
 * daemon diffs them with its copy from the last build of the same shared key), then the content
 * of each regular file it asks for by index, then FIN once it says it has everything.
 */
export async function serveDiffCopy(stream: ServerHttp2Stream, folders: Record<string, SyncedFolder>, md: Metadata): Promise<SyncResult> {
  const dirName = md.get('dir-name')?.[0] ?? '';
  const folder = Object.prototype.hasOwnProperty.call(folders, dirName) ? folders[dirName] : undefined;
  if (!folder) {
    return { status: GrpcStatus.notFound, message: `no access allowed to dir "${dirName}"`, entries: 0, files: 0, bytes: 0 };
  }
  const entries = await walkContext(folder.path, {
    includes: md.get('include-patterns') ?? [],
    excludes: md.get('exclude-patterns') ?? [],
    followPaths: md.get('followpaths') ?? [],
    resetOwner: folder.resetOwner,
  });
  const send = (...packets: Packet[]) => writeMessage(stream, ...packets.map(encodePacket));
  const result: SyncResult = { status: GrpcStatus.ok, entries: entries.length, files: 0, bytes: 0 };
  return new Promise((resolve) => {
    let settled = false;
    const settle = (status: number, message?: string) => {
      if (!settled) {
        settled = true;
        resolve({ ...result, status, message });
      }
    };
    // The daemon asks for files while the listing is still going out, and fsutil serves them at
    // once: it may stop reading stats until the files it asked for arrive.
    const listed = (async () => {
      for (let i = 0; i < entries.length; i += STATS_PER_WRITE) {
        await send(...entries.slice(i, i + STATS_PER_WRITE).map((e) => ({ type: PacketType.Stat, stat: e.stat })));
      }
      await send({ type: PacketType.Stat });
    })();
    const queue: number[] = [];
    const requested = new Set<number>();
    let running = 0;
    let finRequested = false;
    const sendFile = async (id: number) => {
      const entry = entries[id];
      try {
        if (Number(entry.stat.size) <= CHUNK) {
          // Most context files are small: one read, and the content and its end in one write.
          const data = await fs.promises.readFile(entry.abs);
          result.bytes += data.length;
          result.files++;
          await send(...(data.length ? [{ type: PacketType.Data, id, data }] : []), { type: PacketType.Data, id });
          return;
        }
        for await (const chunk of fs.createReadStream(entry.abs, { highWaterMark: CHUNK })) {
          result.bytes += (chunk as Buffer).length;
          await send({ type: PacketType.Data, id, data: chunk as Buffer });
        }
      } catch {
        // fsutil too sends an empty file when one vanished after the listing.
      }
      result.files++;
      await send({ type: PacketType.Data, id });
    };
    const pump = () => {
      while (running < FILES_IN_FLIGHT && queue.length && !settled) {
        const id = queue.shift() as number;
        running++;
        void sendFile(id).then(() => {
          running--;
          pump();
        });
      }
      if (finRequested && running === 0 && queue.length === 0 && !settled) {
        void send({ type: PacketType.Fin }).then(() => settle(GrpcStatus.ok));
      }
    };
    readMessages(stream, (message) => {
      const packet = decodePacket(message);
      if (packet.type === PacketType.Req) {
        const id = packet.id ?? 0;
        if (id >= entries.length || !isRegularFile(entries[id].stat) || requested.has(id)) {
          void send({ type: PacketType.Err, data: Buffer.from(`invalid file id ${id}`) });
          settle(GrpcStatus.unknown, `invalid file id ${id}`);
          return;
        }
        requested.add(id);
        queue.push(id);
        pump();
      } else if (packet.type === PacketType.Fin) {
        finRequested = true;
        void listed.then(pump);
      } else if (packet.type === PacketType.Err) {
        settle(GrpcStatus.unknown, `error from receiver: ${Buffer.from(packet.data ?? []).toString()}`);
      }
    });
    stream.on('close', () => settle(GrpcStatus.ok));
  });
}
