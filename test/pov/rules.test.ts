/** The validity rules of DESIGN §4, each with a positive and a negative case (script engine). */
import { describe, expect, it } from "vitest";
import { actorId, type Hash } from "../../src/codec/ids.ts";
import { CallOutput, type Pov, type Witness } from "../../src/codec/types.ts";
import { PovBuildError } from "../../src/pov/errors.ts";
import {
  MAX_AGENDA_ITEMS,
  MAX_COSCHEDULED,
  MAX_MESSAGE_SIZE,
  MAX_PREIMAGE_SIZE,
} from "../../src/pov/limits.ts";
import { EMPTY_HEAD } from "../../src/pov/pigeonhole.ts";
import { effectsHash, encodeVerdict } from "../../src/pov/validate.ts";
import type { ActorInstance, Engine } from "../../src/vm/engine.ts";
import { call, postcard, service, setup, text } from "./fixtures.ts";
import { build, check, edit, editWitness, effectsOf, reasonOf, show } from "./helpers.ts";

const two = () => setup([{ id: 1, plan: [[["inc"]], [["inc"]]] }, { id: 2 }]);

describe("a valid PoV", () => {
  it("validates to exactly the effects its builder computed", () => {
    const fx = two();
    const built = build(fx, [call(1, [["inc"]]), service(1, 2), call(2, [["inc"], ["inc"]]), service(2)]);
    const verdict = check(fx, built.pov);
    const effects = effectsOf(verdict);
    expect(show(effects)).toBe(show(built.effects));
    expect(effectsHash(effects)).toEqual(built.effectsHash);
    // Actor 1: one call + two main steps; actor 2: two incs in a call (main has no steps).
    const outs = built.decoded.agenda.flatMap((i) =>
      i.entry.tag === "Call" ? [CallOutput.dec(i.entry.value.output)] : [],
    );
    expect(outs.map((o) => (o.success ? text(o.value) : o.value.tag))).toEqual(["1", "2"]);
    expect(effects.payouts).toEqual([
      { actor: 1, amount: 3n },
      { actor: 2, amount: 2n },
    ]);
    expect(effects.transitions.map((t) => [t.actor, t.sequence])).toEqual([
      [1, 1n],
      [2, 1n],
    ]);
    expect(effects.gasUsed).toBe(built.gasUsed);
    expect(effects.gasUsed).toBeGreaterThan(0n);
  });
});

describe("decoding", () => {
  it("rejects truncated, padded and garbage bytes as Malformed", () => {
    const fx = two();
    const { pov } = build(fx, [service(1), service(2)]);
    expect(reasonOf(check(fx, pov.subarray(0, pov.length - 1))).tag).toBe("Malformed");
    expect(reasonOf(check(fx, new Uint8Array([...pov, 0]))).tag).toBe("Malformed");
    expect(reasonOf(check(fx, new Uint8Array([0xff, 0xff, 0xff]))).tag).toBe("Malformed");
    expect(reasonOf(check(fx, new Uint8Array()))).toMatchObject({ tag: "Malformed" });
  });
  it("rejects a witness that does not decode as Malformed", () => {
    const fx = two();
    const bad = edit(build(fx, [service(1), service(2)]).pov, (p) => {
      p.witness = new Uint8Array([1, 2, 3]);
    });
    expect(reasonOf(check(fx, bad))).toMatchObject({
      tag: "Malformed",
      value: expect.stringContaining("witness"),
    });
  });
});

describe("rule 1: every agenda actor has a Service", () => {
  it("rejects an actor with only Calls", () => {
    const fx = two();
    const bad = edit(build(fx, [call(1, [["inc"]]), service(1), service(2)]).pov, (p) => {
      p.agenda = p.agenda.filter((i) => !(i.actor === 1 && i.entry.tag === "Service"));
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "AgendaMismatch", value: "actor 1 has no Service" });
  });
  it("does not count Service { times: 0 }", () => {
    const fx = two();
    const bad = edit(build(fx, [service(1), service(2)]).pov, (p) => {
      p.agenda.push({ actor: actorId(2), entry: { tag: "Service", value: { times: 0 } } });
      p.agenda = p.agenda.filter(
        (i) => !(i.actor === 2 && i.entry.tag === "Service" && i.entry.value.times === 1),
      );
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "AgendaMismatch", value: "actor 2 has no Service" });
  });
  it("rejects an empty agenda", () => {
    const fx = two();
    const bad = edit(build(fx, [service(1), service(2)]).pov, (p) => {
      p.agenda = [];
      p.slabs = [];
    });
    expect(reasonOf(check(fx, bad)).tag).toBe("AgendaMismatch");
  });
  it("refuses to build such a draft, with the reason a validator would give", () => {
    const fx = two();
    const e = (() => {
      try {
        build(fx, [call(1, []), service(2)]);
      } catch (x) {
        return x;
      }
    })();
    expect(e).toBeInstanceOf(PovBuildError);
    expect((e as PovBuildError).code).toBe("POV_BUILD_AGENDA_MISMATCH");
    expect((e as PovBuildError).reason.tag).toBe("AgendaMismatch");
  });
});

describe("rule 2: exactly one slab per agenda actor", () => {
  it("rejects a duplicate slab", () => {
    const fx = two();
    const bad = edit(build(fx, [service(1), service(2)]).pov, (p) => {
      p.slabs.push(p.slabs[0] as Pov["slabs"][number]);
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "SlabMismatch", value: "duplicate slab for actor 1" });
  });
  it("rejects a missing slab", () => {
    const fx = two();
    const bad = edit(build(fx, [service(1), service(2)]).pov, (p) => {
      p.slabs = p.slabs.filter((s) => s.actor !== 2);
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "SlabMismatch", value: "missing slab for actor 2" });
  });
  it("rejects an extra slab", () => {
    const fx = two();
    const bad = edit(build(fx, [service(1), service(2)]).pov, (p) => {
      p.agenda = p.agenda.filter((i) => i.actor !== 2);
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "SlabMismatch", value: "extra slab for actor 2" });
  });
});

describe("the view: known actors and code", () => {
  it("rejects an actor unknown at the relay parent", () => {
    const fx = two();
    const { pov } = build(fx, [service(1), service(2)]);
    const view = { ...fx.view, actors: fx.view.actors.filter((a) => a.actor !== 2) };
    expect(reasonOf(check(fx, pov, view))).toEqual({ tag: "UnknownActor", value: 2 });
  });
  it("rejects an actor whose code is not in the code store", () => {
    const fx = two();
    const { pov } = build(fx, [service(1), service(2)]);
    const missing = { ...fx, codes: { code: () => undefined } };
    expect(reasonOf(check(missing, pov)).tag).toBe("UnknownCode");
  });
  it("rejects a pre image that is not an image of the actor's program", () => {
    const fx = two();
    const bad = edit(build(fx, [service(1), service(2)]).pov, (p) => {
      (p.slabs[1] as Pov["slabs"][number]).pre = new Uint8Array([1, 2, 3]);
    });
    expect(reasonOf(check(fx, bad))).toMatchObject({
      tag: "BadImage",
      value: expect.stringContaining("actor 2"),
    });
  });
});

describe("rule 3: slab sequence above the actor's", () => {
  it("accepts a pipelined sequence further ahead", () => {
    const fx = two();
    const built = build(fx, [service(1), service(2)], {
      slabs: fx.slabs.map((s) => ({ ...s, sequence: 3n })),
    });
    expect(effectsOf(check(fx, built.pov)).transitions.map((t) => t.sequence)).toEqual([3n, 3n]);
  });
  it("rejects a sequence equal to the actor's", () => {
    const fx = setup([{ id: 1, sequence: 5n }, { id: 2 }]);
    const bad = edit(build(fx, [service(1), service(2)]).pov, (p) => {
      (p.slabs[0] as Pov["slabs"][number]).sequence = 5n;
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "StaleSequence", value: 1 });
  });
  it("rejects a sequence below the actor's", () => {
    const fx = setup([{ id: 1, sequence: 5n }]);
    const bad = edit(build(fx, [service(1)]).pov, (p) => {
      (p.slabs[0] as Pov["slabs"][number]).sequence = 2n;
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "StaleSequence", value: 1 });
  });
});

describe("rule 4: execution within the budget, Call outputs as recorded", () => {
  it("rejects a Call whose recorded output differs", () => {
    const fx = two();
    const bad = edit(build(fx, [service(1), call(2, [["inc"]]), service(2)]).pov, (p) => {
      const item = p.agenda[1] as Pov["agenda"][number];
      if (item.entry.tag !== "Call") throw new Error("not a call");
      item.entry.value.output = CallOutput.enc({ success: true, value: new TextEncoder().encode("2") });
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "OutputMismatch", value: 1 });
  });
  it("records a Call that runs out of gas as Err(OutOfGas) and rolls its image back", () => {
    const fx = setup([{ id: 1 }], { callGas: 1_000n });
    const built = build(fx, [call(1, [["inc"], ["burn", 5_000]]), call(1, [["inc"]]), service(1)]);
    const effects = effectsOf(check(fx, built.pov));
    const outs = effects.calls.map((c) => CallOutput.dec(c.output));
    expect(outs[0]).toEqual({ success: false, value: { tag: "OutOfGas", value: undefined } });
    expect(outs[1]).toEqual({ success: true, value: new TextEncoder().encode("1") });
    expect(effects.gasUsed).toBeGreaterThanOrEqual(1_000n);
  });
  it("lets the last item use up the core's gas", () => {
    const fx = setup([{ id: 1 }], { coreGas: 500n, callGas: 10_000n });
    const built = build(fx, [service(1), call(1, [["burn", 100_000]])]);
    const effects = effectsOf(check(fx, built.pov));
    expect(effects.gasUsed).toBe(500n);
  });
  it("rejects an agenda that goes on after the core's gas is used up", () => {
    const fx = setup([{ id: 1 }], { coreGas: 500n, callGas: 10_000n });
    const built = build(fx, [service(1), call(1, [["burn", 100_000]])]);
    const bad = edit(built.pov, (p) => {
      p.agenda.push({ actor: actorId(1), entry: { tag: "Service", value: { times: 1 } } });
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "CoreGasExceeded", value: 500n });
    expect(() => build(fx, [call(1, [["burn", 100_000]]), service(1)])).toThrow(PovBuildError);
  });
  it("rejects a PoV validated against a smaller core budget than it was built for", () => {
    const fx = two();
    const { pov } = build(fx, [service(1), service(2)]);
    const view = { ...fx.view, coreGas: fx.view.coreGas - 1n };
    expect(reasonOf(check(fx, pov, view))).toEqual({ tag: "BadWitness", value: "core gas differs" });
  });
});

describe("rule 5: final images equal the posts", () => {
  it("rejects a post that does not match", () => {
    const fx = two();
    const other = build(fx, [call(1, [["inc"], ["inc"]]), service(1), service(2)]);
    const bad = edit(build(fx, [service(1), service(2)]).pov, (p) => {
      (p.slabs[0] as Pov["slabs"][number]).post = (other.decoded.slabs[0] as Pov["slabs"][number]).post;
    });
    expect(reasonOf(check(fx, bad))).toEqual({ tag: "PostMismatch", value: 1 });
  });
  it("rejects a post that does not decode", () => {
    const fx = two();
    const bad = edit(build(fx, [service(1), service(2)]).pov, (p) => {
      (p.slabs[1] as Pov["slabs"][number]).post = new Uint8Array([9]);
    });
    expect(reasonOf(check(fx, bad))).toMatchObject({ tag: "BadImage" });
  });
  it("accepts a post equal to pre when nothing changed", () => {
    const fx = setup([{ id: 1 }]);
    const built = build(fx, [call(1, [["fail"]]), service(1, 3)]);
    const e = effectsOf(check(fx, built.pov));
    // main (no steps) ends at once; the failed call rolled back: only main's status changed.
    expect(e.transitions[0]?.preHash).not.toEqual(e.transitions[0]?.postHash);
    expect(encodeVerdict(check(fx, built.pov))).toEqual(encodeVerdict(check(fx, built.pov)));
  });
});

describe("every other bad input is a typed verdict", () => {
  const fx = setup([{ id: 1 }, { id: 2 }]);
  const msgs = (to: number, n = 1) => Array.from({ length: n }, () => postcard(to, "m"));
  const base = build(fx, [call(1, [["recv"]]), call(2, [["recv"]]), service(1), service(2)], {
    witness: {
      messages: [
        { actor: actorId(1), headBefore: EMPTY_HEAD, messages: msgs(1) },
        { actor: actorId(2), headBefore: EMPTY_HEAD, messages: msgs(2) },
      ],
    },
  });
  const cases: Array<[string, (w: Witness) => void, string]> = [
    [
      "relay parent",
      (w) => {
        w.relayParent = new Uint8Array(32) as Hash;
      },
      "relay parent differs",
    ],
    [
      "block number",
      (w) => {
        w.now += 1;
      },
      "relay block number differs",
    ],
    [
      "message list order",
      (w) => {
        w.messages.reverse();
      },
      "message lists not in ascending actor order",
    ],
    [
      "empty message list",
      (w) => {
        w.messages[0]!.messages = [];
      },
      "empty message list for actor 1",
    ],
    [
      "oversized message",
      (w) => {
        w.messages[0]!.messages[0]!.data = new Uint8Array(MAX_MESSAGE_SIZE + 1);
      },
      "a message above the size bound",
    ],
    [
      "oversized preimage",
      (w) => {
        w.preimages.push(new Uint8Array(MAX_PREIMAGE_SIZE + 1));
      },
      "a preimage above the size bound",
    ],
  ];
  for (const [what, change, reason] of cases) {
    it(`witness: ${what}`, () => {
      expect(effectsOf(check(fx, base.pov)).received).toHaveLength(2);
      expect(reasonOf(check(fx, editWitness(base.pov, change)))).toEqual({
        tag: "BadWitness",
        value: reason,
      });
    });
  }
  it("too many agenda items or slabs", () => {
    const long = edit(base.pov, (p) => {
      const s = p.agenda[2] as Pov["agenda"][number];
      p.agenda = Array.from({ length: MAX_AGENDA_ITEMS + 1 }, () => s);
    });
    expect(reasonOf(check(fx, long)).tag).toBe("AgendaMismatch");
    const wide = edit(base.pov, (p) => {
      p.agenda = Array.from({ length: MAX_COSCHEDULED + 1 }, (_, i) => ({
        actor: actorId(i + 1),
        entry: { tag: "Service" as const, value: { times: 1 } },
      }));
      p.slabs = p.agenda.map((i) => ({ ...(p.slabs[0] as Pov["slabs"][number]), actor: i.actor }));
    });
    expect(reasonOf(check(fx, wide))).toEqual({
      tag: "SlabMismatch",
      value: `more than ${MAX_COSCHEDULED} slabs`,
    });
  });
  it("a program the engine refuses is UnknownCode", () => {
    const refusing = { ...fx, codes: { code: () => new Uint8Array([1, 2, 3]) } };
    expect(reasonOf(check(refusing, base.pov)).tag).toBe("UnknownCode");
  });
  it("an engine that throws mid-play gives BadImage, not an exception", () => {
    const inner = fx.engine;
    const throwing: Engine = {
      format: "wasm",
      load(blob) {
        const p = inner.load(blob);
        return {
          ...p,
          decodeImage: (b) => p.decodeImage(b),
          decodeImageAgainst: (a, b) => p.decodeImageAgainst(a, b),
          createImage: (a) => p.createImage(a),
          instantiate(actor, image, host) {
            const i = p.instantiate(actor, image, host);
            return {
              ...i,
              service: i.service.bind(i),
              snapshot: i.snapshot.bind(i),
              payout: i.payout.bind(i),
              call() {
                throw new RangeError("engine bug");
              },
            } as ActorInstance;
          },
        };
      },
    };
    expect(reasonOf(check({ ...fx, engine: throwing }, base.pov))).toEqual({
      tag: "BadImage",
      value: "engine failed in call of actor 1",
    });
  });
});
