import { beforeAll, describe, expect, it } from "vitest";
import { u32 } from "../../src/codec/types.ts";
import { createHarness, type Harness } from "../../src/harness/index.ts";
import { buildExample } from "../build-example.ts";

let blob: Uint8Array;
beforeAll(async () => {
  blob = (await buildExample("primes")).blob;
});

/** args: (bound u32, step u32) */
const args = (bound: number, step: number) => new Uint8Array([...u32.enc(bound), ...u32.enc(step)]);

function progress(h: Harness, id: Parameters<Harness["call"]>[0]) {
  const out = h.call(id, Uint8Array.of(0x00));
  if (!out.success) throw new Error("progress failed");
  const v = Buffer.from(out.value);
  expect(v.byteLength).toBe(25);
  return {
    checked: v.readUInt32LE(0),
    bound: v.readUInt32LE(4),
    count: v.readUInt32LE(8),
    largest: v.readUInt32LE(12),
    sum: v.readBigUInt64LE(16),
    done: v[24] === 1,
  };
}

/** Reference answer computed here, independently of the actor. */
function reference(bound: number) {
  const sieve = new Uint8Array(bound);
  let count = 0;
  let largest = 0;
  let sum = 0n;
  for (let n = 2; n < bound; n++) {
    if (sieve[n]) continue;
    count++;
    largest = n;
    sum += BigInt(n);
    for (let m = n * n; m < bound; m += n) sieve[m] = 1;
  }
  return { count, largest, sum };
}

describe("primes", () => {
  it("50 plays with snapshot + restore between each = one long run (same answer and image hash)", () => {
    const bound = 100_000;
    const step = 2_000; // 50 plays

    const long = createHarness();
    const a = long.deploy(blob, args(bound, step));
    const longRun = long.service(a, 1_000);
    expect(longRun).toHaveLength(50);
    expect(longRun.at(-1)?.status).toBe("returned");

    const cut = createHarness();
    const b = cut.deploy(blob, args(bound, step));
    const statuses: string[] = [];
    for (let play = 0; play < 50; play++) {
      statuses.push(...cut.service(b, 1).map((o) => o.status));
      cut.snapshotRestore(b);
    }
    expect(statuses.filter((s) => s === "yielded")).toHaveLength(49);
    expect(statuses.at(-1)).toBe("returned");
    expect(cut.status(b)).toBe("ended");

    const want = reference(bound);
    for (const h of [long, cut]) {
      const p = progress(h, h === long ? a : b);
      expect(p).toEqual({ checked: bound, bound, done: true, ...want });
    }
    expect(cut.imageHash(b)).toEqual(long.imageHash(a));
    expect(cut.logs).toEqual(long.logs);
    expect(cut.logs.at(-1)).toBe(`primes: ${want.count} primes below ${bound}, largest ${want.largest}`);
    // Each play is metered the same way whether or not it was restored in between.
    expect(cut.gasUsed).toBe(long.gasUsed);
  });

  it("call reports partial progress between plays", () => {
    const h = createHarness();
    const id = h.deploy(blob, args(10_000, 1_000));
    h.service(id, 3);
    expect(h.payout(id)).toBe(1n); // inspector: pays while working
    expect(progress(h, id)).toMatchObject({ checked: 3_002, bound: 10_000, done: false });
    expect(progress(h, id).count).toBe(reference(3_002).count);
    h.service(id, 100);
    expect(progress(h, id)).toMatchObject({ checked: 10_000, done: true, ...reference(10_000) });
    expect(h.payout(id)).toBe(0n);
  });

  it("a Service after main returned runs nothing", () => {
    const h = createHarness();
    const id = h.deploy(blob, args(500, 1_000));
    expect(h.service(id).map((o) => o.status)).toEqual(["returned"]);
    expect(h.service(id).map((o) => o.status)).toEqual(["idle"]);
    expect(progress(h, id).count).toBe(reference(500).count);
  });

  it("truncated args make main trap: the actor is marked failed", () => {
    const h = createHarness();
    const id = h.deploy(blob, Uint8Array.of(1, 2));
    expect(h.service(id)[0]?.status).toBe("trapped");
    expect(h.status(id)).toBe("failed");
    expect(h.logs.at(-1)).toMatch(/^abort: SCALE: input too short/);
  });
});
