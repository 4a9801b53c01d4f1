/**
 * `validate.speedup_2w`: PoV validations per second with 2 validator workers over 1. The PoVs are real
 * (counter actors with hundreds of calls each, built by the node's collators); each is re-executed from
 * its bytes in the worker pool, several rounds, after a warm-up that loads the program in every worker.
 * Each pool is measured alone in the process (see `roundsOf`), 1 and 2 workers in turn, three times.
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
const ROUNDS = 5;
const REPEATS = 3;
const WARM_ROUNDS = 25;
const CPU_ROUNDS = 4;

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

/** Milliseconds for one round: every job validated once, all submitted at once. */
async function round1(pool: ValidatorPool, jobs: PovToValidate[], cpu?: Cpu): Promise<number> {
  const c0 = process.cpuUsage();
  const k0 = cpu && threadCpu();
  const t0 = performance.now();
  const out = await Promise.all(jobs.map((j) => pool.validate(j)));
  const ms = performance.now() - t0;
  if (out.some((b) => !b.backed)) throw new Error("a bench PoV was not backed");
  if (cpu) {
    const c = process.cpuUsage(c0);
    cpu.process += (c.user + c.system) / 1000;
    for (const [t, v] of threadCpu() ?? []) {
      const d = v - (k0?.get(t) ?? v);
      cpu.threads.set(t, (cpu.threads.get(t) ?? 0) + d);
    }
  }
  return ms;
}

/**
 * Round times of a fresh pool of `size` workers, alone in the process: warmed (every worker loads the
 * program and tiers up), then `rounds` measured rounds, then closed. Alone, because an idle pool next to
 * it is not idle: its workers' GC of the rounds they just ran takes CPU from the pool being measured.
 */
async function roundsOf(size: number, jobs: PovToValidate[], rounds: number, cpu?: Cpu): Promise<number[]> {
  const pool = await createValidatorPool({ size, backers: 1, timeoutMs: 120_000 });
  try {
    for (let i = 0; i < WARM_ROUNDS; i++) await round1(pool, jobs);
    // A pause, so GC work left by the warm-up does not spill into the measured rounds.
    await new Promise((ok) => setTimeout(ok, 100));
    const t: number[] = [];
    for (let r = 0; r < rounds; r++) t.push(await round1(pool, jobs, cpu));
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
    t1.push(...(await roundsOf(1, jobs, ROUNDS)));
    t2.push(...(await roundsOf(2, jobs, ROUNDS)));
  }
  const r1 = (jobs.length / median(t1)) * 1000;
  const r2 = (jobs.length / median(t2)) * 1000;
  const figures: Figure[] = [
    {
      name: "validate.povs_per_s_1w",
      value: round(r1),
      unit: "PoVs/s",
      note: `${jobs.length} PoVs × ${CALLS_PER_ACTOR} calls`,
    },
    { name: "validate.povs_per_s_2w", value: round(r2), unit: "PoVs/s" },
    { name: "validate.speedup_2w", value: round(r2 / r1), unit: "×", target: { min: 1.8 } },
  ];
  // Where the CPU of 1-worker rounds goes: the worker is the busiest thread, the rest is mostly V8's
  // GC helper threads (shared by all isolates of the process) and a little of the main thread. With
  // W worker-thread and T process CPU per PoV on C cores, one worker runs at min(1/W, C/T) and two at
  // most at min(2/W, C/T): on 2 cores the helpers that one worker leaves a core of their own must
  // share the cores with the second worker. A model from CPU time, so far less noisy than the
  // wall-clock speedup, though not exact (the helpers' share can shift with two busy workers).
  const cpu: Cpu = { process: 0, threads: new Map() };
  await roundsOf(1, jobs, CPU_ROUNDS, cpu);
  const n = CPU_ROUNDS * jobs.length;
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
