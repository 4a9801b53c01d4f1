/** Signed headers and Aura (DESIGN §11): the right author in its slot, sealed, after its parent; anything else is refused. */
import { describe, expect, it } from "vitest";
import type { BlockHeader } from "../../src/chain/index.ts";
import type { Hash } from "../../src/codec/ids.ts";
import { authorFor, checkHeader, slotAt } from "../../src/consensus/aura.ts";
import {
  decodeSignedHeader,
  encodeSignedHeader,
  headerHash,
  SIGNED_HEADER_BYTES,
  sealHash,
  signHeader,
  verifyHeader,
} from "../../src/consensus/header.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import { alice, block, collator, newChain } from "../chain/helpers.ts";
import { keys } from "./sim.ts";

const SLOT_MS = 2000;
const validators = keys(4);
const ids = validators.map((k) => k.publicKey);
const parent = { hash: blake2b256(new Uint8Array([1])), number: 9, slot: 100n };
const headerAt = (slot: bigint, over: Partial<BlockHeader> = {}): BlockHeader => ({
  number: 10,
  parent: parent.hash,
  author: ids[authorFor(slot, ids)]!,
  slot,
  txsRoot: blake2b256(new Uint8Array([2])),
  povsRoot: blake2b256(new Uint8Array([3])),
  stateRoot: blake2b256(new Uint8Array([4])),
  ...over,
});
const keyFor = (h: BlockHeader) => validators[ids.findIndex((id) => Buffer.compare(id, h.author) === 0)]!;
const sealed = (h: BlockHeader, key = keyFor(h)) => signHeader(h, key);
const now = Number(104n) * SLOT_MS + 10;

describe("aura", () => {
  it("slot = ⌊ms / slotMs⌋ and author = validators[slot mod n]", () => {
    expect(slotAt(0, SLOT_MS)).toBe(0n);
    expect(slotAt(3999, SLOT_MS)).toBe(1n);
    expect(slotAt(4000, SLOT_MS)).toBe(2n);
    expect([0n, 1n, 2n, 3n, 4n, 5n].map((s) => authorFor(s, ids))).toEqual([0, 1, 2, 3, 0, 1]);
  });

  it("accepts the slot's author's sealed header after its parent", () => {
    const h = headerAt(103n);
    expect(checkHeader(sealed(h), { validators: ids, nowMs: now, slotMs: SLOT_MS, parent })).toEqual({
      ok: true,
      value: { hash: headerHash(h), authorIndex: 3 },
    });
  });

  it.each([
    [
      "another validator's header in this slot",
      () => sealed(headerAt(103n, { author: ids[0]! }), validators[0]),
      "WrongAuthor",
    ],
    ["a seal by another key", () => sealed(headerAt(103n), validators[0]), "BadSignature"],
    [
      "a header changed after sealing",
      () => ({
        ...sealed(headerAt(103n)),
        header: headerAt(103n, { stateRoot: new Uint8Array(32) as Hash }),
      }),
      "BadSignature",
    ],
    ["a short seal", () => ({ ...sealed(headerAt(103n)), seal: new Uint8Array(10) }), "BadSignature"],
    ["a future slot", () => sealed(headerAt(106n)), "FutureSlot"],
    ["the parent's slot", () => sealed(headerAt(100n)), "SlotNotIncreasing"],
    ["an earlier slot than the parent's", () => sealed(headerAt(97n)), "SlotNotIncreasing"],
    ["another parent", () => sealed(headerAt(103n, { parent: new Uint8Array(32) as Hash })), "WrongParent"],
    ["a skipped number", () => sealed(headerAt(103n, { number: 12 })), "WrongParent"],
    ["no header at all", () => ({ header: null, seal: new Uint8Array(64) }) as never, "Malformed"],
  ])("refuses %s with a typed reason, never a throw", (_, make, reason) => {
    const r = checkHeader(make(), { validators: ids, nowMs: now, slotMs: SLOT_MS, parent });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.reason).toBe(reason);
      expect(r.error.code).toMatch(/^CONSENSUS_[A-Z_]+$/);
    }
  });

  it("a signed header round-trips through its wire form; garbage and oversized bytes are refused", () => {
    const s = sealed(headerAt(103n));
    const bytes = encodeSignedHeader(s);
    expect(bytes.length).toBe(SIGNED_HEADER_BYTES);
    const back = decodeSignedHeader(bytes);
    expect(back.ok && verifyHeader(back.value)).toEqual({ ok: true, value: s.hash });
    expect(decodeSignedHeader(bytes.subarray(0, 100))).toMatchObject({
      ok: false,
      error: { reason: "Malformed" },
    });
    expect(decodeSignedHeader(new Uint8Array(SIGNED_HEADER_BYTES + 1))).toMatchObject({
      ok: false,
      error: { reason: "Oversized" },
    });
    expect(decodeSignedHeader("x" as never)).toMatchObject({ ok: false, error: { reason: "Malformed" } });
  });
});

describe("the chain's sealed blocks", () => {
  it("applyBlock keeps the author's seal, which verifies against the stored header", () => {
    const chain = newChain();
    const r = chain.applyBlock({
      txs: [],
      author: collator.publicKey,
      slot: 7n,
      seal: (h) => sealHash(h, collator),
    });
    const rec = chain.block(r.number)!;
    expect(rec.header.slot).toBe(7n);
    expect(headerHash(rec.header)).toEqual(r.hash);
    expect(verifyHeader({ header: rec.header, seal: rec.seal })).toEqual({ ok: true, value: r.hash });
    expect(verifyHeader({ header: rec.header, seal: sealHash(r.hash, alice) })).toMatchObject({
      ok: false,
      error: { reason: "BadSignature" },
    });
  });

  it("an imported block that re-executes to another hash is refused whole (CHAIN_BLOCK_MISMATCH)", () => {
    const chain = newChain();
    block(chain);
    const head = chain.head();
    expect(() =>
      chain.applyBlock({ txs: [], author: collator.publicKey, expect: new Uint8Array(32) as Hash }),
    ).toThrow(expect.objectContaining({ code: "CHAIN_BLOCK_MISMATCH" }));
    expect(chain.head()).toEqual(head);
    // the same inputs on a twin chain give the expected hash: accepted
    const twin = newChain();
    block(twin);
    const want = twin.applyBlock({ txs: [], author: collator.publicKey }).hash;
    expect(chain.applyBlock({ txs: [], author: collator.publicKey, expect: want }).hash).toEqual(want);
  });
});
