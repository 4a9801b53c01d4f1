/**
 * `validate.speedup_2w`: PoV validations per second with 2 validator workers over 1. The PoVs are real
 * (counter actors with hundreds of calls each, built by the node's collators); each is re-executed from
 * its bytes in the worker pool. Throughput is measured as a validator meets it: a stream with
 * IN_FLIGHT PoVs always waiting (two blocks' worth), each answered PoV replaced by the next.
 * A pool of 1 worker and a pool of 2 are warmed (every worker is a V8 isolate of its own and tiers the
 * validator's code up on its own), then timed in PAIRS of adjacent windows of WINDOW PoVs, 1 worker then
 * 2, with a pause after each window. The speed-up is the median of the pairs' ratios: this VM's host
 * changes speed from minute to minute, and two windows half a second apart meet the same host.
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
/**
 * PoVs each worker judges before the clock starts. Code that runs once per PoV tiers up slowly: with
 * `--trace-opt`, a worker here was still optimising such functions for the first time after 1,000 PoVs;
 * a pool of 2 ran at half the 1-worker speed for its first ~150 PoVs per worker, and V8's helper threads
 * (its optimising compiler among them) took 0.1–0.3 ms per PoV until ~1,000 PoVs per worker, 0.03–0.06
 * after.
 */
const WARM_PER_WORKER = 2000;
const PAIRS = 16;
const WINDOW = 160;
/** After each window: the GC work a window leaves behind finishes before the other pool's window. */
const PAUSE_MS = 150;
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

const pause = () => new Promise((ok) => setTimeout(ok, PAUSE_MS));

/** A pool of `size` workers, each of which has judged WARM_PER_WORKER PoVs. */
async function warmPool(size: number, jobs: PovToValidate[]): Promise<ValidatorPool> {
  const pool = await createValidatorPool({ size, backers: 1, timeoutMs: 120_000 });
  await stream(pool, jobs, WARM_PER_WORKER * size);
  await pause();
  return pool;
}

const bench: Bench = async () => {
  const jobs = await buildJobs();
  const one = await warmPool(1, jobs);
  let two: ValidatorPool | undefined;
  const t1: number[] = [];
  const t2: number[] = [];
  const ratios: number[] = [];
  // Where the CPU of 1-worker windows goes (below), measured while this pool is alone in the process.
  const cpu: Cpu = { process: 0, threads: new Map() };
  try {
    for (let w = 0; w < CPU_WINDOWS; w++) await window(one, jobs, cpu);
    two = await warmPool(2, jobs);
    for (let i = 0; i < PAIRS; i++) {
      t1.push(await window(one, jobs));
      await pause();
      t2.push(await window(two, jobs));
      await pause();
      ratios.push((t1[i] as number) / (t2[i] as number));
    }
  } finally {
    await Promise.all([one.close(), two?.close()]);
  }
  const med1 = median(t1);
  const med2 = median(t2);
  const sorted = [...ratios].sort((a, b) => a - b);
  const figures: Figure[] = [
    {
      name: "validate.povs_per_s_1w",
      value: round(1000 / med1),
      unit: "PoVs/s",
      note: `${jobs.length} PoVs × ${CALLS_PER_ACTOR} calls, ${IN_FLIGHT} in flight; median of ${t1.length} windows (best ${Math.round(1000 / Math.min(...t1))})`,
    },
    {
      name: "validate.povs_per_s_2w",
      value: round(1000 / med2),
      unit: "PoVs/s",
      note: `median of ${t2.length} windows (best ${Math.round(1000 / Math.min(...t2))})`,
    },
    {
      name: "validate.speedup_2w",
      value: round(median(ratios)),
      unit: "×",
      target: { min: 1.8 },
      note: `median of ${ratios.length} adjacent pairs (${round(sorted[0] as number)}–${round(sorted.at(-1) as number)})`,
    },
    {
      name: "validate.speedup_2w_best",
      value: round(Math.min(...t1) / Math.min(...t2)),
      unit: "×",
      note: "best window over best window",
    },
  ];
  // Where the CPU of 1-worker windows goes: the worker is the busiest thread, the rest is mostly V8's
  // GC helper threads (shared by all isolates of the process) and a little of the main thread. With
  // W worker-thread and T process CPU per PoV on C cores, one worker runs at min(1/W, C/T) and two at
  // most at min(2/W, C/T): on 2 cores the helpers that one worker leaves a core of their own must
  // share the cores with the second worker. A model from CPU time, so far less noisy than the
  // wall-clock speedup, though not exact (the helpers' share can shift with two busy workers).
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
