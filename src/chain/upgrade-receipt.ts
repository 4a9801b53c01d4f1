/** The record of one `set_code` at canonicalisation (DESIGN §10), kept per actor (state.ts `T.upgrade`). */
import { CodeHashCodec, Enum, Struct, str, u32, u64 } from "../codec/types.ts";

/** What became of one `set_code`: kept per actor (its last), and reported in the block's result. */
export const UpgradeReceipt = Struct({
  block: u32,
  from: CodeHashCodec,
  to: CodeHashCodec,
  /** `Upgraded`: the gas `upgrade` used; `Refused`: why the actor stayed on `from`. */
  outcome: Enum({ Upgraded: u64, Refused: str }),
});
export type UpgradeReceipt = ReturnType<typeof UpgradeReceipt.dec>;
