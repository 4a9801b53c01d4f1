/** fast-check arbitraries of the pov contract's values, shared by the codec tests. */
import fc from "fast-check";
import type { PovEffects, Verdict } from "../../src/pov/types.ts";

export const actorIds = fc.integer({ min: 0, max: 0xffff_ffff });
export const hashes = fc.uint8Array({ minLength: 32, maxLength: 32 });
export const u64s = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const u128s = fc.bigInt({ min: 0n, max: (1n << 128n) - 1n });

/** Random postcards carrying `data`. */
export function messages(data: fc.Arbitrary<Uint8Array> = fc.uint8Array({ maxLength: 8 })) {
  return fc.record({
    from: fc.oneof(
      actorIds.map((value) => ({ tag: "Actor" as const, value })),
      hashes.map((value) => ({ tag: "Account" as const, value })),
    ),
    to: actorIds,
    data,
  });
}

/**
 * Random verdicts. `calls` bounds the agenda calls (many make the encoder's buffer grow), `bytes` the
 * byte fields, `text` the strings (logs and reasons).
 */
export function verdicts(
  o: { calls?: number; bytes?: number; text?: fc.Arbitrary<string> } = {},
): fc.Arbitrary<Verdict> {
  const id = actorIds;
  const hash = hashes;
  const bytes = fc.uint8Array({ maxLength: o.bytes ?? 8 });
  const text = o.text ?? fc.string({ maxLength: 6 });
  const message = messages(bytes);
  const effects = fc.record({
    transitions: fc.array(fc.record({ actor: id, sequence: u64s, preHash: hash, postHash: hash }), {
      maxLength: 3,
    }),
    sent: fc.array(message, { maxLength: 3 }),
    received: fc.array(
      fc.record({ actor: id, count: id, headBefore: hash, headAfter: hash, seen: id, headSeen: hash }),
      { maxLength: 2 },
    ),
    transfers: fc.array(fc.record({ from: id, to: id, amount: u128s }), { maxLength: 3 }),
    codeChanges: fc.array(fc.record({ actor: id, codeHash: hash, carry: bytes }), { maxLength: 2 }),
    stored: fc.array(fc.record({ actor: id, data: bytes }), { maxLength: 2 }),
    released: fc.array(fc.record({ actor: id, hash }), { maxLength: 2 }),
    requested: fc.array(fc.record({ actor: id, hash }), { maxLength: 2 }),
    calls: fc.array(fc.record({ actor: id, input: bytes, output: bytes }), { maxLength: o.calls ?? 2 }),
    payouts: fc.array(fc.record({ actor: id, amount: u128s }), { maxLength: 2 }),
    logs: fc.array(fc.record({ actor: id, line: text }), { maxLength: 2 }),
    gasUsed: u64s,
  }) as unknown as fc.Arbitrary<PovEffects>;
  return fc.oneof(
    effects.map((value) => ({ tag: "Valid" as const, value }) as Verdict),
    fc
      .oneof(
        text.map((value) => ({ tag: "Malformed" as const, value })),
        id.map((value) => ({ tag: "PostMismatch" as const, value })),
        u64s.map((value) => ({ tag: "CoreGasExceeded" as const, value })),
        hash.map((value) => ({ tag: "UnknownCode" as const, value })),
        text.map((value) => ({ tag: "BadWitness" as const, value })),
      )
      .map((value) => ({ tag: "Invalid" as const, value }) as Verdict),
  );
}
