/**
 * Issue 13 §0 (a): every effect the chain may refuse is decided by the host function during the play,
 * from the relay-parent view the PoV carries (`nextActor`, `room`), and validators judge alike.
 */
import { describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import type { RelayView } from "../../src/pov/types.ts";
import { HOST_ERROR } from "../../src/vm/abi.ts";
import { call, type Op, service, setup } from "./fixtures.ts";
import { build, check, effectsOf } from "./helpers.ts";

/** Actors 1 and 2 exist (ids below 3); room only as given. */
function tight(room: RelayView["room"]) {
  const fx = setup([{ id: 1 }, { id: 2 }]);
  fx.view = { ...fx.view, nextActor: 3, room };
  return fx;
}

/** Runs `ops` as a Call of actor 1; returns the effects (checked by a validator) and actor 1's image. */
function run(fx: ReturnType<typeof tight>, ops: Op[]) {
  const built = build(fx, [call(1, ops), service(1), service(2)]);
  const effects = effectsOf(check(fx, built.pov));
  expect(effects).toEqual(built.effects);
  return { built, effects, image: new TextDecoder().decode(built.decoded.slabs[0]!.post) };
}

const room = (actor: number, pigeonhole: number, disk: bigint) => ({
  actor: actorId(actor),
  pigeonhole,
  disk,
});

describe("host functions decide from the relay-parent view", () => {
  it("send to an actor that does not exist returns UnknownActor and sends nothing", () => {
    const { effects, image } = run(tight([room(1, 5, 0n), room(2, 5, 0n)]), [["send", 9999, "x"]]);
    expect(effects.sent).toEqual([]);
    expect(image).toContain(`${HOST_ERROR.UnknownActor}`);
  });
  it("send into a full pigeonhole returns Full once its free slots are used", () => {
    const { effects, image } = run(tight([room(1, 5, 0n), room(2, 2, 0n)]), [
      ["send", 2, "a"],
      ["send", 2, "b"],
      ["send", 2, "c"],
    ]);
    expect(effects.sent.map((m) => m.to)).toEqual([2, 2]);
    expect(image).toContain(`0|0|${HOST_ERROR.Full}`);
  });
  it("a recipient the view names no room for counts as full, and the build says whom it wanted", () => {
    const { built, effects, image } = run(tight([room(1, 5, 0n)]), [["send", 2, "a"]]);
    expect(effects.sent).toEqual([]);
    expect(image).toContain(`${HOST_ERROR.Full}`);
    expect(built.wanted).toEqual([2]);
  });
  it("store with no reservation, or past it, returns Insufficient", () => {
    const none = run(tight([room(1, 5, 0n), room(2, 5, 0n)]), [["store", "abc"]]);
    expect(none.effects.stored).toEqual([]);
    expect(none.image).toContain(`${HOST_ERROR.Insufficient}`);
    const some = run(tight([room(1, 5, 4n), room(2, 5, 0n)]), [
      ["store", "abc"],
      ["store", "de"],
    ]);
    expect(some.effects.stored.map((s) => s.data.length)).toEqual([3]);
    expect(some.image).toContain(`|${HOST_ERROR.Insufficient}`);
  });
  it("a failed entry gives back the pigeonhole slots and reservation it used", () => {
    const fx = tight([room(1, 5, 3n), room(2, 1, 0n)]);
    const built = build(fx, [
      call(1, [["send", 2, "a"], ["store", "abc"], ["fail"]]),
      call(1, [
        ["send", 2, "b"],
        ["store", "xyz"],
      ]),
      service(1),
      service(2),
    ]);
    const effects = effectsOf(check(fx, built.pov));
    expect(effects.sent.map((m) => new TextDecoder().decode(m.data))).toEqual(["b"]);
    expect(effects.stored.map((s) => new TextDecoder().decode(s.data))).toEqual(["xyz"]);
  });
  it("transfer to an actor that does not exist returns UnknownActor and moves nothing", () => {
    const { effects, image } = run(tight([room(1, 5, 0n), room(2, 5, 0n)]), [["transfer", 9999, "5"]]);
    expect(effects.transfers).toEqual([]);
    expect(image).toContain(`${HOST_ERROR.UnknownActor}`);
  });
  it("a validator given other room judges the same PoV invalid (the view is part of the verdict)", () => {
    const fx = tight([room(1, 5, 0n), room(2, 5, 0n)]);
    const built = build(fx, [call(1, [["send", 2, "a"]]), service(1), service(2)]);
    const other = { ...fx.view, room: [room(1, 5, 0n), room(2, 0, 0n)] };
    expect(check(fx, built.pov, other).tag).toBe("Invalid");
  });
});
