// What the asset actors and the registry share: credit postcards and the batch preimage format.
import { Reader, Writer } from "coreplay-sdk";

/** Postcard kinds. A credit: `0 ‖ batch u32 ‖ index u16 ‖ amount u64`. */
export const CREDIT: u8 = 0;
export const CREDIT_LEN: i32 = 1 + 4 + 2 + 8;
/** `1 ‖ hash [u8;32]`: the batch you stored as `hash` has been read; release your disk reference. */
export const READ: u8 = 1;
export const READ_LEN: i32 = 1 + 32;

export class Credit {
  constructor(
    public batch: u32,
    public index: u16,
    public amount: u64,
  ) {}
}

/** Reads a credit postcard whose length and kind were checked. */
export function readCredit(r: Reader): Credit {
  r.u8();
  const batch = r.u32();
  const index = r.u16();
  return new Credit(batch, index, r.u64());
}

export function creditCard(batch: u32, index: u16, amount: u64): Uint8Array {
  return new Writer(CREDIT_LEN).u8(CREDIT).u32(batch).u16(index).u64(amount).finish();
}

/** `compact(n) ‖ (index u16, amount u64) × n` (the batch is known from the context). */
export function writeCredits(w: Writer, credits: Credit[]): void {
  w.compact(<u64>credits.length);
  for (let i = 0; i < credits.length; i++) w.u16(credits[i].index).u64(credits[i].amount);
}

export function readCredits(r: Reader, batch: u32): Credit[] {
  const n = <i32>r.compact();
  const out = new Array<Credit>(0);
  for (let i = 0; i < n; i++) {
    const index = r.u16();
    out.push(new Credit(batch, index, r.u64()));
  }
  return out;
}

/** True for the 32 zero bytes that name a batch never stored (all balances zero). */
export function isZeroHash(hash: Uint8Array): bool {
  for (let i = 0; i < hash.length; i++) if (hash[i] != 0) return false;
  return true;
}

/** A batch preimage: `batch u32 ‖ compact(n) ‖ balance u64 × n`. */
export function encodeBatch(batch: u32, balances: StaticArray<u64>): Uint8Array {
  const w = new Writer(8 + balances.length * 8).u32(batch).compact(<u64>balances.length);
  for (let i = 0; i < balances.length; i++) w.u64(balances[i]);
  return w.finish();
}
