/**
 * Fibres (DESIGN §13) on real AssemblyScript actors: many fibres yielding, sleeping, waiting for
 * postcards and joining across plays give the same final image continuously, restored after every play,
 * and in a worker_thread; a fibre that traps ends alone; waiting fibres cost nothing; the limits are typed.
 */
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { buildProgram } from "../../src/build/index.ts";
import { u32 } from "../../src/codec/types.ts";
import { createHarness } from "../../src/harness/index.ts";
import { FIBRE_STACK_BYTES, MAX_FIBRES } from "../../src/vm/gas.ts";
import type { WasmImage } from "../../src/vm/image.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import { type AgendaResult, runFibreAgenda } from "./fibres-agenda.ts";
import { okBytes } from "./helpers.ts";

const entry = fileURLToPath(new URL("fixtures/assembly/fibres.as.ts", import.meta.url));
const PLAYS = 16;
/** Calls deep enough for a continuation above FIBRE_STACK_BYTES, within the call-depth limit. */
const DEEP = Number(process.env.FIB_DEEP ?? 700);

/** The fixture's state reply: total u64, finished u32, mail u64, main done bool, trail str. */
function decodeState(hex: string): {
  total: bigint;
  finished: number;
  mail: bigint;
  done: boolean;
  trail: string;
} {
  const b = Buffer.from(hex, "hex");
  const total = b.readBigUInt64LE(0);
  const finished = b.readUInt32LE(8);
  const mail = b.readBigUInt64LE(12);
  const done = b[20] === 1;
  // SCALE compact length prefix of the trail
  const mode = b[21]! & 3;
  const at = 21 + (mode === 0 ? 1 : mode === 1 ? 2 : 4);
  return { total, finished, mail, done, trail: b.subarray(at).toString("utf8") };
}

describe("fibres", () => {
  for (const preemptible of [false, true]) {
    // a small budget makes the preemptible build stop inside fibres, mid-loop
    const gas = preemptible ? 150_000n : 10_000_000n;
    it(`${preemptible ? "preemptible" : "cooperative"}: many fibres across plays end with one image, continuous, restored after every play, and in a worker`, async () => {
      const { blob } = await buildProgram(entry, { preemptible });
      const plays = preemptible ? PLAYS * 4 : PLAYS;
      const one = runFibreAgenda(blob, { restore: false, gas, plays });
      const restored = runFibreAgenda(blob, { restore: true, gas, plays });
      const worker = await inWorkerPlays(blob, gas, plays);
      expect(restored).toEqual(one);
      expect(worker).toEqual(one);

      const seen: Record<string, number> = { yielded: 0, waiting: 0, trapped: 0, returned: 0, idle: 0 };
      if (preemptible) seen.preempted = 0;
      for (const step of one.steps) {
        const [status, , fibres] = step.split("/");
        if (status === "idle") seen.idle! += 1;
        for (const f of fibres ? fibres.split(",") : []) {
          const s = f.split(":")[1]!;
          if (s in seen) seen[s]! += 1;
        }
      }
      for (const [what, n] of Object.entries(seen)) expect(n, what).toBeGreaterThan(0);

      const st = decodeState(one.state);
      expect(st.done).toBe(true);
      expect(st.mail).toBe(21n); // 5 + 7 + 9, read by the fibre that awaits three postcards
      expect(st.finished).toBe(5 + 2 + 1 + 3); // workers but the trapped one, sleepers, reader, call-spawned
      const parts = st.trail.split(";");
      const workers = parts.filter((p) => p.startsWith("w")).map((p) => p.slice(0, 2));
      expect(workers.sort()).toEqual(["w0", "w1", "w2", "w4", "w5"]);
      expect(parts).toContain("joined 9");
      // a sleeper runs in the first play at or after its block (the agenda starts at block 1)
      for (const p of parts.filter((x) => x.startsWith("s"))) {
        const [label, woke] = p.split(":");
        const wait = Number(label!.slice(1, label!.indexOf("@")));
        expect(Number(woke)).toBeGreaterThanOrEqual(1 + wait);
      }
    }, 240_000);
  }

  it("a fibre that traps ends with an error; main and the other fibres go on", async () => {
    const { blob } = await buildProgram(entry);
    const h = createHarness();
    const a = h.deploy(blob);
    const runs = [];
    for (let i = 0; i < 8; i++) {
      for (const o of h.service(a, 1)) runs.push(...(o.fibres ?? []));
      h.advance(1);
    }
    const trapped = runs.filter((r) => r.status === "trapped");
    expect(trapped.map((r) => r.fibre)).toEqual([4]); // worker arg 3 is fibre 4
    // every other worker ran on after the trap, to the end
    for (const id of [1, 2, 3, 5, 6])
      expect(runs.some((r) => r.fibre === id && r.status === "returned")).toBe(true);
    expect(h.status(a)).toBe("suspended"); // main waits for the reader (no postcards yet)
  }, 120_000);

  it("fibres that wait cost no gas: an actor whose fibres all wait is idle until what they wait for arrives", async () => {
    const { blob } = await buildProgram(entry);
    const h = createHarness();
    const a = h.deploy(blob);
    let last = h.service(a, 1)[0]!;
    for (let i = 0; i < 12 && last.status !== "idle"; i++) {
      h.advance(1);
      last = h.service(a, 1)[0]!;
    }
    expect(last).toEqual({ status: "idle", gasUsed: 0n });
    const program = createWasmEngine().load(blob);
    const image = program.decodeImage(h.image(a)) as WasmImage;
    expect(image.wake()).toEqual({ ready: false, postcard: true, block: undefined });
    for (let i = 0; i < 3; i++) {
      h.advance(5);
      expect(h.service(a, 1)).toEqual([{ status: "idle", gasUsed: 0n }]);
    }
    h.post(a, a, Uint8Array.of(1));
    const woke = h.service(a, 1)[0]!;
    expect(woke.gasUsed).toBeGreaterThan(0n);
    expect(woke.fibres?.map((f) => f.fibre)).toEqual([9]);
  }, 120_000);

  it("limits are consensus constants with typed results: MAX_FIBRES alive, FIBRE_STACK_BYTES of continuation", async () => {
    const { blob } = await buildProgram(entry);
    const h = createHarness();
    const a = h.deploy(blob);
    const out = okBytes(h.call(a, Uint8Array.of(1, ...u32.enc(MAX_FIBRES + 6))));
    const ids: number[] = [];
    const body = Buffer.from(out.subarray((out[0]! & 3) === 1 ? 2 : 1));
    for (let i = 0; i < body.byteLength; i += 4) ids.push(body.readInt32LE(i));
    expect(ids.slice(0, MAX_FIBRES - 1)).toEqual(Array.from({ length: MAX_FIBRES - 1 }, (_, i) => i + 1));
    expect(ids.slice(MAX_FIBRES - 1)).toEqual(new Array(7).fill(-3)); // HostError.Full

    const h2 = createHarness();
    const b = h2.deploy(blob);
    okBytes(h2.call(b, Uint8Array.of(2, ...u32.enc(20))));
    okBytes(h2.call(b, Uint8Array.of(2, ...u32.enc(DEEP))));
    const runs = h2.service(b, 1)[0]!.fibres!;
    const shallow = runs.find((r) => r.fibre === 1)!;
    const deep = runs.find((r) => r.fibre === 2)!;
    expect(shallow.status).toBe("yielded");
    expect(deep.status).toBe("trapped");
    expect(deep.reason).toContain("FIBRE_STACK_OVERFLOW");
    expect(deep.reason).toContain(String(FIBRE_STACK_BYTES));
  }, 120_000);
});

function inWorkerPlays(blob: Uint8Array, gas: bigint, plays: number): Promise<AgendaResult> {
  const worker = new Worker(fileURLToPath(new URL("../../bin/worker.js", import.meta.url)), {
    workerData: { entry: new URL("./fibres-worker.ts", import.meta.url).href, blob, gas, plays },
  });
  return new Promise<AgendaResult>((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`worker exited with ${code}`)));
  }).finally(() => worker.terminate());
}
