/**
 * Must-show 1 and 2 of the engine issue: continuations survive snapshot + restore anywhere (also in a
 * worker_thread) with byte-identical final images; preemption at any budget converges to one image;
 * a cooperative program out of gas leaves its image unchanged.
 */
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { actorId } from "../../src/codec/ids.ts";
import type { ServiceOutcome } from "../../src/vm/engine.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine, type WasmProgram } from "../../src/vm/wasm-engine.ts";
import { CRUNCH, fakeHost, u32le, WORKER } from "./fixtures.ts";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const BIG = 1_000_000_000n;
const ROUNDS = 120;

function uninterrupted(p: WasmProgram, args: Uint8Array, gas: bigint) {
  const a = p.instantiate(actorId(1), p.createImage(args), fakeHost());
  const statuses: ServiceOutcome["status"][] = [];
  for (;;) {
    const o = a.service(gas);
    statuses.push(o.status);
    expect(o.gasUsed).toBeLessThanOrEqual(gas);
    if (o.status !== "yielded" && o.status !== "preempted") break;
  }
  return { image: a.snapshot(), statuses };
}

describe("must-show 1: many yields, restored after every one, same final image", () => {
  const blob = programFromWat(WORKER);
  const program = createWasmEngine().load(blob);
  const args = u32le(ROUNDS);

  it("restore from full encodings after every yield", () => {
    const ref = uninterrupted(program, args, BIG);
    expect(ref.statuses.filter((s) => s === "yielded")).toHaveLength(ROUNDS);
    expect(ref.statuses.at(-1)).toBe("returned");
    expect(ref.image.depth).toBe(0);

    let bytes = program.createImage(args).encode();
    let steps = 0;
    const hashes = new Set<string>();
    for (;;) {
      const a = program.instantiate(actorId(1), program.decodeImage(bytes), fakeHost());
      const o = a.service(BIG);
      const snap = a.snapshot();
      hashes.add(hex(snap.hash));
      bytes = snap.encode();
      steps++;
      if (o.status !== "yielded") break;
      expect(snap.status).toBe("suspended");
      expect(snap.continuation.byteLength).toBeGreaterThan(0);
    }
    expect(steps).toBe(ROUNDS + 1);
    expect(hashes.size).toBe(ROUNDS + 1); // every step moved the state on
    expect(hex(program.decodeImage(bytes).hash)).toBe(hex(ref.image.hash));
    expect(hex(bytes)).toBe(hex(ref.image.encode()));
  });

  it("restore from delta encodings, with the engine without write tracking", () => {
    const ref = uninterrupted(program, args, BIG);
    const plain = createWasmEngine({ trackWrites: false }).load(blob);
    let base = plain.createImage(args);
    for (;;) {
      const a = plain.instantiate(actorId(1), base, fakeHost());
      const o = a.service(BIG);
      const post = plain.decodeImageAgainst(base, a.snapshot().encodeDelta(base));
      base = post;
      if (o.status !== "yielded") break;
    }
    expect(hex(base.hash)).toBe(hex(ref.image.hash));
  });

  it("half the run continues inside a worker_thread and ends byte-identical", async () => {
    const ref = uninterrupted(program, args, BIG);
    const a = program.instantiate(actorId(1), program.createImage(args), fakeHost());
    for (let i = 0; i < ROUNDS / 2; i++) expect(a.service(BIG).status).toBe("yielded");
    const worker = new Worker(fileURLToPath(new URL("../../bin/worker.js", import.meta.url)), {
      workerData: {
        entry: new URL("./resume-worker.ts", import.meta.url).href,
        blob,
        image: a.snapshot().encode(),
        gas: BIG,
      },
    });
    const result = await new Promise<{ image: Uint8Array; steps: number }>((resolve, reject) => {
      worker.once("message", resolve);
      worker.once("error", reject);
      worker.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
    });
    await worker.terminate();
    expect(result.steps).toBe(ROUNDS / 2 + 1);
    const final = program.decodeImage(result.image);
    expect(final.status).toBe("ended");
    expect(hex(final.hash)).toBe(hex(ref.image.hash));
  });
});

describe("must-show 2: preemption and cooperative out-of-gas", () => {
  const N = 4000;
  const engine = createWasmEngine();
  const pre = engine.load(programFromWat(CRUNCH, { preemptible: true }));
  const coop = engine.load(programFromWat(CRUNCH, { preemptible: false }));

  it("a preemptible never-yielding main reaches the same final image at any budget", () => {
    const ref = uninterrupted(pre, u32le(N), BIG);
    expect(ref.statuses).toEqual(["returned"]);
    for (const budget of [9_000n, 23_456n, 100_003n]) {
      const run = uninterrupted(pre, u32le(N), budget);
      expect(run.statuses.length).toBeGreaterThan(1);
      expect(run.statuses.slice(0, -1).every((s) => s === "preempted")).toBe(true);
      expect(run.statuses.at(-1)).toBe("returned");
      expect(hex(run.image.hash), `budget ${budget}`).toBe(hex(ref.image.hash));
    }
  });

  it("preempted continuations also survive restore from bytes after every step", () => {
    const ref = uninterrupted(pre, u32le(N), BIG);
    let bytes = pre.createImage(u32le(N)).encode();
    let steps = 0;
    for (;;) {
      const a = pre.instantiate(actorId(1), pre.decodeImage(bytes), fakeHost());
      const o = a.service(17_000n);
      bytes = a.snapshot().encode();
      steps++;
      if (o.status !== "preempted") {
        expect(o.status).toBe("returned");
        break;
      }
    }
    expect(steps).toBeGreaterThan(3);
    expect(hex(pre.decodeImage(bytes).hash)).toBe(hex(ref.image.hash));
  });

  it("a cooperative main out of gas leaves its image unchanged and says so", () => {
    const a = coop.instantiate(actorId(1), coop.createImage(u32le(N)), fakeHost());
    const before = a.snapshot();
    const o = a.service(20_000n);
    expect(o).toEqual({ status: "out-of-gas", gasUsed: 20_000n });
    expect(a.snapshot()).toBe(before);
    expect(a.status).toBe("pending");
    // Same again (deterministic), then enough gas finishes it with the preemptible run's memory.
    expect(a.service(20_000n)).toEqual(o);
    expect(a.service(BIG).status).toBe("returned");
    const ref = uninterrupted(pre, u32le(N), BIG);
    expect(hex(a.snapshot().pages[0]!)).toBe(hex(ref.image.pages[0]!));
  });
});
