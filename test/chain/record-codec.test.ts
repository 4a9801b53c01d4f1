import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { queuedCallIdIf, queuedCallInput, recordCodec } from "../../src/chain/record-codec.ts";
import { AccountInfo, ActorInfo, ChainMeta, FAST, QueuedCall, Receipt } from "../../src/chain/state.ts";

const b32 = fc.uint8Array({ minLength: 32, maxLength: 32 });
const u32 = fc.nat(0xffff_ffff);
const u64 = fc.bigInt(0n, (1n << 64n) - 1n);
const u128 = fc.bigInt(0n, (1n << 128n) - 1n);
// lengths across the 1-, 2- and 4-byte compact modes
const bytes = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 70 }), weight: 4 },
  { arbitrary: fc.uint8Array({ minLength: 60, maxLength: 300 }), weight: 4 },
  {
    arbitrary: fc.integer({ min: 16_380, max: 16_390 }).map((n) => new Uint8Array(n).fill(n & 0xff)),
    weight: 1,
  },
);
const queue = fc.record({ first: u64, len: u32 });

const cases = [
  ["AccountInfo", AccountInfo, FAST.account, fc.record({ free: u128, reserved: u128, nonce: u64 })],
  [
    "ActorInfo",
    ActorInfo,
    FAST.actor,
    fc.record({
      codeHash: b32,
      stateHash: b32,
      sequence: u64,
      owner: b32,
      balance: u128,
      diskReserved: u64,
      diskUsed: u64,
      diskDeposit: u128,
      calls: queue,
      pigeonhole: fc.record({ queue, head: b32, tail: b32 }),
      createdAt: u32,
    }),
  ],
  [
    "ChainMeta",
    ChainMeta,
    FAST.meta,
    fc.record({
      head: u32,
      headHash: b32,
      genesisHash: b32,
      nextActor: u32,
      issuance: u128,
      burned: u128,
      poolSeq: u64,
    }),
  ],
  ["QueuedCall", QueuedCall, FAST.call, fc.record({ id: b32, from: b32, input: bytes, queuedAt: u32 })],
  [
    "Receipt",
    Receipt,
    FAST.receipt,
    fc.record({ id: b32, actor: u32, block: u32, sequence: u64, output: bytes }),
  ],
] as const;

describe("state record codecs: the same bytes as the SCALE Structs", () => {
  for (const [name, scale, fast, arb] of cases) {
    it(name, () => {
      fc.assert(
        fc.property(arb as fc.Arbitrary<never>, (v) => {
          const bytesOf = (scale as { enc(x: unknown): Uint8Array }).enc(v);
          expect(fast.enc(v as never)).toEqual(bytesOf);
          expect(fast.dec(bytesOf)).toEqual((scale as { dec(b: Uint8Array): unknown }).dec(bytesOf));
          // a view into a larger buffer decodes the same
          const padded = new Uint8Array(bytesOf.length + 7);
          padded.set(bytesOf, 3);
          expect(fast.dec(padded.subarray(3, 3 + bytesOf.length))).toEqual(fast.dec(bytesOf));
        }),
        { numRuns: 40 },
      );
    });
  }

  it("the hot records refuse every truncation and extension of a valid encoding (property)", () => {
    for (const [, , fast, arb] of cases) {
      fc.assert(
        fc.property(arb as fc.Arbitrary<never>, fc.nat(), fc.nat(255), (v, cut, extra) => {
          const bytes = fast.enc(v as never);
          expect(() => fast.dec(bytes.subarray(0, cut % bytes.length))).toThrow();
          expect(() => fast.dec(Uint8Array.of(...bytes, extra))).toThrow();
        }),
        { numRuns: 40 },
      );
    }
  });

  it("a queued call's input alone, and its id when its input is the one given (property)", () => {
    const arb = cases.find(([name]) => name === "QueuedCall")?.[3] as fc.Arbitrary<never>;
    fc.assert(
      fc.property(arb, bytes, fc.nat(), (v, other, cut) => {
        const c = v as unknown as { id: Uint8Array; input: Uint8Array };
        const b = FAST.call.enc(v);
        const input = queuedCallInput(b);
        expect(input).toEqual(c.input);
        expect(input.buffer).not.toBe(b.buffer); // a copy
        const id = queuedCallIdIf(b, c.input);
        expect(id).toEqual(c.id);
        expect(id?.buffer).toBe(b.buffer); // a view
        const same = other.length === c.input.length && other.every((x, i) => x === c.input[i]);
        expect(queuedCallIdIf(b, other)).toEqual(same ? c.id : undefined);
        expect(() => queuedCallInput(b.subarray(0, cut % b.length))).toThrow();
        expect(() => queuedCallIdIf(Uint8Array.of(...b, 0), c.input)).toThrow();
      }),
      { numRuns: 60 },
    );
  });

  it("refuses truncated and over-long input", () => {
    const c = recordCodec<{ a: number; b: Uint8Array }>([
      ["a", "u32"],
      ["b", "bytes"],
    ]);
    const ok = c.enc({ a: 7, b: Uint8Array.of(1, 2, 3) });
    expect(c.dec(ok)).toEqual({ a: 7, b: Uint8Array.of(1, 2, 3) });
    expect(() => c.dec(ok.subarray(0, ok.length - 1))).toThrow();
    expect(() => c.dec(Uint8Array.of(...ok, 0))).toThrow();
  });
});
