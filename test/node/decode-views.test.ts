/** Node-side decoders read a byte view from its own start (scale-ts's `.dec` read from the buffer's). */
import { describe, expect, it } from "vitest";
import { CallOutput } from "../../src/codec/types.ts";
import { decodeCallOutput } from "../../src/node/api.ts";

describe("decoding views", () => {
  it("decodeCallOutput reads a view that starts inside a larger buffer", () => {
    for (const out of [
      { success: true as const, value: Uint8Array.of(1, 2, 3) },
      { success: false as const, value: { tag: "Actor" as const, value: Uint8Array.of(9) } },
    ]) {
      const enc = CallOutput.enc(out);
      const padded = new Uint8Array(enc.length + 5).fill(0xff);
      padded.set(enc, 5);
      const view = padded.subarray(5);
      expect(decodeCallOutput(view)).toEqual(decodeCallOutput(enc.slice()));
    }
    expect(decodeCallOutput(CallOutput.enc({ success: true, value: Uint8Array.of(1, 2, 3) }))).toEqual({
      ok: true,
      output: "0x010203",
    });
  });
});
