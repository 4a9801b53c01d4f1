/**
 * Fast codecs for the chain's hot state records (actors, accounts, meta, queued calls, receipts): the
 * same SCALE bytes as their `Struct` codecs in state.ts (test/chain/record-codec.test.ts checks both
 * ways), written with one DataView pass instead of scale-ts's per-field arrays and merges. Applying a
 * block of thousands of calls reads and writes these records several times per call.
 */

/** A record field: fixed-width integers, 32-byte ids, length-prefixed bytes, or a nested record. */
export type FieldKind = "u32" | "u64" | "u128" | "bytes32" | "bytes" | Fields;
export type Fields = ReadonlyArray<readonly [string, FieldKind]>;

export interface RecordCodec<T> {
  enc(value: T): Uint8Array;
  dec(bytes: Uint8Array): T;
}

const U64_MASK = (1n << 64n) - 1n;

/** Length of SCALE compact(n) for a byte-vector length (below 2^30). */
const compactLength = (n: number): number => (n < 1 << 6 ? 1 : n < 1 << 14 ? 2 : 4);

function size(fields: Fields, v: Record<string, unknown>): number {
  let n = 0;
  for (const [name, kind] of fields) {
    if (kind === "u32") n += 4;
    else if (kind === "u64") n += 8;
    else if (kind === "u128") n += 16;
    else if (kind === "bytes32") n += 32;
    else if (kind === "bytes") {
      const len = (v[name] as Uint8Array).length;
      n += compactLength(len) + len;
    } else n += size(kind, v[name] as Record<string, unknown>);
  }
  return n;
}

function write(
  fields: Fields,
  v: Record<string, unknown>,
  out: Uint8Array,
  dv: DataView,
  at: number,
): number {
  for (const [name, kind] of fields) {
    const x = v[name];
    if (kind === "u32") {
      dv.setUint32(at, x as number, true);
      at += 4;
    } else if (kind === "u64") {
      dv.setBigUint64(at, x as bigint, true);
      at += 8;
    } else if (kind === "u128") {
      const b = x as bigint;
      dv.setBigUint64(at, b & U64_MASK, true);
      dv.setBigUint64(at + 8, (b >> 64n) & U64_MASK, true);
      at += 16;
    } else if (kind === "bytes32") {
      const b = x as Uint8Array;
      if (b.length !== 32) throw new TypeError(`${name}: ${b.length} bytes, expected 32`);
      out.set(b, at);
      at += 32;
    } else if (kind === "bytes") {
      const b = x as Uint8Array;
      const len = b.length;
      if (len < 1 << 6) dv.setUint8(at++, len << 2);
      else if (len < 1 << 14) {
        dv.setUint16(at, (len << 2) | 1, true);
        at += 2;
      } else if (len < 1 << 30) {
        dv.setUint32(at, ((len << 2) | 2) >>> 0, true);
        at += 4;
      } else throw new RangeError(`${name}: ${len} bytes is too long for a state record`);
      out.set(b, at);
      at += len;
    } else at = write(kind, x as Record<string, unknown>, out, dv, at);
  }
  return at;
}

function read(fields: Fields, bytes: Uint8Array, dv: DataView, pos: { at: number }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, kind] of fields) {
    const at = pos.at;
    if (kind === "u32") {
      out[name] = dv.getUint32(at, true);
      pos.at += 4;
    } else if (kind === "u64") {
      out[name] = dv.getBigUint64(at, true);
      pos.at += 8;
    } else if (kind === "u128") {
      out[name] = (dv.getBigUint64(at + 8, true) << 64n) | dv.getBigUint64(at, true);
      pos.at += 16;
    } else if (kind === "bytes32") {
      if (at + 32 > bytes.length) throw new RangeError(`${name}: truncated record`);
      out[name] = bytes.slice(at, at + 32);
      pos.at += 32;
    } else if (kind === "bytes") {
      const mode = dv.getUint8(at) & 3;
      let len: number;
      if (mode === 0) {
        len = dv.getUint8(at) >>> 2;
        pos.at += 1;
      } else if (mode === 1) {
        len = dv.getUint16(at, true) >>> 2;
        pos.at += 2;
      } else if (mode === 2) {
        len = dv.getUint32(at, true) >>> 2;
        pos.at += 4;
      } else throw new RangeError(`${name}: byte vector too long for a state record`);
      if (pos.at + len > bytes.length) throw new RangeError(`${name}: truncated record`);
      out[name] = bytes.slice(pos.at, pos.at + len);
      pos.at += len;
    } else out[name] = read(kind, bytes, dv, pos);
  }
  return out;
}

/**
 * A codec for the record `fields` describe, in order (SCALE: fields concatenated, integers little
 * endian, `bytes` prefixed with its compact length). Decoding insists on consuming every byte.
 *
 * @example const Queue = recordCodec<Queue>([["first", "u64"], ["len", "u32"]]);
 */
export function recordCodec<T>(fields: Fields): RecordCodec<T> {
  return {
    enc(value) {
      const v = value as unknown as Record<string, unknown>;
      const out = new Uint8Array(size(fields, v));
      write(fields, v, out, new DataView(out.buffer), 0);
      return out;
    },
    dec(bytes) {
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const pos = { at: 0 };
      const v = read(fields, bytes, dv, pos);
      if (pos.at !== bytes.length) {
        throw new RangeError(`record of ${bytes.length} bytes, ${pos.at} expected`);
      }
      return v as T;
    },
  };
}

// ---- the hottest records, written out ----------------------------------------------------------
// The generic codec above reads and writes fields by name in a loop (keyed property accesses on every
// field). The records a block reads and writes per call are written out field by field below: the
// same bytes (test/chain/record-codec.test.ts checks them against the Structs too).

const view = (b: Uint8Array): DataView => new DataView(b.buffer, b.byteOffset, b.byteLength);

// A record of 64 bytes or less lives in the JS heap until something asks for its `.buffer`, which moves
// it out (a native allocation and a copy): the small records' codecs below read and write bytes without
// a DataView of their own. 64-bit fields go through one shared scratch DataView.
const scratch = new DataView(new ArrayBuffer(8));
const scratchBytes = new Uint8Array(scratch.buffer);
/** As `DataView#setUint32(at, v, true)`. */
function putU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v;
  out[at + 1] = v >>> 8;
  out[at + 2] = v >>> 16;
  out[at + 3] = v >>> 24;
}
/** As `DataView#getUint32(at, true)`. */
const readU32 = (b: Uint8Array, at: number): number =>
  ((b[at] as number) | ((b[at + 1] as number) << 8) | ((b[at + 2] as number) << 16)) +
  (b[at + 3] as number) * 0x1000000;
/** As `DataView#setBigUint64(at, v, true)`. */
function putU64(out: Uint8Array, at: number, v: bigint): void {
  scratch.setBigUint64(0, v, true);
  for (let k = 0; k < 8; k++) out[at + k] = scratchBytes[k] as number;
}
/** As `DataView#getBigUint64(at, true)`. */
function readU64(b: Uint8Array, at: number): bigint {
  for (let k = 0; k < 8; k++) scratchBytes[k] = b[at + k] as number;
  return scratch.getBigUint64(0, true);
}
/** As {@link setU128}. */
function putU128(out: Uint8Array, at: number, v: bigint): void {
  putU64(out, at, v & U64_MASK);
  putU64(out, at + 8, (v >> 64n) & U64_MASK);
}
const readU128 = (b: Uint8Array, at: number): bigint => (readU64(b, at + 8) << 64n) | readU64(b, at);
/** Writes a byte vector's compact length at `at`; returns where its bytes go. */
function putLength(out: Uint8Array, at: number, len: number, name: string): number {
  if (len < 1 << 6) {
    out[at] = len << 2;
    return at + 1;
  }
  if (len < 1 << 14) {
    const v = (len << 2) | 1;
    out[at] = v;
    out[at + 1] = v >>> 8;
    return at + 2;
  }
  if (len < 1 << 30) {
    putU32(out, at, ((len << 2) | 2) >>> 0);
    return at + 4;
  }
  throw new RangeError(`${name}: ${len} bytes is too long for a state record`);
}
const getU128 = (dv: DataView, at: number): bigint =>
  (dv.getBigUint64(at + 8, true) << 64n) | dv.getBigUint64(at, true);
function setU128(dv: DataView, at: number, b: bigint): void {
  dv.setBigUint64(at, b & U64_MASK, true);
  dv.setBigUint64(at + 8, (b >> 64n) & U64_MASK, true);
}
function setB32(out: Uint8Array, at: number, b: Uint8Array, name: string): void {
  if (b.length !== 32) throw new TypeError(`${name}: ${b.length} bytes, expected 32`);
  out.set(b, at);
}
function exactly(bytes: Uint8Array, n: number): void {
  if (bytes.length !== n) throw new RangeError(`record of ${bytes.length} bytes, ${n} expected`);
}
/**
 * Reads the length of a byte vector at `at` that must end exactly at `end` (the record's end, or where
 * the fixed fields after it start); returns where its bytes start.
 */
function lastBytesAt(bytes: Uint8Array, end: number, at: number, name: string): number {
  const b0 = bytes[at] as number;
  const mode = b0 & 3;
  const width = mode === 0 ? 1 : mode === 1 ? 2 : 4;
  if (mode === 3) throw new RangeError(`${name}: byte vector too long for a state record`);
  if (at + width > end) throw new RangeError(`${name}: truncated record`);
  const len =
    mode === 0
      ? b0 >>> 2
      : mode === 1
        ? (b0 | ((bytes[at + 1] as number) << 8)) >>> 2
        : readU32(bytes, at) >>> 2;
  at += width;
  if (at + len !== end) {
    if (at + len > end) throw new RangeError(`${name}: truncated record`);
    throw new RangeError(`record of ${end} bytes, ${at + len} expected`);
  }
  return at;
}

interface AccountRecord {
  free: bigint;
  reserved: bigint;
  nonce: bigint;
}
/** `{ free: u128, reserved: u128, nonce: u64 }`. */
export const accountCodec: RecordCodec<AccountRecord> = {
  enc(a) {
    const out = new Uint8Array(40);
    putU128(out, 0, a.free);
    putU128(out, 16, a.reserved);
    putU64(out, 32, a.nonce);
    return out;
  },
  dec(b) {
    exactly(b, 40);
    return { free: readU128(b, 0), reserved: readU128(b, 16), nonce: readU64(b, 32) };
  },
};

interface QueueRecord {
  first: bigint;
  len: number;
}
interface ActorRecord {
  codeHash: Uint8Array;
  stateHash: Uint8Array;
  sequence: bigint;
  owner: Uint8Array;
  balance: bigint;
  diskReserved: bigint;
  diskUsed: bigint;
  diskDeposit: bigint;
  calls: QueueRecord;
  pigeonhole: { queue: QueueRecord; head: Uint8Array; tail: Uint8Array };
  createdAt: number;
}
const ACTOR_SIZE = 32 + 32 + 8 + 32 + 16 + 8 + 8 + 16 + 12 + 12 + 32 + 32 + 4;
/** The actor record of state.ts `ActorInfo`, field for field. */
export const actorCodec: RecordCodec<ActorRecord> = {
  enc(a) {
    const out = new Uint8Array(ACTOR_SIZE);
    const dv = new DataView(out.buffer);
    setB32(out, 0, a.codeHash, "codeHash");
    setB32(out, 32, a.stateHash, "stateHash");
    dv.setBigUint64(64, a.sequence, true);
    setB32(out, 72, a.owner, "owner");
    setU128(dv, 104, a.balance);
    dv.setBigUint64(120, a.diskReserved, true);
    dv.setBigUint64(128, a.diskUsed, true);
    setU128(dv, 136, a.diskDeposit);
    dv.setBigUint64(152, a.calls.first, true);
    dv.setUint32(160, a.calls.len, true);
    const ph = a.pigeonhole;
    dv.setBigUint64(164, ph.queue.first, true);
    dv.setUint32(172, ph.queue.len, true);
    setB32(out, 176, ph.head, "head");
    setB32(out, 208, ph.tail, "tail");
    dv.setUint32(240, a.createdAt, true);
    return out;
  },
  dec(b) {
    exactly(b, ACTOR_SIZE);
    const dv = view(b);
    return {
      codeHash: b.slice(0, 32),
      stateHash: b.slice(32, 64),
      sequence: dv.getBigUint64(64, true),
      owner: b.slice(72, 104),
      balance: getU128(dv, 104),
      diskReserved: dv.getBigUint64(120, true),
      diskUsed: dv.getBigUint64(128, true),
      diskDeposit: getU128(dv, 136),
      calls: { first: dv.getBigUint64(152, true), len: dv.getUint32(160, true) },
      pigeonhole: {
        queue: { first: dv.getBigUint64(164, true), len: dv.getUint32(172, true) },
        head: b.slice(176, 208),
        tail: b.slice(208, 240),
      },
      createdAt: dv.getUint32(240, true),
    };
  },
};

interface CallRecord {
  id: Uint8Array;
  from: Uint8Array;
  input: Uint8Array;
  queuedAt: number;
}
/** `QueuedCall { id, from, input, queuedAt }`. */
export const queuedCallCodec: RecordCodec<CallRecord> = {
  enc(c) {
    const len = c.input.length;
    const out = new Uint8Array(64 + compactLength(len) + len + 4);
    setB32(out, 0, c.id, "id");
    setB32(out, 32, c.from, "from");
    const at = putLength(out, 64, len, "input");
    out.set(c.input, at);
    putU32(out, at + len, c.queuedAt);
    return out;
  },
  dec(b) {
    const at = callInputAt(b);
    return {
      id: b.slice(0, 32),
      from: b.slice(32, 64),
      input: b.slice(at, b.length - 4),
      queuedAt: readU32(b, b.length - 4),
    };
  },
};

/** Where a queued call's input starts (it ends 4 bytes before the record: `queuedAt` follows it). */
function callInputAt(b: Uint8Array): number {
  if (b.length < 64 + 1 + 4) throw new RangeError("input: truncated record");
  // the byte vector is not last: it ends where the trailing u32 starts
  return lastBytesAt(b, b.length - 4, 64, "input");
}

/** A queued call's input alone (a copy): `queuedCallCodec.dec(b).input` without the other fields. */
export const queuedCallInput = (b: Uint8Array): Uint8Array => b.slice(callInputAt(b), b.length - 4);

/**
 * The id of the queued call `b` when its input is `input` (a view into `b`), else `undefined`: what
 * canonicalisation needs of a call it serves, without decoding the record.
 */
export function queuedCallIdIf(b: Uint8Array, input: Uint8Array): Uint8Array | undefined {
  const at = callInputAt(b);
  const n = b.length - 4 - at;
  if (n !== input.length) return undefined;
  for (let k = 0; k < n; k++) if (b[at + k] !== input[k]) return undefined;
  return b.subarray(0, 32);
}

interface ReceiptRecord {
  id: Uint8Array;
  actor: number;
  block: number;
  sequence: bigint;
  output: Uint8Array;
}
/** `Receipt { id, actor, block, sequence, output }`. */
export const receiptCodec: RecordCodec<ReceiptRecord> = {
  enc(r) {
    const len = r.output.length;
    const out = new Uint8Array(48 + compactLength(len) + len);
    setB32(out, 0, r.id, "id");
    putU32(out, 32, r.actor);
    putU32(out, 36, r.block);
    putU64(out, 40, r.sequence);
    out.set(r.output, putLength(out, 48, len, "output"));
    return out;
  },
  dec(b) {
    if (b.length < 49) throw new RangeError("output: truncated record");
    return {
      id: b.slice(0, 32),
      actor: readU32(b, 32),
      block: readU32(b, 36),
      sequence: readU64(b, 40),
      output: b.slice(lastBytesAt(b, b.length, 48, "output")),
    };
  },
};
