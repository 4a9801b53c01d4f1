/**
 * `validate.speedup_2w`: PoV validations per second with 2 validator workers over 1. The PoVs are real
 * (counter actors with hundreds of calls each, built by the node's collators); each is re-executed from
 * its bytes in the worker pool, several rounds, after a warm-up that loads the program in every worker.
 */
import type { ActorId } from "../src/codec/ids.ts";
import { createNode } from "../src/node/node.ts";
import { createValidatorPool, type PovToValidate, type ValidatorPool } from "../src/node/validator-pool.ts";
import { createWasmEngine } from "../src/vm/wasm-engine.ts";
import { counterProgram } from "../test/node/programs.ts";
import { type Bench, median, round } from "./lib.ts";

const CORES = 8;
const CALLS_PER_ACTOR = 400;
const ROUNDS = 7;

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

/** Seconds for one round: every job validated once, all submitted at once. */
async function round1(pool: ValidatorPool, jobs: PovToValidate[]): Promise<number> {
  const t0 = performance.now();
  const out = await Promise.all(jobs.map((j) => pool.validate(j)));
  if (out.some((b) => !b.backed)) throw new Error("a bench PoV was not backed");
  return performance.now() - t0;
}

const bench: Bench = async () => {
  const jobs = await buildJobs();
  const one = await createValidatorPool({ size: 1, backers: 1, timeoutMs: 120_000 });
  const two = await createValidatorPool({ size: 2, backers: 1, timeoutMs: 120_000 });
  try {
    // Warm every worker (program load and instrumentation), then alternate so machine noise hits both.
    for (let i = 0; i < 2; i++) {
      await round1(one, jobs);
      await round1(two, jobs);
    }
    const t1: number[] = [];
    const t2: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      t1.push(await round1(one, jobs));
      t2.push(await round1(two, jobs));
    }
    const r1 = (jobs.length / median(t1)) * 1000;
    const r2 = (jobs.length / median(t2)) * 1000;
    return [
      {
        name: "validate.povs_per_s_1w",
        value: round(r1),
        unit: "PoVs/s",
        note: `${jobs.length} PoVs × ${CALLS_PER_ACTOR} calls`,
      },
      { name: "validate.povs_per_s_2w", value: round(r2), unit: "PoVs/s" },
      { name: "validate.speedup_2w", value: round(r2 / r1), unit: "×", target: { min: 1.8 } },
    ];
  } finally {
    await one.close();
    await two.close();
  }
};
export default bench;
