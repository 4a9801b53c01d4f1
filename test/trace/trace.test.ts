import { beforeAll, describe, expect, it } from "vitest";
import { buildProgram } from "../../src/build/index.ts";
import { actorId } from "../../src/codec/ids.ts";
import { createHarness, deployActor } from "../../src/harness/index.ts";
import { createTracer, renderTrace, type TraceFrame } from "../../src/trace/index.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";

const u32 = (n: number) => Uint8Array.of(n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, n >>> 24);

describe("call traces", () => {
  let pingpong: Uint8Array;
  beforeAll(async () => {
    pingpong = (await buildProgram("examples/pingpong", { preemptible: false })).blob;
  }, 120_000);

  it("record the tree of a play: entries, nested call_actor frames with their gas, host calls, refusals", () => {
    const tracer = createTracer();
    const h = createHarness({ engine: tracer.engine(createWasmEngine()) });
    const a = deployActor(h, pingpong, u32(2));
    const b = deployActor(h, pingpong, u32(1));
    expect(a.value("serve", b.id, 41)).toEqual([0, 42]); // a calls b.ping(41)
    expect(a.value("bounce", b.id)).toEqual([5, 0]); // b's call back into a is refused: Reentry (CallStatus 5)
    const [serve, bounce] = tracer.roots as [TraceFrame, TraceFrame];
    expect(serve).toMatchObject({ actor: 1, entry: "call", origin: null, result: "ok" });
    const nested = serve.events.find((e) => "frame" in e) as { frame: TraceFrame };
    expect(nested.frame).toMatchObject({ actor: 2, origin: 1, result: "ok", output: "0x2a000000" });
    expect(BigInt(nested.frame.gasUsed)).toBeGreaterThan(0n);
    expect(BigInt(serve.gasUsed)).toBeGreaterThan(BigInt(nested.frame.gasUsed)); // the caller's gas includes the callee's
    // bounce: a → b.serve(a) → b's call_actor into a is refused without a frame
    const inner = (bounce.events.find((e) => "frame" in e) as { frame: TraceFrame }).frame;
    expect(inner.events).toContainEqual({
      host: "call_actor",
      args: expect.stringMatching(/^1, 0x00/),
      result: "Reentry",
    });
    const text = renderTrace(tracer.roots);
    expect(text).toMatch(/^actor 1 call 0x01/);
    expect(text).toMatch(/\n {2}actor 2 call 0x00.* from 1 {2}gas \d+ {2}→ ok 0x2a000000/);
    expect(text).toMatch(/· call_actor\(1, 0x00.*\) → Reentry/);
  }, 60_000);

  it("change nothing: the same calls give the same results and gas with and without the tracer", () => {
    const run = (engine: ReturnType<typeof createWasmEngine>) => {
      const h = createHarness({ engine });
      h.deploy(pingpong, u32(2));
      h.deploy(pingpong, u32(1));
      const r = h.callDetailed(actorId(1), Uint8Array.of(1, ...u32(2), ...u32(7)));
      return [r.encoded, r.gasUsed, h.imageHash(actorId(1))];
    };
    expect(run(createTracer().engine(createWasmEngine()) as never)).toEqual(run(createWasmEngine()));
  }, 60_000);
});
