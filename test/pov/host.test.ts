/** The executor's host functions: call_actor, postcards, disk, balances, rollback (script engine). */
import { describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import { CallOutput, decodeExact, Witness } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import {
  MAX_LOG_LINE,
  MAX_LOG_LINES,
  MAX_MESSAGE_SIZE,
  MAX_OUTBOX_MESSAGES,
  MAX_PREIMAGE_SIZE,
  MAX_REQUESTS,
  MAX_STORED_BYTES,
} from "../../src/pov/limits.ts";
import { EMPTY_HEAD, headAfter } from "../../src/pov/pigeonhole.ts";
import { HOST_ERROR } from "../../src/vm/abi.ts";
import { call, hex, type Op, postcard, service, setup, text, utf8 } from "./fixtures.ts";
import { build, check, editWitness, effectsOf, reasonOf } from "./helpers.ts";

const outputs = (e: ReturnType<typeof effectsOf>) =>
  e.calls.map((c) => {
    const o = CallOutput.dec(c.output);
    return o.success ? `ok:${text(o.value)}` : `err:${o.value.tag}`;
  });

/** Runs `ops` in a Call on actor 1 and then reads back a memory key by a second, key-reporting call. */
function play(actors: Parameters<typeof setup>[0], agenda: Parameters<typeof build>[1], extra = {}) {
  const fx = setup(actors);
  const built = build(fx, agenda, extra);
  const effects = effectsOf(check(fx, built.pov));
  expect(effects).toEqual(built.effects);
  return { fx, built, effects };
}

describe("call_actor", () => {
  it("passes the origin: the calling actor, or none for an agenda Call", () => {
    const { effects } = play(
      [{ id: 1 }, { id: 2, program: "whoami" }],
      [call(1, [["call", 2, []]]), call(2, []), service(1), service(2)],
    );
    expect(outputs(effects)).toEqual(["ok:0", "ok:none"]);
    // The reply is kept in actor 1's memory: check through a rebuilt play that reads it back.
  });
  it("returns NotCoscheduled for an actor outside the PoV, and Reentry into the call stack", () => {
    const fx = setup([{ id: 1 }, { id: 2 }]);
    const built = build(fx, [
      call(1, [["call", 9, []], ["call", 1, []], ["call", 2, [["call", 1, []]]], ["inc"]]),
      service(1),
      service(2),
    ]);
    expect(effectsOf(check(fx, built.pov))).toEqual(built.effects);
    // Read actor 1's memory from the post image via a fresh play on top of it.
    const image = fx.engine
      .load(fx.codes.code(fx.view.actors[0]!.codeHash)!)
      .decodeImage(built.decoded.slabs[0]!.pre);
    const post = fx.engine
      .load(fx.codes.code(fx.view.actors[0]!.codeHash)!)
      .decodeImageAgainst(image, built.decoded.slabs[0]!.post);
    const mem = new TextDecoder().decode(post.encode());
    expect(mem).toContain("err:NotCoscheduled|err:Reentry|ok:0");
    expect(mem).toContain("replies");
  });
  it("rolls back the callee's effects when the callee fails, keeps the caller's", () => {
    const { effects } = play(
      [{ id: 1 }, { id: 2 }],
      [
        call(1, [
          ["send", 5, "mine"],
          ["call", 2, [["send", 5, "theirs"], ["log", "x"], ["fail"]]],
          ["call", 2, [["send", 6, "ok"]]],
        ]),
        service(1),
        service(2),
      ],
    );
    expect(effects.sent.map((m) => [m.from.value, m.to, text(m.data)])).toEqual([
      [1, 5, "mine"],
      [2, 6, "ok"],
    ]);
    expect(effects.logs).toEqual([]);
  });
});

describe("an entry that fails leaves no effects", () => {
  for (const ending of [["fail"], ["trap"], ["yield"], ["burn", 1e9]] as Op[]) {
    it(`a Call ending in ${ending[0]}`, () => {
      const { effects } = play(
        [{ id: 1 }, { id: 2 }],
        [
          call(1, [
            ["inc"],
            ["send", 2, "x"],
            ["transfer", 2, "10"],
            ["store", "blob"],
            ["request", "11".repeat(32)],
            ["release", "22".repeat(32)],
            ["setCode", "33".repeat(32)],
            ["log", "hello"],
            ending,
          ]),
          call(1, []),
          service(1),
          service(2),
        ],
      );
      const tag = { fail: "Actor", trap: "Trap", yield: "YieldInCall", burn: "OutOfGas" }[
        ending[0] as string
      ];
      expect(outputs(effects)).toEqual([`err:${tag}`, "ok:0"]);
      for (const k of [
        "sent",
        "transfers",
        "stored",
        "requested",
        "released",
        "codeChanges",
        "logs",
      ] as const) {
        expect(effects[k]).toEqual([]);
      }
    });
  }
  it("undoes a callee's successful call, image and effects, when the caller's entry fails", () => {
    const { effects } = play(
      [{ id: 1 }, { id: 2 }],
      [
        call(1, [["call", 2, [["inc"], ["send", 5, "x"]]], ["trap"]]),
        call(1, [["call", 2, [["call", 3, []], ["inc"]]], ["call", 2, [["inc"]]], ["fail"]]),
        call(2, [["inc"]]),
        call(1, [["call", 2, [["inc"]]]]),
        call(2, []),
        service(1),
        service(2),
      ],
    );
    // Actor 2's counter only counts the calls that were not undone: its own, then the one from actor 1.
    expect(outputs(effects)).toEqual(["err:Trap", "err:Actor", "ok:1", "ok:0", "ok:2"]);
    expect(effects.sent).toEqual([]);
  });
  it("a main step that traps marks main failed and keeps nothing of the step", () => {
    const { effects } = play(
      [{ id: 1, plan: [[["send", 3, "a"]], [["send", 3, "b"], ["trap"]]] }],
      [service(1, 3)],
    );
    expect(effects.sent.map((m) => text(m.data))).toEqual(["a"]);
  });
  it("keeps the effects of a successful entry", () => {
    const { effects } = play(
      [{ id: 1 }, { id: 2 }],
      [
        call(1, [
          ["send", 2, "x"],
          ["transfer", 2, "10"],
          ["store", "blob"],
          ["request", "11".repeat(32)],
          ["release", "22".repeat(32)],
          ["setCode", "33".repeat(32)],
          ["log", "hello"],
        ]),
        service(1),
        service(2),
      ],
    );
    expect(effects.sent).toHaveLength(1);
    expect(effects.transfers).toEqual([{ from: 1, to: 2, amount: 10n }]);
    expect(effects.stored.map((s) => text(s.data))).toEqual(["blob"]);
    expect(effects.requested.map((r) => hex(r.hash))).toEqual(["11".repeat(32)]);
    expect(effects.released.map((r) => hex(r.hash))).toEqual(["22".repeat(32)]);
    expect(effects.codeChanges.map((r) => hex(r.codeHash))).toEqual(["33".repeat(32)]);
    expect(effects.logs).toEqual([{ actor: 1, line: "hello" }]);
  });
});

describe("postcards", () => {
  it("enforces the message size bound and the per-play outbox bound", () => {
    const big = "x".repeat(MAX_MESSAGE_SIZE + 1);
    const many: Op[] = Array.from({ length: MAX_OUTBOX_MESSAGES + 1 }, () => ["send", 2, "m"] as Op);
    const fx = setup([{ id: 1 }]);
    const built = build(fx, [call(1, [["send", 2, big], ...many]), service(1)]);
    const e = effectsOf(check(fx, built.pov));
    expect(e.sent).toHaveLength(MAX_OUTBOX_MESSAGES);
    const image = new TextDecoder().decode(built.decoded.slabs[0]!.post);
    expect(image).toContain(`${HOST_ERROR.TooLarge}|0|`);
    expect(image).toContain(`|0|${HOST_ERROR.Full}`);
  });
  it("delivers witness messages in order and reports counts and pigeonhole heads", () => {
    const head = blake2b256(utf8("earlier"));
    const msgs = [postcard(1, "a"), postcard(1, "b"), postcard(1, "c")];
    const { effects, built } = play([{ id: 1 }], [call(1, [["recv"], ["recv"]]), service(1)], {
      witness: { messages: [{ actor: actorId(1), headBefore: head, messages: msgs }] },
    });
    expect(effects.received).toEqual([
      {
        actor: 1,
        count: 2,
        headBefore: head,
        headAfter: headAfter(head, msgs.slice(0, 2)),
        seen: 2,
        headSeen: headAfter(head, msgs.slice(0, 2)),
      },
    ]);
    // The builder keeps only what was read.
    const w = decodeExact(Witness, built.decoded.witness, "witness");
    expect(w.messages[0]?.messages.map((m) => text(m.data))).toEqual(["a", "b"]);
  });
  it("builds from offered lists in any order, for any actor, keeping only the play's", () => {
    const fx = setup([{ id: 1 }, { id: 2 }]);
    const offered = [3, 2, 1].map((id) => ({
      actor: actorId(id),
      headBefore: EMPTY_HEAD,
      messages: [postcard(id, "m")],
    }));
    const built = build(fx, [call(2, [["recv"]]), call(1, [["recv"]]), service(1), service(2)], {
      witness: { messages: offered },
    });
    const w = decodeExact(Witness, built.decoded.witness, "witness");
    expect(w.messages.map((m) => m.actor)).toEqual([1, 2]);
    expect(effectsOf(check(fx, built.pov)).received.map((r) => r.actor)).toEqual([1, 2]);
  });
  it("re-reads messages a failed entry had read, and reports them as seen", () => {
    const msgs = [postcard(1, "a"), postcard(1, "b")];
    const { effects } = play(
      [{ id: 1 }],
      [call(1, [["recv"], ["recv"], ["fail"]]), call(1, [["recv"]]), service(1)],
      {
        witness: { messages: [{ actor: actorId(1), headBefore: EMPTY_HEAD, messages: msgs }] },
      },
    );
    expect(effects.received[0]).toMatchObject({
      count: 1,
      seen: 2,
      headAfter: headAfter(EMPTY_HEAD, msgs.slice(0, 1)),
    });
  });
  it("catches a forged message in the witness", () => {
    const fx = setup([{ id: 1 }]);
    const built = build(fx, [call(1, [["recv"]]), service(1)], {
      witness: { messages: [{ actor: actorId(1), headBefore: EMPTY_HEAD, messages: [postcard(1, "real")] }] },
    });
    const forged = editWitness(built.pov, (w) => {
      w.messages[0]!.messages[0]!.data = utf8("fake");
    });
    expect(reasonOf(check(fx, forged)).tag).toBe("PostMismatch");
  });
  it("rejects a witness carrying messages the play never read, or for another actor", () => {
    const fx = setup([{ id: 1 }]);
    const built = build(fx, [call(1, [["recv"]]), service(1)], {
      witness: {
        messages: [
          { actor: actorId(1), headBefore: EMPTY_HEAD, messages: [postcard(1, "a"), postcard(1, "b")] },
        ],
      },
    });
    const extra = editWitness(built.pov, (w) => {
      w.messages[0]!.messages.push(postcard(1, "b"));
    });
    expect(reasonOf(check(fx, extra))).toEqual({
      tag: "BadWitness",
      value: "actor 1: messages that were never read",
    });
    const misrouted = editWitness(built.pov, (w) => {
      w.messages[0]!.messages[0]!.to = actorId(2);
    });
    expect(reasonOf(check(fx, misrouted)).tag).toBe("BadWitness");
    const stranger = editWitness(built.pov, (w) => {
      w.messages.push({ actor: actorId(4), headBefore: EMPTY_HEAD, messages: [postcard(4, "z")] });
    });
    expect(reasonOf(check(fx, stranger))).toEqual({
      tag: "BadWitness",
      value: "messages for actor 4, which has no slab",
    });
  });
});

describe("disk: lookup, store, request, release", () => {
  const data = utf8("preimage");
  const h = hex(blake2b256(data));
  it("looks up witness preimages by hash and trims the unused ones", () => {
    const { effects, built } = play(
      [{ id: 1 }],
      [
        call(1, [
          ["lookup", h],
          ["lookup", "00".repeat(32)],
        ]),
        service(1),
      ],
      {
        witness: { preimages: [utf8("unused"), data] },
      },
    );
    expect(effects.calls).toHaveLength(1);
    const w = decodeExact(Witness, built.decoded.witness, "witness");
    expect(w.preimages.map(text)).toEqual(["preimage"]);
    expect(new TextDecoder().decode(built.decoded.slabs[0]!.post)).toContain("preimage|-");
  });
  it("catches a forged preimage in the witness", () => {
    const fx = setup([{ id: 1 }]);
    const built = build(fx, [call(1, [["lookup", h]]), service(1)], { witness: { preimages: [data] } });
    const forged = editWitness(built.pov, (w) => {
      w.preimages[0] = utf8("preimagE");
    });
    expect(reasonOf(check(fx, forged))).toEqual({
      tag: "BadWitness",
      value: "preimage 0 was never looked up",
    });
    const dup = editWitness(built.pov, (w) => {
      w.preimages.push(data);
    });
    expect(reasonOf(check(fx, dup))).toEqual({ tag: "BadWitness", value: "duplicate preimage" });
  });
  it("stores preimages (visible to lookup in the same play) and bounds their size", () => {
    const fx = setup([{ id: 1 }]);
    const built = build(fx, [
      call(1, [
        ["store", "blob"],
        ["lookup", hex(blake2b256(utf8("blob")))],
      ]),
      service(1),
    ]);
    const e = effectsOf(check(fx, built.pov));
    expect(e.stored).toEqual([{ actor: 1, data: utf8("blob") }]);
    expect(new TextDecoder().decode(built.decoded.slabs[0]!.post)).toContain("blob");
    const big = build(fx, [call(1, [["store", "y".repeat(1024 * 1024 + 1)]]), service(1)]);
    expect(big.effects.stored).toEqual([]);
    expect(new TextDecoder().decode(big.decoded.slabs[0]!.post)).toContain(String(HOST_ERROR.TooLarge));
  });
});

describe("per-play bounds", () => {
  it("caps requests, drops logs past the line bound and cuts long lines", () => {
    const fx = setup([{ id: 1 }]);
    const requests: Op[] = Array.from({ length: MAX_REQUESTS + 2 }, () => ["request", "44".repeat(32)] as Op);
    const logs: Op[] = Array.from(
      { length: MAX_LOG_LINES + 3 },
      (_, i) => ["log", i === 0 ? "z".repeat(5000) : "l"] as Op,
    );
    const built = build(fx, [call(1, [...requests, ...logs]), service(1)]);
    const e = effectsOf(check(fx, built.pov));
    expect(e.requested).toHaveLength(MAX_REQUESTS);
    expect(e.logs).toHaveLength(MAX_LOG_LINES);
    expect(e.logs[0]?.line).toHaveLength(MAX_LOG_LINE);
  });
  it("cuts a long log line without splitting a surrogate pair", () => {
    const fx = setup([{ id: 1 }]);
    const line = `${"a".repeat(MAX_LOG_LINE - 1)}😀tail`;
    const e = effectsOf(check(fx, build(fx, [call(1, [["log", line]]), service(1)]).pov));
    expect(e.logs[0]?.line).toBe("a".repeat(MAX_LOG_LINE - 1));
  });
  it("bounds the preimage bytes stored in one play", () => {
    const fx = setup([{ id: 1 }]);
    // one more than fits: 9 MiB of input, within MAX_POV_SIZE
    const mib = (c: string): Op => ["store", c.repeat(MAX_PREIMAGE_SIZE)];
    const ops = "abcdefghi".split("").map(mib);
    const built = build(fx, [call(1, ops), service(1)]);
    const stored = effectsOf(check(fx, built.pov)).stored;
    expect(stored).toHaveLength(Math.floor(MAX_STORED_BYTES / MAX_PREIMAGE_SIZE));
    expect(new TextDecoder().decode(built.decoded.slabs[0]!.post)).toContain(`|${HOST_ERROR.Full}`);
  });
});

describe("balances and payouts", () => {
  it("transfers against the view's balance plus in-play transfers; refuses overdrafts", () => {
    const { effects, built } = play(
      [
        { id: 1, balance: 100n },
        { id: 2, balance: 5n },
      ],
      [
        call(1, [
          ["transfer", 2, "60"],
          ["transfer", 2, "60"],
        ]),
        call(2, [["transfer", 9, "65"], ["balance"]]),
        service(1),
        service(2),
      ],
    );
    expect(effects.transfers).toEqual([
      { from: 1, to: 2, amount: 60n },
      { from: 2, to: 9, amount: 65n },
    ]);
    expect(new TextDecoder().decode(built.decoded.slabs[0]!.post)).toContain(`0|${HOST_ERROR.Insufficient}`);
    expect(new TextDecoder().decode(built.decoded.slabs[1]!.post)).toContain("balance");
  });
  it("caps each payout at what the actor has left", () => {
    const { effects } = play(
      [
        { id: 1, balance: 2n },
        { id: 2, balance: 50n },
      ],
      [call(1, [["inc"], ["inc"], ["inc"], ["inc"]]), call(2, [["inc"], ["inc"]]), service(1), service(2)],
    );
    expect(effects.payouts).toEqual([
      { actor: 1, amount: 2n },
      { actor: 2, amount: 2n },
    ]);
  });
});
