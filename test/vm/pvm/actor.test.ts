/**
 * PVM actors through the Engine interface (DESIGN §12): the pvm-counter, pvm-primes and pvm-pingpong
 * examples on the harness, preemption at any gas budget, images that round-trip, and call_actor between
 * PVM and Wasm actors both ways.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { buildExample } from "../../../examples/build-example.ts";
import { buildProgram } from "../../../src/build/index.ts";
import { wrapPvmProgram } from "../../../src/build/pvm.ts";
import type { ActorId } from "../../../src/codec/ids.ts";
import { type CallOutput, u32 } from "../../../src/codec/types.ts";
import { createHarness } from "../../../src/harness/index.ts";
import type { HostEnv } from "../../../src/vm/engine.ts";
import { createEngine } from "../../../src/vm/engines.ts";
import { ImageError, type ProgramError } from "../../../src/vm/errors.ts";
import { assemble } from "../../../src/vm/pvm/asm.ts";
import { PvmImage } from "../../../src/vm/pvm/image.ts";
import { encodeStandard } from "../../../src/vm/pvm/layout.ts";

let counter: Uint8Array;
let primes: Uint8Array;
let pvmPing: Uint8Array;
let wasmPing: Uint8Array;
beforeAll(async () => {
  counter = (await buildExample("pvm-counter")).blob;
  primes = (await buildExample("pvm-primes")).blob;
  pvmPing = (await buildExample("pvm-pingpong")).blob;
  wasmPing = (await buildExample("pingpong")).blob;
}, 60_000);

const ok = (out: CallOutput): Buffer => {
  if (!out.success) throw new Error(`call failed: ${JSON.stringify(out.value)}`);
  return Buffer.from(out.value);
};
const blobOf = (src: string): Uint8Array =>
  wrapPvmProgram(encodeStandard(assemble(src)), { name: "t", preemptible: true, build: "test" });

describe("pvm-counter", () => {
  it("get and increment, an unknown method is the actor's error", () => {
    const h = createHarness();
    const c = h.deploy(counter);
    expect(ok(h.call(c, Uint8Array.of(1))).readBigUInt64LE(0)).toBe(1n);
    expect(ok(h.call(c, Uint8Array.of(1))).readBigUInt64LE(0)).toBe(2n);
    expect(ok(h.call(c, Uint8Array.of(0))).readBigUInt64LE(0)).toBe(2n);
    expect(h.call(c, Uint8Array.of(7))).toEqual({
      success: false,
      value: { tag: "Actor", value: new Uint8Array() },
    });
    expect(h.service(c)).toMatchObject([{ status: "returned" }]);
    expect(h.status(c)).toBe("ended");
  });

  it("a call that fails leaves the image as it was", () => {
    const h = createHarness();
    const c = h.deploy(counter);
    h.call(c, Uint8Array.of(1));
    const before = h.imageHash(c);
    expect(h.call(c, Uint8Array.of(1), 30n)).toEqual({
      success: false,
      value: { tag: "OutOfGas", value: undefined },
    });
    expect(h.imageHash(c)).toEqual(before);
    expect(ok(h.call(c, Uint8Array.of(0))).readBigUInt64LE(0)).toBe(1n);
  });
});

describe("pvm-primes: preemptible without yielding", () => {
  const bound = u32.enc(5000);
  const progress = (h: ReturnType<typeof createHarness>, id: ActorId) => {
    const v = ok(h.call(id, new Uint8Array()));
    return [0, 8, 16, 24, 32, 40].map((o) => v.readBigUInt64LE(o));
  };
  const finish = (gas: bigint, restore: boolean) => {
    const h = createHarness();
    const p = h.deploy(primes, bound);
    let steps = 0;
    for (;;) {
      const [o] = h.service(p, 1, gas);
      steps++;
      if (o!.status === "returned") break;
      expect(o!.status).toBe("preempted");
      if (restore) h.snapshotRestore(p);
    }
    return { hash: Buffer.from(h.imageHash(p)).toString("hex"), progress: progress(h, p), steps };
  };

  it("every gas budget, with or without restoring the image between steps, ends in the same image", () => {
    const whole = finish(10n ** 9n, false);
    expect(whole.steps).toBe(1);
    // 669 primes below 5000, the largest 4999.
    expect(whole.progress).toEqual([5000n, 5000n, 669n, 4999n, 1_548_136n, 1n]);
    for (const [gas, restore] of [
      [9_999n, false],
      [33_333n, true],
      [100_003n, false],
      [250_000n, true],
    ] as const) {
      const r = finish(gas, restore);
      expect(r.steps).toBeGreaterThan(1);
      expect(r.hash).toBe(whole.hash);
      expect(r.progress).toEqual(whole.progress);
    }
  });

  it("payout is 1 while there is work left, then 0", () => {
    const h = createHarness();
    const p = h.deploy(primes, bound);
    expect(h.payout(p)).toBe(1n);
    h.service(p, 1, 10n ** 9n);
    expect(h.payout(p)).toBe(0n);
  });
});

describe("PVM and Wasm actors call each other", () => {
  const serve = (target: ActorId, n: number) => Uint8Array.from([1, ...u32.enc(target), ...u32.enc(n)]);

  it("Wasm → PVM and PVM → Wasm, from call and from main", () => {
    const h = createHarness();
    const w = h.deploy(wasmPing, u32.enc(2));
    const p = h.deploy(pvmPing, u32.enc(1));
    expect([...ok(h.call(w, serve(p, 41)))]).toEqual([0, 42, 0, 0, 0]);
    expect([...ok(h.call(p, serve(w, 9)))]).toEqual([0, 10, 0, 0, 0]);
    expect(h.service(w, 2).map((o) => o.status)).toEqual(["yielded", "yielded"]);
    expect(h.service(p, 2).map((o) => o.status)).toEqual(["yielded", "yielded"]);
    const pv = ok(h.call(p, Uint8Array.of(3)));
    // PVM: pinged by the Wasm serve and 2 Wasm mains; served its serve and 2 of its mains' pings.
    expect([pv.readBigUInt64LE(0), pv.readBigUInt64LE(8), pv.readBigUInt64LE(16)]).toEqual([3n, 3n, 2n]);
    expect(h.logs).toEqual(["pingpong: round 0 status 0", "pingpong: round 1 status 0"]);
    expect(h.dependencies(p)).toEqual([1]);
  });

  it("a PVM call to an actor that is not co-scheduled gets status 6", () => {
    const h = createHarness();
    const w = h.deploy(wasmPing, u32.enc(2));
    const p = h.deploy(pvmPing, u32.enc(1));
    h.coschedule([p]);
    expect([...ok(h.call(p, serve(w, 1)))]).toEqual([6, 0, 0, 0, 0]);
  });
});

describe("PVM images and programs", () => {
  it("an image encodes, decodes and deltas back to the same hash", () => {
    const engine = createEngine();
    const program = engine.load(primes);
    const a = program.createImage(u32.enc(300));
    // primes' main makes no host calls: any use of the host is a failure of this test.
    const noHost = new Proxy({} as HostEnv, {
      get: (_, k) => {
        throw new Error(`unexpected host use: ${String(k)}`);
      },
    });
    const inst = program.instantiate(1 as ActorId, a, noHost);
    inst.service(5_000n);
    const b = inst.snapshot() as PvmImage;
    expect(b).toBeInstanceOf(PvmImage);
    expect(program.decodeImage(b.encode()).hash).toEqual(b.hash);
    expect(program.decodeImageAgainst(a, b.encodeDelta(a)).hash).toEqual(b.hash);
    expect(b.encodeDelta(a).byteLength).toBeLessThan(b.encode().byteLength);
    const corrupt = b.encode().slice(0, -1);
    expect(() => program.decodeImage(corrupt)).toThrow(ImageError);
    expect(() => engine.load(counter).decodeImage(b.encode())).toThrow(/another program/);
    // A memory map the program's layout does not give is refused (it would grant pages).
    const granted = new PvmImage({
      ...b,
      runs: [...b.runs, { first: 0x100, count: 1, access: 2 }].sort((x, y) => x.first - y.first),
    });
    expect(() => program.decodeImage(granted.encode())).toThrow(/inconsistent with the program's layout/);
    // An ended main's image (args dropped, their pages still mapped) decodes.
    inst.service(10n ** 9n);
    const ended = inst.snapshot();
    expect(ended.status).toBe("ended");
    expect(program.decodeImage(ended.encode()).hash).toEqual(ended.hash);
  });

  it("a trapping main is failed with its memory as before the step", () => {
    const h = createHarness();
    const src = [
      ".rw",
      "x: .u64 0",
      ".text",
      ".entry main, call",
      "main:",
      "  load_imm t0, 5",
      "  store_u64 t0, x",
    ];
    src.push("  trap", "call:", "  load_imm a0, x", "  load_imm a1, 8", "  ecalli reply", "  load_imm a0, 0");
    const t = h.deploy(blobOf([...src, "  jump_ind ra, 0"].join("\n")));
    expect(h.service(t)).toMatchObject([
      { status: "trapped", reason: expect.stringMatching(/^panic at pc \d+$/) },
    ]);
    expect(h.status(t)).toBe("failed");
    expect(ok(h.call(t, new Uint8Array())).readBigUInt64LE(0)).toBe(0n);
    expect(h.service(t)).toMatchObject([{ status: "idle" }]);
  });

  it("refuses programs without main and call, with unknown host calls, or not PVM", async () => {
    const engine = createEngine();
    const code = (e: () => unknown) => {
      try {
        e();
      } catch (x) {
        return (x as ProgramError).code;
      }
      return "loaded";
    };
    expect(code(() => engine.load(blobOf(".entry main\nmain:\n  trap")))).toBe("MISSING_EXPORT");
    expect(code(() => engine.load(blobOf(".entry main, main\nmain:\n  ecalli 99")))).toBe("UNKNOWN_IMPORT");
    expect(code(() => engine.load(blobOf(".heap 1000\n.entry main, main\nmain:\n  trap")))).toBe("loaded");
    expect(
      code(() => createEngine({ maxPages: 1 }).load(blobOf(".heap 17\n.entry main, main\nmain:\n  trap"))),
    ).toBe("MEMORY_TOO_LARGE");
    const bad = wrapPvmProgram(new Uint8Array([1, 2, 3]), { name: "t", preemptible: true, build: "" });
    expect(code(() => engine.load(bad))).toBe("BAD_BLOB");
    const wasm = (await buildProgram("examples/counter", { preemptible: false })).blob;
    expect(code(() => engine.pvm.load(wasm))).toBe("WRONG_FORMAT");
  });
});
