/**
 * The harness's cost per Call (it plays every call through the chain's executor, src/pov/executor.ts)
 * against the same Call on a bare engine instance: the counter example, two actors deployed.
 */
import { fileURLToPath } from "node:url";
import { buildProgram } from "../src/build/index.ts";
import type { ActorId } from "../src/codec/ids.ts";
import { createHarness } from "../src/harness/index.ts";
import type { HostEnv } from "../src/vm/engine.ts";
import { createWasmEngine } from "../src/vm/wasm-engine.ts";
import { type Bench, round, sideBySide } from "./lib.ts";

const N = 300;
const INC = Uint8Array.of(1);
const GAS = 200_000_000n;

const bench: Bench = async () => {
  const { blob } = await buildProgram(fileURLToPath(new URL("../examples/counter", import.meta.url)));
  const h = createHarness();
  h.deploy(blob);
  const counter = h.deploy(blob);
  h.service(counter);
  const program = createWasmEngine().load(blob);
  const logs: string[] = [];
  const host = { self: 2 as ActorId, now: 1, coscheduled: () => [], log: (l: string) => logs.push(l) };
  const bare = program.instantiate(
    2 as ActorId,
    program.createImage(new Uint8Array()),
    host as unknown as HostEnv,
  );
  bare.service(GAS);
  const t = sideBySide(
    () => {
      for (let i = 0; i < N; i++) h.call(counter, INC);
    },
    () => {
      for (let i = 0; i < N; i++) bare.call(null, INC, GAS);
      logs.length = 0;
    },
  );
  const harness = (t.a * 1000) / N;
  const engine = (t.b * 1000) / N;
  return [
    { name: "harness.call_us", value: round(harness), unit: "µs", note: "counter inc, one play per call" },
    {
      name: "harness.engine_call_us",
      value: round(engine),
      unit: "µs",
      note: "the same call on a bare instance",
    },
    {
      name: "harness.call_over_engine",
      value: round(harness / engine),
      unit: "×",
      target: { max: 30, stretch: 8 },
      note: "per play: executor, snapshot (a fresh 64 KiB buffer per changed page)",
    },
  ];
};
export default bench;
