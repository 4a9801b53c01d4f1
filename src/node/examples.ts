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
  const built = await buildProgram(`${EXAMPLES_DIR}${name}`);
  return (await api.uploadCode(built.blob)).codeHash;
}

const u32le = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};

/**
 * Deploys counter and primes (whichever examples exist). Returns the created actors by name.
 *
 * @example await deployExamples(api, console.error)
 */
export async function deployExamples(
  api: NodeApi,
  log: (line: string) => void,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const plan: Array<{ name: string; args: Uint8Array }> = [
    { name: "counter", args: new Uint8Array() },
    // primes takes (bound u32, step u32): examples/primes/README.md
    { name: "primes", args: new Uint8Array([...u32le(200_000), ...u32le(2_000)]) },
  ];
  for (const p of plan) {
    if (!existsSync(`${EXAMPLES_DIR}${p.name}`)) continue;
    log(`building example ${p.name} ...`);
    const codeHash = await uploadExample(api, p.name);
    const { actor } = await api.createActor({ codeHash, args: p.args });
    out[p.name] = actor;
    log(`deployed example ${p.name} as actor ${actor} (args ${toHex(p.args)})`);
  }
  return out;
}
