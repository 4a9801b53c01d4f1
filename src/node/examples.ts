/**
 * The example actors `coreplay dev` deploys on a fresh chain, so a new user sees something happening.
 * Built from examples/ with `buildProgram`.
 */
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { toHex } from "../codec/bytes.ts";
import type { NodeApi } from "../rpc/types.ts";

export const EXAMPLES_DIR = fileURLToPath(new URL("../../examples/", import.meta.url));

/** Builds and uploads an example; resolves with its code hash. */
export async function uploadExample(api: NodeApi, name: string): Promise<`0x${string}`> {
  const { buildProgram } = await import("../build/index.ts");
  // The examples are cooperative (they yield in time); new actors default to preemptible.
  const built = await buildProgram(`${EXAMPLES_DIR}${name}`, { preemptible: false });
  return (await api.uploadCode(built.blob)).codeHash;
}

const u32le = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

/**
 * Deploys counter, primes (a long computation across blocks), a pingpong pair (co-scheduled
 * synchronous calls), an auction (a fibre per lot) and upgradable v1 (with v2 uploaded for it), whichever examples exist. Returns the created actors by name.
 *
 * @example await deployExamples(api, console.error)
 */
export async function deployExamples(
  api: NodeApi,
  log: (line: string) => void,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const codes = new Map<string, `0x${string}`>();
  const deploy = async (name: string, example: string, args: Uint8Array) => {
    if (!existsSync(`${EXAMPLES_DIR}${example}`)) return;
    let codeHash = codes.get(example);
    if (!codeHash) {
      log(`building example ${example} ...`);
      codeHash = await uploadExample(api, example);
      codes.set(example, codeHash);
    }
    const { actor } = await api.createActor({ codeHash, args });
    out[name] = actor;
    log(`deployed example ${name} as actor ${actor} (args ${toHex(args)})`);
  };
  await deploy("counter", "counter", new Uint8Array());
  // primes: (bound u32, step u32): ~100 plays of 2,000 candidates each
  await deploy("primes", "primes", new Uint8Array([...u32le(200_000), ...u32le(2_000)]));
  // pingpong: two players, each given the other's id (ids are assigned in order)
  const next = api.listActors().length;
  await deploy("ping", "pingpong", u32le(next + 1));
  if (out.ping !== undefined) await deploy("pong", "pingpong", u32le(out.ping));
  // auction: fibres (DESIGN §13), 2 lots closing 30 and 60 blocks after main starts
  await deploy("auction", "auction", new Uint8Array([...u32le(2), ...u32le(30), ...u32le(30)]));
  // upgradable: v1 deployed, v2 uploaded, so `coreplay call <id> 0x02<v2 hash>` upgrades it (its README)
  const v2 = "upgradable/assembly/upgradable-v2.ts";
  await deploy("upgradable", "upgradable", new Uint8Array());
  if (out.upgradable !== undefined && existsSync(`${EXAMPLES_DIR}${v2}`)) {
    log(`building example ${v2} ...`);
    log(`uploaded upgradable v2 as code ${await uploadExample(api, v2)}`);
  }
  return out;
}
