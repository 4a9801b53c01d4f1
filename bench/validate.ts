/**
 * `validate.speedup_2w`: PoV validations per second with 2 validator workers over 1. The PoVs are real
 * (counter actors with hundreds of calls each, built by the node's collators); each is re-executed from
 * its bytes in the worker pool. Throughput is measured as a validator meets it: a stream with
 * IN_FLIGHT PoVs always waiting (two blocks' worth), each answered PoV replaced by the next.
 * Each pool is measured alone in the process, 1 and 2 workers in turn, REPEATS times: warmed first
 * (every worker is a V8 isolate of its own and tiers the validator's code up on its own), then WINDOWS
 * timed windows of WINDOW PoVs.
 */
import { readdirSync, readFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { createNode } from "../src/node/node.ts";
import { createValidatorPool, type PovToValidate, type ValidatorPool } from "../src/node/validator-pool.ts";
import { createWasmEngine } from "../src/vm/wasm-engine.ts";
import { deployCounters } from "../test/node/programs.ts";
import { type Bench, type Figure, median, round } from "./lib.ts";

const CORES = 8;
const CALLS_PER_ACTOR = 400;
const IN_FLIGHT = 16;
const REPEATS = 3;
/**
 * PoVs each worker judges before the clock starts. Code that runs once per PoV tiers up slowly: with
 * `--trace-opt`, a worker here was still optimising such functions for the first time after 1,000 PoVs;
 * a pool of 2 ran at half the 1-worker speed for its first ~150 PoVs per worker, and V8's helper threads
 * (its optimising compiler among them) took 0.1–0.3 ms per PoV until ~1,000 PoVs per worker, 0.03–0.06
 * after.
 */
const WARM_PER_WORKER = 1000;
const WINDOWS = 5;
const WINDOW = 160;
const CPU_WINDOWS = 2;

async function buildJobs(): Promise<PovToValidate[]> {
  const node = await createNode({
    blockTime: "manual",
    cores: CORES,
    validators: 1,
    engine: createWasmEngine(),
  });
  try {
    const actors = await deployCounters(node, CORES);
    const calls = actors.flatMap((actor) =>
      Array.from({ length: CALLS_PER_ACTOR }, () =>
        node.submit({ tag: "Call", value: { actor, input: Uint8Array.of(1) } }),
      ),
    );
    await node.produceBlock();
    await Promise.all(calls);
    // Collators build on the head without applying anything: the PoVs of the next block.
    return node.collators.build().jobs.map((j) => ({ pov: j.built.pov, view: j.view, codes: j.codes }));
  } finally {
    await node.stop();
  }
}

/** CPU milliseconds each thread of this process has run (Linux: /proc), by thread id. */
function threadCpu(): Map<string, number> | undefined {
  try {
    const out = new Map<string, number>();
    for (const t of readdirSync("/proc/self/task")) {
      try {
        out.set(t, Number(readFileSync(`/proc/self/task/${t}/schedstat`, "utf8").split(" ")[0]) / 1e6);
      } catch {
        // the thread ended meanwhile
      }
    }
    return out;
  } catch {
    return undefined;
  }
}

/** CPU spent during some rounds: by the whole process, and by each of its threads (ms). */
interface Cpu {
  process: number;
  threads: Map<string, number>;
}

/** Validates `n` PoVs, cycling through `jobs`, keeping IN_FLIGHT of them asked at all times. */
async function stream(pool: ValidatorPool, jobs: PovToValidate[], n: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const b = await pool.validate(jobs[next++ % jobs.length] as PovToValidate);
      if (!b.backed) throw new Error(`a bench PoV was not backed: ${b.faults.join("; ")}`);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
}

/** Milliseconds per PoV over one window of WINDOW PoVs, and the CPU it took if `cpu` is given. */
async function window(pool: ValidatorPool, jobs: PovToValidate[], cpu?: Cpu): Promise<number> {
  const c0 = process.cpuUsage();
  const k0 = cpu && threadCpu();
  const t0 = performance.now();
  await stream(pool, jobs, WINDOW);
  const ms = performance.now() - t0;
  if (cpu) {
    const c = process.cpuUsage(c0);
    cpu.process += (c.user + c.system) / 1000;
    for (const [t, v] of threadCpu() ?? []) {
      const d = v - (k0?.get(t) ?? v);
      cpu.threads.set(t, (cpu.threads.get(t) ?? 0) + d);
    }
  }
  return ms / WINDOW;
}

/**
 * Milliseconds per PoV in each window of a fresh pool of `size` workers, alone in the process: warmed,
 * then `windows` timed windows, then closed. Alone, because an idle pool next to it is not idle: its
 * workers' GC of the PoVs they just judged takes CPU from the pool being measured.
 */
async function windowsOf(size: number, jobs: PovToValidate[], windows: number, cpu?: Cpu): Promise<number[]> {
  const pool = await createValidatorPool({ size, backers: 1, timeoutMs: 120_000 });
  try {
    await stream(pool, jobs, WARM_PER_WORKER * size);
    // A pause, so GC work left by the warm-up does not spill into the timed windows.
    await new Promise((ok) => setTimeout(ok, 100));
    const t: number[] = [];
    for (let w = 0; w < windows; w++) t.push(await window(pool, jobs, cpu));
    return t;
  } finally {
    await pool.close();
  }
}

const bench: Bench = async () => {
  const jobs = await buildJobs();
  // One pool at a time, 1 and 2 workers in turn, so drift of the machine hits both alike.
  const t1: number[] = [];
  const t2: number[] = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    t1.push(...(await windowsOf(1, jobs, WINDOWS)));
    t2.push(...(await windowsOf(2, jobs, WINDOWS)));
  }
  // The best window of each: this VM's host only ever slows a window down (its vCPUs change speed from
  // minute to minute), and both sizes get the same number of windows, interleaved. Medians in the note.
  const best1 = Math.min(...t1);
  const best2 = Math.min(...t2);
  const med1 = median(t1);
  const med2 = median(t2);
  const figures: Figure[] = [
    {
      name: "validate.povs_per_s_1w",
      value: round(1000 / best1),
      unit: "PoVs/s",
      note: `${jobs.length} PoVs × ${CALLS_PER_ACTOR} calls, ${IN_FLIGHT} in flight; best of ${t1.length} windows (median ${Math.round(1000 / med1)})`,
    },
    {
      name: "validate.povs_per_s_2w",
      value: round(1000 / best2),
      unit: "PoVs/s",
      note: `best of ${t2.length} windows (median ${Math.round(1000 / med2)})`,
    },
    {
      name: "validate.speedup_2w",
      value: round(best1 / best2),
      unit: "×",
      target: { min: 1.8 },
      note: "best window over best window",
    },
    { name: "validate.speedup_2w_median", value: round(med1 / med2), unit: "×", note: "median over median" },
  ];
  // Where the CPU of 1-worker windows goes: the worker is the busiest thread, the rest is mostly V8's
  // GC helper threads (shared by all isolates of the process) and a little of the main thread. With
  // W worker-thread and T process CPU per PoV on C cores, one worker runs at min(1/W, C/T) and two at
  // most at min(2/W, C/T): on 2 cores the helpers that one worker leaves a core of their own must
  // share the cores with the second worker. A model from CPU time, so far less noisy than the
  // wall-clock speedup, though not exact (the helpers' share can shift with two busy workers).
  const cpu: Cpu = { process: 0, threads: new Map() };
  await windowsOf(1, jobs, CPU_WINDOWS, cpu);
  const n = CPU_WINDOWS * WINDOW;
  const w = Math.max(0, ...cpu.threads.values()) / n;
  const t = cpu.process / n;
  if (w > 0 && t > 0) {
    const cores = availableParallelism();
    const bound = Math.min(2 / w, cores / t) / Math.min(1 / w, cores / t);
    figures.push(
      { name: "validate.cpu_ms_per_pov", value: round(t), unit: "ms", note: "1 worker, all threads" },
      {
        name: "validate.speedup_model_2w",
        value: round(bound),
        unit: "×",
        note: `worker thread ${w.toFixed(2)} of ${t.toFixed(2)} CPU ms/PoV, ${cores} cores`,
      },
    );
  }
  return figures;
};
export default bench;
