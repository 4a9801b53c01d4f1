/**
 * Availability, small but real (issue 15 §4): the members of a PoV's backing group keep its collation
 * bytes until the block it is for is finalised, and serve them by PoV id (request–response `pov`), so
 * an approval checker or a syncing node can re-execute it. Erasure coding across all validators is
 * left for later (docs/decisions.md). Bounded in entries and bytes (oldest dropped first). No I/O.
 */
import { toHex } from "../../codec/bytes.ts";
import type { Hash } from "../../codec/ids.ts";
import { decodeExact, encode, Option, VecU8 } from "../../codec/types.ts";

export interface AvailabilityStore {
  /** Keeps `bytes` (an encoded collation) for the block numbered `block`. */
  put(pov: Hash, bytes: Uint8Array, block: number): void;
  get(pov: Hash): Uint8Array | undefined;
  /** Drops what is for blocks at or below the finalised number. */
  finalized(number: number): void;
  readonly size: number;
  readonly bytes: number;
}

export function createAvailabilityStore(
  limits = { entries: 1024, bytes: 512 * 1024 * 1024 },
): AvailabilityStore {
  const items = new Map<string, { bytes: Uint8Array; block: number }>();
  let total = 0;
  const drop = (k: string) => {
    const e = items.get(k);
    if (!e) return;
    total -= e.bytes.byteLength;
    items.delete(k);
  };
  return {
    put(pov, bytes, block) {
      const k = toHex(pov);
      if (items.has(k)) return;
      items.set(k, { bytes, block });
      total += bytes.byteLength;
      while (items.size > limits.entries || total > limits.bytes) drop(items.keys().next().value as string);
    },
    get: (pov) => items.get(toHex(pov))?.bytes,
    finalized(number) {
      for (const [k, e] of items) if (e.block <= number) drop(k);
    },
    get size() {
      return items.size;
    },
    get bytes() {
      return total;
    },
  };
}

/** The `pov` protocol: a 32-byte PoV id in, `Option<collation bytes>` out. */
export const POV_REQUEST_BYTES = 32;
const Answer = Option(VecU8);
export const encodePovAnswer = (bytes: Uint8Array | undefined): Uint8Array => encode(Answer, bytes);
export const decodePovAnswer = (bytes: Uint8Array): Uint8Array | undefined =>
  decodeExact(Answer, bytes, "pov answer");
