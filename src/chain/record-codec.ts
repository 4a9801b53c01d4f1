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
/** Writes a byte vector's compact length at `at`; returns where its bytes go. */
function setLength(dv: DataView, at: number, len: number, name: string): number {
  if (len < 1 << 6) {
    dv.setUint8(at, len << 2);
    return at + 1;
  }
  if (len < 1 << 14) {
    dv.setUint16(at, (len << 2) | 1, true);
    return at + 2;
  }
  if (len < 1 << 30) {
    dv.setUint32(at, ((len << 2) | 2) >>> 0, true);
    return at + 4;
  }
  throw new RangeError(`${name}: ${len} bytes is too long for a state record`);
}
/** Reads the length of a byte vector at `at` that must end the record exactly; returns where its bytes start. */
function lastBytesAt(bytes: Uint8Array, dv: DataView, at: number, name: string): number {
  const mode = dv.getUint8(at) & 3;
  let len: number;
  if (mode === 0) {
    len = dv.getUint8(at) >>> 2;
    at += 1;
  } else if (mode === 1) {
    len = dv.getUint16(at, true) >>> 2;
    at += 2;
  } else if (mode === 2) {
    len = dv.getUint32(at, true) >>> 2;
    at += 4;
  } else throw new RangeError(`${name}: byte vector too long for a state record`);
  if (at + len !== bytes.length) {
    if (at + len > bytes.length) throw new RangeError(`${name}: truncated record`);
    throw new RangeError(`record of ${bytes.length} bytes, ${at + len} expected`);
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
    const dv = new DataView(out.buffer);
    setU128(dv, 0, a.free);
    setU128(dv, 16, a.reserved);
    dv.setBigUint64(32, a.nonce, true);
    return out;
  },
  dec(b) {
    exactly(b, 40);
    const dv = view(b);
    return { free: getU128(dv, 0), reserved: getU128(dv, 16), nonce: dv.getBigUint64(32, true) };
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
    const dv = new DataView(out.buffer);
    setB32(out, 0, c.id, "id");
    setB32(out, 32, c.from, "from");
    const at = setLength(dv, 64, len, "input");
    out.set(c.input, at);
    dv.setUint32(at + len, c.queuedAt, true);
    return out;
  },
  dec(b) {
    const at = callInputAt(b);
    return {
      id: b.slice(0, 32),
      from: b.slice(32, 64),
      input: b.slice(at, b.length - 4),
      queuedAt: view(b).getUint32(b.length - 4, true),
    };
  },
};

/** Where a queued call's input starts (it ends 4 bytes before the record: `queuedAt` follows it). */
function callInputAt(b: Uint8Array): number {
  if (b.length < 64 + 1 + 4) throw new RangeError("input: truncated record");
  // the byte vector is not last: read it against the record without its trailing u32
  const body = b.subarray(0, b.length - 4);
  return lastBytesAt(body, view(body), 64, "input");
}

/**
 * `queuedCallCodec.dec` whose byte fields are views into `bytes` rather than copies: for the chain's
 * own reads of a stored call it neither keeps nor hands out (stored values are never written to).
 */
export function queuedCallViews(b: Uint8Array): CallRecord {
  const at = callInputAt(b);
  return {
    id: b.subarray(0, 32),
    from: b.subarray(32, 64),
    input: b.subarray(at, b.length - 4),
    queuedAt: view(b).getUint32(b.length - 4, true),
  };
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
    const dv = new DataView(out.buffer);
    setB32(out, 0, r.id, "id");
    dv.setUint32(32, r.actor, true);
    dv.setUint32(36, r.block, true);
    dv.setBigUint64(40, r.sequence, true);
    out.set(r.output, setLength(dv, 48, len, "output"));
    return out;
  },
  dec(b) {
    if (b.length < 49) throw new RangeError("output: truncated record");
    const dv = view(b);
    return {
      id: b.slice(0, 32),
      actor: dv.getUint32(32, true),
      block: dv.getUint32(36, true),
      sequence: dv.getBigUint64(40, true),
      output: b.slice(lastBytesAt(b, dv, 48, "output")),
    };
  },
};
