import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AppliedParts, appliedOf } from "../../src/chain/apply-tx.ts";
import type { TxApplied } from "../../src/chain/types.ts";

describe("appliedOf", () => {
  it("is the block's view of applyTx's value, key order included (property)", () => {
    const h = fc.uint8Array({ minLength: 32, maxLength: 32 });
    const field = fc.constantFrom("codeHash", "actor", "hash", "extra");
    fc.assert(
      fc.property(
        fc.uniqueArray(field, { maxLength: 4 }),
        h,
        h,
        fc.bigInt(0n, 1n << 64n),
        (keys, x, tx, fee) => {
          const value: Record<string, unknown> = {};
          for (const k of keys) value[k] = k === "actor" ? 7 : x;
          const parts = { value, fee, hash: tx, signer: x, nonce: 3n } as unknown as AppliedParts;
          // what applyBlock did before: applyTx's object, then all but signer, nonce and hash
          const full = { ...parts.value, fee, hash: tx, signer: x, nonce: 3n };
          const { signer: _s, nonce: _n, hash: _h, ...want } = full;
          const got = appliedOf(parts);
          expect(got).toEqual(want as TxApplied);
          expect(Object.keys(got)).toEqual(Object.keys(want));
        },
      ),
    );
  });
});
