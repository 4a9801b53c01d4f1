import { beforeAll, describe, expect, it } from "vitest";
import { concatBytes } from "../../src/codec/bytes.ts";
import { CallOutput } from "../../src/codec/types.ts";
import { createHarness } from "../../src/harness/index.ts";
import { buildExample, u64le } from "../build-example.ts";

let v1: Uint8Array;
let v2: Uint8Array;
beforeAll(async () => {
  v1 = (await buildExample("upgradable")).blob;
  v2 = (await buildExample("upgradable/assembly/upgradable-v2.ts")).blob;
});

const ok = (out: CallOutput): Uint8Array => {
  if (!out.success) throw new Error(`call failed: ${JSON.stringify(out.value)}`);
  return out.value;
};
const u64 = (n: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
};
const CallOutputOf = (b: Uint8Array | undefined): CallOutput => CallOutput.dec(b as Uint8Array);
const GET = Uint8Array.of(0x00);
const INC = Uint8Array.of(0x01);
const VERSION = Uint8Array.of(0x04);
const upgrade = (code: Uint8Array) => concatBytes(Uint8Array.of(0x02), code);

describe("upgradable", () => {
  it("v1 counts, upgrades itself to v2 carrying the count; v2 keeps it and adds `add`", () => {
    const h = createHarness();
    const c = h.deploy(v1);
    const v2Hash = h.upload(v2);
    for (let i = 0; i < 3; i++) h.call(c, INC);
    expect(ok(h.call(c, VERSION))).toEqual(Uint8Array.of(1));
    // v1 has no `add`
    expect(h.call(c, concatBytes(Uint8Array.of(0x03), u64(5n))).success).toBe(false);
    expect(ok(h.call(c, upgrade(v2Hash)))).toEqual(new Uint8Array(4)); // set_code returned 0
    // the play that called set_code is over: the actor is on v2, started fresh, main pending
    expect(h.codeHash(c)).toEqual(v2Hash);
    expect(h.status(c)).toBe("pending");
    expect(h.upgrades).toMatchObject([{ actor: c, to: v2Hash, outcome: { tag: "Upgraded" } }]);
    expect(ok(h.call(c, VERSION))).toEqual(Uint8Array.of(2));
    expect(u64le(ok(h.call(c, GET)))).toBe(3n);
    expect(u64le(ok(h.call(c, concatBytes(Uint8Array.of(0x03), u64(5n)))))).toBe(8n);
    expect(u64le(ok(h.call(c, INC)))).toBe(9n);
    expect(ok(h.call(c, Uint8Array.of(0x05)))).toEqual(Uint8Array.of(1, 0, 0, 0)); // reached by set_code
    h.service(c);
    expect(h.status(c)).toBe("ended");
    // the count survives snapshot + restore on the new code
    h.snapshotRestore(c);
    expect(u64le(ok(h.call(c, GET)))).toBe(9n);
  });

  it("an upgrade to code never uploaded is refused: the actor stays on v1 with its count", () => {
    const h = createHarness();
    const c = h.deploy(v1);
    h.call(c, INC);
    const v1Hash = h.codeHash(c);
    expect(ok(h.call(c, upgrade(new Uint8Array(32).fill(7))))).toEqual(new Uint8Array(4));
    expect(h.upgrades[0]?.outcome).toMatchObject({
      tag: "Refused",
      value: expect.stringMatching(/^UNKNOWN_CODE/),
    });
    expect(h.codeHash(c)).toEqual(v1Hash);
    expect(u64le(ok(h.call(c, GET)))).toBe(1n);
  });

  it("set_code takes effect after the play: later calls of the same play run on v1, and are not carried", () => {
    const h = createHarness();
    const c = h.deploy(v1);
    const v2Hash = h.upload(v2);
    h.call(c, INC);
    const r = h.play([
      { actor: c, call: upgrade(v2Hash) }, // carries count = 1
      { actor: c, call: INC }, // still v1: count 2, then dropped with v1's image
      { actor: c, call: VERSION },
    ]);
    expect(r.effects.codeChanges).toHaveLength(1);
    expect(ok(CallOutputOf(r.outputs[2]))).toEqual(Uint8Array.of(1));
    expect(u64le(ok(h.call(c, GET)))).toBe(1n);
    expect(ok(h.call(c, VERSION))).toEqual(Uint8Array.of(2));
  });
});
