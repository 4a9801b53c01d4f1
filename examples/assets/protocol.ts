/**
 * The asset ledger's call protocol from the outside (tests, the bench): call encoders and reply
 * decoders for the asset actor (`assembly/index.ts`) and the registry (`assembly/registry.ts`), and the
 * postcard and batch formats, as ../README.md describes them.
 */
import { toHex } from "../../src/codec/bytes.ts";
import type { CallOutput, Message } from "../../src/codec/types.ts";

const le = (bytes: number, v: bigint | number): number[] => {
  const out: number[] = [];
  let x = BigInt(v);
  for (let i = 0; i < bytes; i++) {
    out.push(Number(x & 0xffn));
    x >>= 8n;
  }
  return out;
};
const compact = (n: number): number[] => {
  if (n < 64) return [n << 2];
  if (n < 1 << 14) return le(2, (n << 2) | 1);
  if (n < 1 << 30) return le(4, BigInt(n) * 4n + 2n);
  throw new RangeError(`compact ${n}: too large for this encoder`);
};

/** One transfer between accounts `(batch, index)`. */
export interface Transfer {
  fromBatch: number;
  fromIndex: number;
  toBatch: number;
  toIndex: number;
  amount: bigint;
}

const transferBytes = (t: Transfer) => [
  ...le(4, t.fromBatch),
  ...le(2, t.fromIndex),
  ...le(4, t.toBatch),
  ...le(2, t.toIndex),
  ...le(8, t.amount),
];

/** Asset actor calls (the method byte, then SCALE arguments). */
export const asset = {
  /** `main` args. */
  args: (registry: number, batchSize: number) => Uint8Array.from([...le(4, registry), ...le(4, batchSize)]),
  balanceOf: (batch: number, index: number) => Uint8Array.from([0x00, ...le(4, batch), ...le(2, index)]),
  mint: (batch: number, index: number, amount: bigint) =>
    Uint8Array.from([0x01, ...le(4, batch), ...le(2, index), ...le(8, amount)]),
  transfer: (t: Transfer) => Uint8Array.from([0x02, ...transferBytes(t)]),
  transferMany: (ts: Transfer[]) =>
    Uint8Array.from([0x03, ...compact(ts.length), ...ts.flatMap(transferBytes)]),
  take: (batch: number) => Uint8Array.from([0x04, ...le(4, batch)]),
  giveBack: (batch: number) => Uint8Array.from([0x05, ...le(4, batch)]),
  info: () => Uint8Array.of(0x06),
};

/** Registry calls. */
export const registry = {
  whereIs: (batch: number) => Uint8Array.from([0x02, ...le(4, batch)]),
  info: () => Uint8Array.of(0x03),
  addAsset: (actor: number) => Uint8Array.from([0x04, ...le(4, actor)]),
};

/** The reply bytes of a successful call; a failed one throws with the actor's message or the error tag. */
export function okBytes(out: CallOutput): Uint8Array {
  if (!out.success) {
    const e = out.value;
    throw new Error(e.tag === "Actor" ? new TextDecoder().decode(e.value) : e.tag);
  }
  return out.value;
}

/** A little-endian reader over reply bytes. */
class Cursor {
  private at = 0;
  private readonly view: DataView;
  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u8 = () => this.bytes[this.at++] as number;
  u32 = () => {
    const v = this.view.getUint32(this.at, true);
    this.at += 4;
    return v;
  };
  u64 = () => {
    const v = this.view.getBigUint64(this.at, true);
    this.at += 8;
    return v;
  };
  fixed = (n: number) => {
    const v = this.bytes.subarray(this.at, this.at + n);
    this.at += n;
    return v;
  };
  compact = () => {
    const b = this.bytes[this.at] as number;
    const mode = b & 3;
    if (mode === 0) {
      this.at += 1;
      return b >> 2;
    }
    if (mode === 1) {
      const v = this.view.getUint16(this.at, true) >> 2;
      this.at += 2;
      return v;
    }
    if (mode === 2) return this.u32() >>> 2;
    throw new RangeError("compact: big integers are not used by this protocol");
  };
  ids = () => Array.from({ length: this.compact() }, () => this.u32());
}

export interface AssetInfo {
  held: number[];
  loading: number[];
  heldSum: bigint;
  loadingSum: bigint;
  orphanSum: bigint;
  minted: bigint;
  sentOut: bigint;
  receivedIn: bigint;
  /** Transfers that succeeded so far (settled or sent). */
  transfers: bigint;
}

export function decodeAssetInfo(bytes: Uint8Array): AssetInfo {
  const c = new Cursor(bytes);
  const held = c.ids();
  const loading = c.ids();
  return {
    held,
    loading,
    heldSum: c.u64(),
    loadingSum: c.u64(),
    orphanSum: c.u64(),
    minted: c.u64(),
    sentOut: c.u64(),
    receivedIn: c.u64(),
    transfers: c.u64(),
  };
}

export interface BatchPlace {
  /** The administering actor, or 0 while the batch rests on the disk. */
  admin: number;
  /** The preimage it rests in (`0x00…00`: never stored). */
  hash: `0x${string}`;
  storer: number;
  pending: bigint;
}

export function decodeWhereIs(bytes: Uint8Array): BatchPlace {
  const c = new Cursor(bytes);
  return { admin: c.u32(), hash: toHex(c.fixed(32)), storer: c.u32(), pending: c.u64() };
}

export function decodeRegistryInfo(bytes: Uint8Array) {
  const c = new Cursor(bytes);
  return { batches: c.u32(), administered: c.u32(), pendingSum: c.u64(), forwarded: c.u64() };
}

/** The balances in a batch preimage: `batch u32 ‖ compact(n) ‖ u64 × n`. */
export function decodeBatch(bytes: Uint8Array): { batch: number; balances: bigint[] } {
  const c = new Cursor(bytes);
  const batch = c.u32();
  const n = c.compact();
  return { batch, balances: Array.from({ length: n }, () => c.u64()) };
}

/** The amount a credit postcard carries (`0 ‖ batch u32 ‖ index u16 ‖ amount u64`), or 0n for any other. */
export function creditAmount(m: Message): bigint {
  const d = m.data;
  if (d.length !== 15 || d[0] !== 0) return 0n;
  return new DataView(d.buffer, d.byteOffset, d.byteLength).getBigUint64(7, true);
}
