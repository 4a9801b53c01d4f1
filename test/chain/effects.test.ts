/** DESIGN §4 "effects apply atomically": postcards, transfers, payouts, code changes, disk, receipts. */
import { describe, expect, it } from "vitest";
import { concatBytes } from "../../src/codec/bytes.ts";
import type { ActorId, CodeHash, Hash } from "../../src/codec/ids.ts";
import { CallOutput, type Message } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import {
  alice,
  block,
  bob,
  bytes,
  collator,
  makePov,
  nextSlab,
  PROGRAM,
  receivedOf,
  setup,
  testConfig,
  tx,
} from "./helpers.ts";

const msg = (from: ActorId, to: ActorId, data: string): Message => ({
  from: { tag: "Actor", value: from },
  to,
  data: bytes(data),
});
const text = (m: Message) => new TextDecoder().decode(m.data);

/** Expects the PoV to be dropped for `code`, with the actors' state unchanged. */
function rejectsWith(
  chain: ReturnType<typeof setup>["chain"],
  ids: ActorId[],
  pov: ReturnType<typeof makePov>,
  code: string,
) {
  const before = ids.map((id) => chain.actor(id));
  const r = block(chain, [], [pov]);
  expect(r.canonicalised).toEqual([]);
  expect(r.expired[0]?.reason).toMatchObject({ kind: "EffectsRejected", code });
  expect(ids.map((id) => chain.actor(id))).toEqual(before);
}

describe("postcards", () => {
  it("sent postcards land in the recipient's pigeonhole with the hash chain extended", () => {
    const { chain, ids } = setup(2);
    const ph = chain.pigeonhole(ids[1]);
    block(
      chain,
      [],
      [
        makePov([nextSlab(chain, ids[0], "s")], {
          sent: [msg(ids[0], ids[1], "hi"), msg(ids[0], ids[1], "there")],
        }),
      ],
    );
    const after = chain.pigeonhole(ids[1]);
    expect(after?.messages.map(text)).toEqual(["hi", "there"]);
    expect(after?.head).toEqual(ph?.head);
    const expect1 = receivedOf(ids[1], ph?.head as Hash, after?.messages ?? [], 2);
    expect(after?.tail).toEqual(expect1.headAfter);
  });

  it("a send the relay-parent view allowed applies even into a pigeonhole that filled since (issue 13 §0)", () => {
    const { chain, ids } = setup(2);
    block(
      chain,
      [0, 1, 2].map((i) =>
        tx(chain, bob, { tag: "Post", value: { actor: ids[1], data: bytes(`p${i}`) } }, BigInt(i)),
      ),
    );
    const sent = [msg(ids[0], ids[1], "4th"), msg(ids[0], ids[1], "5th")];
    // the play's `send` decided from the view's room; the chain never refuses it afterwards
    const ok = block(chain, [], [makePov([nextSlab(chain, ids[0], "s")], { sent })]);
    expect(ok.canonicalised.length).toBe(1);
    expect(chain.pigeonhole(ids[1])?.messages.length).toBe(testConfig.pigeonholeCapacity + 1);
    // and the next view shows no room, so the next play's `send` says Full
    expect(chain.relayView([ids[0]], { recipients: [ids[1]] }).room).toContainEqual({
      actor: ids[1],
      pigeonhole: 0,
      disk: 0n,
    });
  });

  it("a PoV cannot send from an actor it does not carry, nor to an unknown actor", () => {
    const { chain, ids } = setup(2);
    rejectsWith(
      chain,
      ids,
      makePov([nextSlab(chain, ids[0], "s")], { sent: [msg(ids[1], ids[0], "x")] }),
      "NOT_IN_POV",
    );
    rejectsWith(
      chain,
      ids,
      makePov([nextSlab(chain, ids[0], "s")], { sent: [msg(ids[0], 77 as ActorId, "x")] }),
      "UNKNOWN_ACTOR",
    );
    const fromAccount: Message = {
      from: { tag: "Account", value: alice.publicKey },
      to: ids[1],
      data: bytes("x"),
    };
    rejectsWith(chain, ids, makePov([nextSlab(chain, ids[0], "s")], { sent: [fromAccount] }), "BAD_SENDER");
  });

  it("received postcards are checked against the chain and dequeued; forged, skipped or missing ones fail", () => {
    const { chain, ids } = setup(1);
    block(
      chain,
      [0, 1, 2].map((i) =>
        tx(chain, bob, { tag: "Post", value: { actor: ids[0], data: bytes(`p${i}`) } }, BigInt(i)),
      ),
    );
    const ph = chain.pigeonhole(ids[0]);
    if (!ph) throw new Error("no pigeonhole");
    const real = ph.messages;
    // forged: a message that is not in the pigeonhole
    const forged = [{ ...real[0], data: bytes("forged") }, ...real.slice(1)];
    rejectsWith(
      chain,
      ids,
      makePov([nextSlab(chain, ids[0], "r")], { received: [receivedOf(ids[0], ph.head, forged, 1)] }),
      "POSTCARD_FORGED",
    );
    // skipped: reading from the second message on (head before it is not the pigeonhole's head)
    const skipHead = receivedOf(ids[0], ph.head, real, 1).headAfter;
    rejectsWith(
      chain,
      ids,
      makePov([nextSlab(chain, ids[0], "r")], { received: [receivedOf(ids[0], skipHead, real.slice(1), 1)] }),
      "POSTCARD_SKIPPED",
    );
    // missing: more consumed than waiting
    const tooMany = { ...receivedOf(ids[0], ph.head, real, 3), count: 4, seen: 4 };
    rejectsWith(
      chain,
      ids,
      makePov([nextSlab(chain, ids[0], "r")], { received: [tooMany] }),
      "POSTCARD_MISSING",
    );
    // seen but forged beyond what was consumed
    rejectsWith(
      chain,
      ids,
      makePov([nextSlab(chain, ids[0], "r")], {
        received: [receivedOf(ids[0], ph.head, [real[0], forged[0]], 1, 2)],
      }),
      "POSTCARD_FORGED",
    );
    // consumed more than seen
    rejectsWith(
      chain,
      ids,
      makePov([nextSlab(chain, ids[0], "r")], {
        received: [{ ...receivedOf(ids[0], ph.head, real, 2), seen: 1 }],
      }),
      "POSTCARD_MISSING",
    );
    // the real thing: read 3, consume 2
    const r = block(
      chain,
      [],
      [makePov([nextSlab(chain, ids[0], "r")], { received: [receivedOf(ids[0], ph.head, real, 2, 3)] })],
    );
    expect(r.canonicalised.length).toBe(1);
    const after = chain.pigeonhole(ids[0]);
    expect(after?.messages.map(text)).toEqual(["p2"]);
    expect(after?.head).toEqual(receivedOf(ids[0], ph.head, real, 2).headAfter);
    expect(after?.tail).toEqual(ph.tail);
    // the witness a collator builds carries the remaining message after the new head
    const w = chain.witness([ids[0]]);
    expect(w.messages).toEqual([{ actor: ids[0], headBefore: after?.head, messages: after?.messages }]);
  });
});

describe("balances", () => {
  it("transfers move balance between actors; overdrafts and foreign senders reject the PoV", () => {
    const { chain, ids } = setup(2, 1000n);
    block(
      chain,
      [],
      [makePov([nextSlab(chain, ids[0], "t")], { transfers: [{ from: ids[0], to: ids[1], amount: 400n }] })],
    );
    expect([chain.balanceOf(ids[0]), chain.balanceOf(ids[1])]).toEqual([600n, 1400n]);
    rejectsWith(
      chain,
      ids,
      makePov([nextSlab(chain, ids[0], "t")], { transfers: [{ from: ids[0], to: ids[1], amount: 601n }] }),
      "INSUFFICIENT_BALANCE",
    );
    rejectsWith(
      chain,
      ids,
      makePov([nextSlab(chain, ids[0], "t")], { transfers: [{ from: ids[1], to: ids[0], amount: 1n }] }),
      "NOT_IN_POV",
    );
  });

  it("payouts go to the collator, capped by the actor's balance", () => {
    const { chain, ids } = setup(1, 500n);
    const c0 = chain.balanceOf(collator.publicKey);
    block(
      chain,
      [],
      [makePov([nextSlab(chain, ids[0], "p")], { payouts: [{ actor: ids[0], amount: 200n }] })],
    );
    expect(chain.balanceOf(collator.publicKey)).toBe(c0 + 200n);
    block(
      chain,
      [],
      [makePov([nextSlab(chain, ids[0], "p")], { payouts: [{ actor: ids[0], amount: 10_000n }] })],
    );
    expect(chain.balanceOf(collator.publicKey)).toBe(c0 + 500n);
    expect(chain.balanceOf(ids[0])).toBe(0n);
  });
});

describe("code changes", () => {
  it("set_code restarts the actor on the new code after the PoV: image from upgrade, references moved, receipt kept", () => {
    const { chain, codeHash, ids } = setup(1);
    const other = concatBytes(PROGRAM, bytes("v2"));
    const up = block(chain, [tx(chain, alice, { tag: "Upload", value: { blob: other } })]);
    const h2 = up.txs[0].result.ok ? up.txs[0].result.value.codeHash : undefined;
    if (!h2) throw new Error("upload failed");
    const carry = bytes("count=3");
    const r = block(
      chain,
      [],
      [makePov([nextSlab(chain, ids[0], "c")], { codeChanges: [{ actor: ids[0], codeHash: h2, carry }] })],
    );
    const a = chain.actor(ids[0]);
    expect(a?.codeHash).toEqual(h2);
    // the fake engine's upgraded image: `upgraded|new code|prev code|carry`, now the actor's slab
    const image = concatBytes(bytes("upgraded|"), h2, codeHash, carry);
    expect(chain.slab(ids[0])).toEqual(image);
    expect(a?.stateHash).toEqual(blake2b256(image));
    expect(a?.sequence).toBe(1n);
    expect([chain.codeInfo(codeHash)?.refs, chain.codeInfo(h2)?.refs]).toEqual([1, 2]);
    expect(chain.relayView([ids[0]]).actors[0].codeHash).toEqual(h2);
    const receipt = { block: r.number, from: codeHash, to: h2, outcome: { tag: "Upgraded", value: 5n } };
    expect(r.upgrades).toEqual([{ actor: ids[0], ...receipt }]);
    expect(chain.upgrade(ids[0])).toEqual(receipt);
  });

  it("a refused upgrade (unknown code, upgrade trapped) leaves the actor on its old code and image; the PoV still applies", () => {
    const { chain, codeHash, ids } = setup(1);
    const other = concatBytes(PROGRAM, bytes("v2"));
    const up = block(chain, [tx(chain, alice, { tag: "Upload", value: { blob: other } })]);
    const h2 = up.txs[0].result.ok ? (up.txs[0].result.value.codeHash as CodeHash) : (undefined as never);
    const nope = blake2b256(bytes("nope")) as unknown as CodeHash;
    for (const [to, carry, why] of [
      [nope, bytes("x"), /^UNKNOWN_CODE: /],
      [h2, Uint8Array.of(0xff), /^Trap: fake upgrade trapped/], // the fake engine's trapping upgrade
    ] as const) {
      const slab = nextSlab(chain, ids[0], "c");
      const r = block(
        chain,
        [],
        [makePov([slab], { codeChanges: [{ actor: ids[0], codeHash: to, carry }] })],
      );
      expect(r.canonicalised.length).toBe(1);
      const a = chain.actor(ids[0]);
      expect(a?.codeHash).toEqual(codeHash);
      expect(a?.stateHash).toEqual(blake2b256(slab.post));
      expect(chain.slab(ids[0])).toEqual(slab.post);
      expect([chain.codeInfo(codeHash)?.refs, chain.codeInfo(h2)?.refs]).toEqual([2, 1]);
      expect(r.upgrades[0]?.outcome.tag).toBe("Refused");
      expect(r.upgrades[0]?.outcome.value).toMatch(why);
      expect(chain.upgrade(ids[0])?.to).toEqual(to);
    }
  });
});

describe("disk effects", () => {
  it("stores within the reservation, refuses beyond it, releases, and serves requests in the witness", () => {
    const { chain, ids } = setup(1);
    const data = bytes("x".repeat(60));
    const h = blake2b256(data) as Hash;
    rejectsWith(
      chain,
      ids,
      makePov([nextSlab(chain, ids[0], "d")], { stored: [{ actor: ids[0], data }] }),
      "DISK_OVER_QUOTA",
    );
    block(chain, [tx(chain, bob, { tag: "Reserve", value: { actor: ids[0], bytes: 100n } })]);
    block(
      chain,
      [],
      [
        makePov([nextSlab(chain, ids[0], "d")], {
          stored: [{ actor: ids[0], data }],
          requested: [{ actor: ids[0], hash: h }],
        }),
      ],
    );
    expect(chain.actor(ids[0])?.diskUsed).toBe(60n);
    expect(chain.preimage(h)).toEqual(data);
    expect(chain.requests(ids[0])).toEqual([h]);
    expect(chain.witness([ids[0]]).preimages).toEqual([data]);
    rejectsWith(
      chain,
      ids,
      makePov([nextSlab(chain, ids[0], "d")], { stored: [{ actor: ids[0], data: bytes("y".repeat(41)) }] }),
      "DISK_OVER_QUOTA",
    );
    // releasing what the actor does not hold does nothing (the play could not know it: issue 13 §0)
    const noop = block(
      chain,
      [],
      [
        makePov([nextSlab(chain, ids[0], "d")], {
          released: [{ actor: ids[0], hash: blake2b256(bytes("never")) }],
        }),
      ],
    );
    expect(noop.canonicalised.length).toBe(1);
    // release frees quota for a store in the same PoV; the served request is cleared
    const big = bytes("z".repeat(90));
    block(
      chain,
      [],
      [
        makePov([nextSlab(chain, ids[0], "d")], {
          stored: [{ actor: ids[0], data: big }],
          released: [{ actor: ids[0], hash: h }],
        }),
      ],
    );
    expect(chain.actor(ids[0])?.diskUsed).toBe(90n);
    expect(chain.preimage(h)).toBeUndefined();
    expect(chain.requests(ids[0])).toEqual([]);
  });

  it("an account's and an actor's references to one preimage are counted apart", () => {
    const { chain, ids } = setup(1);
    const data = bytes("shared");
    const h = blake2b256(data) as Hash;
    block(chain, [
      tx(chain, alice, { tag: "Store", value: { data } }),
      tx(chain, bob, { tag: "Reserve", value: { actor: ids[0], bytes: 10n } }),
    ]);
    block(chain, [], [makePov([nextSlab(chain, ids[0], "d")], { stored: [{ actor: ids[0], data }] })]);
    expect(chain.preimageInfo(h)?.refs).toBe(2);
    block(chain, [tx(chain, alice, { tag: "Release", value: { hash: h } })]);
    expect(chain.preimage(h)).toEqual(data);
    block(chain, [], [makePov([nextSlab(chain, ids[0], "d")], { released: [{ actor: ids[0], hash: h }] })]);
    expect(chain.preimageInfo(h)).toBeUndefined();
  });
});

describe("calls and receipts", () => {
  it("queued calls run by a PoV get receipts in order; unqueued calls get none", () => {
    const { chain, ids } = setup(1);
    const r = block(
      chain,
      [0, 1].map((i) =>
        tx(chain, bob, { tag: "Call", value: { actor: ids[0], input: bytes(`in${i}`) } }, BigInt(i)),
      ),
    );
    const out0 = CallOutput.enc({ success: true, value: bytes("out0") });
    const calls = [
      { actor: ids[0], input: bytes("collator's own"), output: out0 },
      { actor: ids[0], input: bytes("in0"), output: out0 },
    ];
    const b = block(
      chain,
      [],
      [makePov([nextSlab(chain, ids[0], "c")], { calls, logs: [{ actor: ids[0], line: "ran" }] })],
    );
    expect(b.logs).toEqual([{ actor: ids[0], line: "ran" }]);
    const rc = chain.receipt(r.txs[0].hash);
    expect(rc).toMatchObject({ actor: ids[0], block: b.number, sequence: 1n, output: out0 });
    expect(chain.receipt(r.txs[1].hash)).toBeUndefined();
    expect(chain.pendingCalls(ids[0]).map((c) => new TextDecoder().decode(c.input))).toEqual(["in1"]);
    rejectsWith(
      chain,
      ids,
      makePov([nextSlab(chain, ids[0], "c")], {
        calls: [{ actor: 5 as ActorId, input: bytes("in1"), output: out0 }],
      }),
      "NOT_IN_POV",
    );
  });
});

describe("effects are atomic", () => {
  it("a rejection late in the effects leaves every earlier effect unapplied", () => {
    const { chain, ids } = setup(2, 1000n);
    block(chain, [tx(chain, bob, { tag: "Post", value: { actor: ids[0], data: bytes("m") } })]);
    const ph = chain.pigeonhole(ids[0]);
    const pov = makePov([nextSlab(chain, ids[0], "a")], {
      received: [receivedOf(ids[0], ph?.head as Hash, ph?.messages ?? [], 1)],
      transfers: [{ from: ids[0], to: ids[1], amount: 100n }],
      sent: [msg(ids[0], ids[1], "x")],
      payouts: [{ actor: ids[0], amount: 5n }],
      stored: [{ actor: ids[0], data: bytes("no reservation") }],
    });
    const before = {
      b: chain.balanceOf(ids[1]),
      c: chain.balanceOf(collator.publicKey),
      slab: chain.slab(ids[0]),
    };
    rejectsWith(chain, ids, pov, "DISK_OVER_QUOTA");
    expect(chain.balanceOf(ids[1])).toBe(before.b);
    expect(chain.balanceOf(collator.publicKey)).toBe(before.c);
    expect(chain.pigeonhole(ids[0])?.messages.length).toBe(1);
    expect(chain.pigeonhole(ids[1])?.messages.length).toBe(0);
    expect(chain.slab(ids[0])).toEqual(before.slab);
  });
});
