import { beforeAll, describe, expect, it } from "vitest";
import { CallOutput } from "../../src/codec/types.ts";
import { createHarness } from "../../src/harness/index.ts";
import { buildExample, u64le } from "../build-example.ts";

let blob: Uint8Array;
beforeAll(async () => {
  blob = (await buildExample("counter")).blob;
});

const okU64 = (out: CallOutput): bigint => {
  if (!out.success) throw new Error(`call failed: ${JSON.stringify(out.value)}`);
  expect(out.value.byteLength).toBe(8);
  return u64le(out.value);
};

describe("counter", () => {
  it("0x01 increments and replies the new count; 0x00 replies the count (SCALE u64)", () => {
    const h = createHarness();
    const c = h.deploy(blob);
    h.service(c);
    expect(okU64(h.call(c, Uint8Array.of(0x00)))).toBe(0n);
    for (let i = 1n; i <= 5n; i++) expect(okU64(h.call(c, Uint8Array.of(0x01)))).toBe(i);
    expect(okU64(h.call(c, Uint8Array.of(0x00)))).toBe(5n);
    expect(h.logs).toEqual(["count = 1", "count = 2", "count = 3", "count = 4", "count = 5"]);
    expect(h.gasUsed).toBeGreaterThan(0n);
  });

  it("works before main ever ran, and the count survives snapshot + restore", () => {
    const h = createHarness();
    const c = h.deploy(blob);
    h.call(c, Uint8Array.of(0x01));
    h.call(c, Uint8Array.of(0x01));
    const before = h.imageHash(c);
    const size = h.snapshotRestore(c);
    expect(size).toBeGreaterThan(65_536);
    expect(h.imageHash(c)).toEqual(before);
    expect(okU64(h.call(c, Uint8Array.of(0x01)))).toBe(3n);
  });

  it("rejects empty input and unknown methods with the actor's own error, changing nothing", () => {
    const h = createHarness();
    const c = h.deploy(blob);
    h.call(c, Uint8Array.of(0x01));
    const hash = h.imageHash(c);
    const empty = h.callDetailed(c, new Uint8Array());
    expect(empty.output.success).toBe(false);
    expect(CallOutput.dec(empty.encoded)).toEqual(empty.output);
    const unknown = h.call(c, Uint8Array.of(0x07));
    expect(unknown).toEqual({
      success: false,
      value: { tag: "Actor", value: new TextEncoder().encode("unknown method 7") },
    });
    expect(h.imageHash(c)).toEqual(hash);
  });

  it("traps on trailing argument bytes, and the increment rolls back", () => {
    const h = createHarness();
    const c = h.deploy(blob);
    const out = h.call(c, Uint8Array.of(0x01, 0xff));
    expect(out).toEqual({ success: false, value: { tag: "Trap", value: undefined } });
    expect(h.logs.at(-1)).toMatch(/^abort: trailing bytes after the arguments of method 1/);
    expect(okU64(h.call(c, Uint8Array.of(0x00)))).toBe(0n);
  });

  it("a call with too little gas fails OutOfGas and leaves the image as it was", () => {
    const h = createHarness();
    const c = h.deploy(blob);
    const hash = h.imageHash(c);
    expect(h.call(c, Uint8Array.of(0x01), 100n)).toEqual({
      success: false,
      value: { tag: "OutOfGas", value: undefined },
    });
    expect(h.imageHash(c)).toEqual(hash);
  });
});
