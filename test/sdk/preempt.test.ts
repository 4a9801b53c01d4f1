import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/build/index.ts";
import { u64 } from "../../src/codec/types.ts";
import { createHarness } from "../../src/harness/index.ts";
import { okBytes } from "./helpers.ts";

const entry = fileURLToPath(new URL("fixtures/assembly/spin.as.ts", import.meta.url));
const N = 200_000n;

function expected(): { i: bigint; acc: bigint } {
  let acc = 1n;
  for (let i = 0n; i < N; i++) acc = (acc * 6364136223846793005n + i) & ((1n << 64n) - 1n);
  return { i: N, acc };
}

describe("--preemptible builds", () => {
  it("a loop that never yields makes progress across Services when preemptible, not otherwise", async () => {
    const [coop, pre] = await Promise.all([
      buildProgram(entry, { preemptible: false }),
      buildProgram(entry, { preemptible: true }),
    ]);
    const gas = 300_000n;

    const h1 = createHarness();
    const a = h1.deploy(coop.blob, u64.enc(N));
    expect(h1.service(a, 5, gas).map((o) => o.status)).toEqual(["out-of-gas"]);
    expect(okBytes(h1.call(a, Uint8Array.of(0))).subarray(0, 8)).toEqual(u64.enc(0n));

    const h2 = createHarness();
    const b = h2.deploy(pre.blob, u64.enc(N));
    const statuses: string[] = [];
    for (let round = 0; round < 1_000 && h2.status(b) !== "ended"; round++) {
      statuses.push(...h2.service(b, 1, gas).map((o) => o.status));
      if (round % 7 === 0) h2.snapshotRestore(b);
    }
    expect(statuses.filter((s) => s === "preempted").length).toBeGreaterThan(1);
    expect(statuses.at(-1)).toBe("returned");
    const out = okBytes(h2.call(b, Uint8Array.of(0)));
    const want = expected();
    expect([u64.dec(out.slice(0, 8)), u64.dec(out.slice(8, 16))]).toEqual([want.i, want.acc]);
    expect(h2.logs).toEqual([`spun ${N}`]);
  });
});
