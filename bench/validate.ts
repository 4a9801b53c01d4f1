/**
 * `validate.speedup_2w`: PoV validations per second with 2 validator workers over 1. The PoVs are real
 * (counter actors with hundreds of calls each, built by the node's collators); each is re-executed from
 * its bytes in the worker pool, several rounds, after a warm-up that loads the program in every worker.
 */
import type { ActorId } from "../src/codec/ids.ts";
import { createNode } from "../src/node/node.ts";
import { createValidatorPool, type PovToValidate } from "../src/node/validator-pool.ts";
import { createWasmEngine } from "../src/vm/wasm-engine.ts";
import { counterProgram } from "../test/node/programs.ts";
import { type Bench, median, round } from "./lib.ts";

const CORES = 8;
const CALLS_PER_ACTOR = 400;
const ROUNDS = 3;

async function buildJobs(): Promise<PovToValidate[]> {
  const node = await createNode({
    blockTime: "manual",
    cores: CORES,
    validators: 1,
    engine: createWasmEngine(),
  });
  try {
    const code = node.submit({ tag: "Upload", value: { blob: counterProgram() } });
    await node.produceBlock();
    const { codeHash } = await code;
    const creates = Array.from({ length: CORES }, () =>
      node.submit({
        tag: "Create",
        value: { codeHash: codeHash!, args: new Uint8Array(), endowment: 10n ** 20n },
      }),
    );
    await node.produceBlock();
    const actors = (await Promise.all(creates)).map((r) => r.actor as ActorId);
    await node.produceBlock();
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

async function rate(workers: number, jobs: PovToValidate[]): Promise<number> {
  const pool = await createValidatorPool({ size: workers, backers: 1, timeoutMs: 120_000 });
  try {
    for (let i = 0; i < workers; i++) await Promise.all(jobs.map((j) => pool.validate(j))); // warm every worker
    const times: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      const t0 = performance.now();
      const out = await Promise.all(jobs.map((j) => pool.validate(j)));
      times.push(performance.now() - t0);
      if (out.some((b) => !b.backed)) throw new Error("a bench PoV was not backed");
    }
    return (jobs.length / median(times)) * 1000;
  } finally {
    await pool.close();
  }
}

const bench: Bench = async () => {
  const jobs = await buildJobs();
  const one = await rate(1, jobs);
  const two = await rate(2, jobs);
  return [
    {
      name: "validate.povs_per_s_1w",
      value: round(one),
      unit: "PoVs/s",
      note: `${jobs.length} PoVs × ${CALLS_PER_ACTOR} calls`,
    },
    { name: "validate.povs_per_s_2w", value: round(two), unit: "PoVs/s" },
    { name: "validate.speedup_2w", value: round(two / one), unit: "×", target: { min: 1.8 } },
  ];
};
export default bench;
