import { Reader, Writer, type Long } from 'protobufjs/minimal';

/**
 * The few protobuf messages a BuildKit session and its status stream use, with the field numbers of
 * fsutil/types (Stat, Packet), grpc.health.v1, moby.buildkit.secrets.v1, moby.filesync.v1 (Auth)
 * and moby.buildkit.v1 (StatusResponse). protobufjs does the wire format; these only name fields.
 */

/** fsutil's file entry. `mode` holds Go's os.FileMode bits, `modTime` nanoseconds since the epoch. */
export interface FileStat {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  size: bigint;
  modTime: bigint;
  linkname: string;
}

export enum PacketType {
  Stat = 0,
  Req = 1,
  Data = 2,
  Fin = 3,
  Err = 4,
}

export interface Packet {
  type: PacketType;
  stat?: FileStat;
  id?: number;
  data?: Uint8Array;
}

/**
 * protobufjs takes 64-bit values as Long objects; without the optional `long` package it reads
 * only their two 32-bit halves, which keeps nanosecond times exact where a JS number would not be.
 */
function int64(value: bigint): Long {
  const bits = BigInt.asUintN(64, value);
  return { low: Number(bits & 0xffffffffn) | 0, high: Number(bits >> 32n) | 0, unsigned: false } as Long;
}

function encodeStat(stat: FileStat, w: Writer): void {
  w.uint32(10).string(stat.path);
  w.uint32(16).uint32(stat.mode);
  if (stat.uid) {
    w.uint32(24).uint32(stat.uid);
  }
  if (stat.gid) {
    w.uint32(32).uint32(stat.gid);
  }
  if (stat.size) {
    w.uint32(40).int64(int64(stat.size));
  }
  w.uint32(48).int64(int64(stat.modTime));
  if (stat.linkname) {
    w.uint32(58).string(stat.linkname);
  }
}

export function encodePacket(packet: Packet): Uint8Array {
  const w = Writer.create();
  if (packet.type) {
    w.uint32(8).int32(packet.type);
  }
  if (packet.stat) {
    encodeStat(packet.stat, w.uint32(18).fork());
    w.ldelim();
  }
  if (packet.id) {
    w.uint32(24).uint32(packet.id);
  }
  if (packet.data?.length) {
    w.uint32(34).bytes(packet.data);
  }
  return w.finish();
}

/** The receiver sends only REQ, FIN and ERR, so its packets carry no stat. */
export function decodePacket(buf: Uint8Array): Packet {
  const r = Reader.create(buf);
  const packet: Packet = { type: PacketType.Stat };
  while (r.pos < r.len) {
    const tag = r.uint32();
    switch (tag >>> 3) {
      case 1:
        packet.type = r.int32();
        break;
      case 3:
        packet.id = r.uint32();
        break;
      case 4:
        packet.data = r.bytes();
        break;
      default:
        r.skipType(tag & 7);
    }
  }
  return packet;
}

/** Reads the first string field `field` of a small request (GetSecretRequest.ID, CredentialsRequest.Host). */
export function decodeStringField(buf: Uint8Array, field: number): string {
  const r = Reader.create(buf);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === field && (tag & 7) === 2) {
      return r.string();
    }
    r.skipType(tag & 7);
  }
  return '';
}

/** HealthCheckResponse{status: SERVING}. */
export function encodeServing(): Uint8Array {
  return Writer.create().uint32(8).int32(1).finish();
}

/** GetSecretResponse{data}. */
export function encodeSecret(data: Uint8Array): Uint8Array {
  return Writer.create().uint32(10).bytes(data).finish();
}

/** CredentialsResponse{Username, Secret}; empty means anonymous. */
export function encodeCredentials(username: string, secret: string): Uint8Array {
  const w = Writer.create();
  if (username) {
    w.uint32(10).string(username);
  }
  if (secret) {
    w.uint32(18).string(secret);
  }
  return w.finish();
}

export interface Vertex {
  digest: string;
  name: string;
  cached: boolean;
  /** Milliseconds since the epoch. */
  started?: number;
  completed?: number;
  error?: string;
}

export interface VertexStatus {
  id: string;
  vertex: string;
  current: number;
  total: number;
  completed?: number;
}

export interface VertexLog {
  vertex: string;
  msg: Uint8Array;
}

export interface VertexWarning {
  vertex: string;
  short: string;
}

export interface StatusResponse {
  vertexes: Vertex[];
  statuses: VertexStatus[];
  logs: VertexLog[];
  warnings: VertexWarning[];
}

/** Fields of one embedded message, handed to `onField` with a reader positioned at the value. */
function readFields(buf: Uint8Array, onField: (field: number, r: Reader, wireType: number) => boolean): void {
  const r = Reader.create(buf);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (!onField(tag >>> 3, r, tag & 7)) {
      r.skipType(tag & 7);
    }
  }
}

function int64Number(r: Reader): number {
  const v = r.int64();
  return typeof v === 'number' ? v : v.high * 2 ** 32 + (v.low >>> 0);
}

/** google.protobuf.Timestamp as milliseconds since the epoch. */
function decodeTimestamp(buf: Uint8Array): number {
  let seconds = 0;
  let nanos = 0;
  readFields(buf, (field, r) => {
    if (field === 1) {
      seconds = int64Number(r);
    } else if (field === 2) {
      nanos = r.int32();
    } else {
      return false;
    }
    return true;
  });
  return seconds * 1000 + nanos / 1e6;
}

function decodeVertex(buf: Uint8Array): Vertex {
  const v: Vertex = { digest: '', name: '', cached: false };
  readFields(buf, (field, r) => {
    switch (field) {
      case 1:
        v.digest = r.string();
        return true;
      case 3:
        v.name = r.string();
        return true;
      case 4:
        v.cached = r.bool();
        return true;
      case 5:
        v.started = decodeTimestamp(r.bytes());
        return true;
      case 6:
        v.completed = decodeTimestamp(r.bytes());
        return true;
      case 7:
        v.error = r.string();
        return true;
      default:
        return false;
    }
  });
  return v;
}

function decodeVertexStatus(buf: Uint8Array): VertexStatus {
  const s: VertexStatus = { id: '', vertex: '', current: 0, total: 0 };
  readFields(buf, (field, r) => {
    switch (field) {
      case 1:
        s.id = r.string();
        return true;
      case 2:
        s.vertex = r.string();
        return true;
      case 4:
        s.current = int64Number(r);
        return true;
      case 5:
        s.total = int64Number(r);
        return true;
      case 8:
        s.completed = decodeTimestamp(r.bytes());
        return true;
      default:
        return false;
    }
  });
  return s;
}

function decodeVertexLog(buf: Uint8Array): VertexLog {
  const l: VertexLog = { vertex: '', msg: new Uint8Array() };
  readFields(buf, (field, r) => {
    if (field === 1) {
      l.vertex = r.string();
    } else if (field === 4) {
      l.msg = r.bytes();
    } else {
      return false;
    }
    return true;
  });
  return l;
}

function decodeVertexWarning(buf: Uint8Array): VertexWarning {
  const w: VertexWarning = { vertex: '', short: '' };
  readFields(buf, (field, r) => {
    if (field === 1) {
      w.vertex = r.string();
    } else if (field === 3) {
      w.short = Buffer.from(r.bytes()).toString('utf8');
    } else {
      return false;
    }
    return true;
  });
  return w;
}

/** One `moby.buildkit.trace` message of the build stream (a delta: vertices come back as they change). */
export function decodeStatusResponse(buf: Uint8Array): StatusResponse {
  const s: StatusResponse = { vertexes: [], statuses: [], logs: [], warnings: [] };
  readFields(buf, (field, r, wireType) => {
    if (wireType !== 2) {
      return false;
    }
    switch (field) {
      case 1:
        s.vertexes.push(decodeVertex(r.bytes()));
        return true;
      case 2:
        s.statuses.push(decodeVertexStatus(r.bytes()));
        return true;
      case 3:
        s.logs.push(decodeVertexLog(r.bytes()));
        return true;
      case 4:
        s.warnings.push(decodeVertexWarning(r.bytes()));
        return true;
      default:
        return false;
    }
  });
  return s;
}
