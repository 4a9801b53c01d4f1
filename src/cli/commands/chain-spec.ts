/**
 * `coreplay chain-spec`: writes a network's chain spec (DESIGN §11) to stdout and each validator's and
 * collator's secret key into a keys folder. The spec holds public keys only.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { toHex } from "../../codec/bytes.ts";
import { keypairFromSeed } from "../../crypto/ed25519.ts";
import type { ChainSpec, KeyFile } from "../../net/spec.ts";
import { CliError, examples, progress, run } from "../util.ts";

const int = (v: string, what: string, min: number): number => {
  if (!/^\d+$/.test(v) || Number(v) < min)
    throw new CliError(`Invalid ${what}`, {
      code: "CLI_BAD_OPTION",
      details: JSON.stringify(v),
      hint: `use an integer ≥ ${min}`,
    });
  return Number(v);
};

/** Makes a spec and its key files (secret seeds from the OS's random source). */
export function makeSpec(o: {
  validators: number;
  collators: number;
  slotMs: number;
  cores: number;
  keysDir: string;
  name?: string;
}): ChainSpec {
  mkdirSync(o.keysDir, { recursive: true, mode: 0o700 });
  const keys = (role: "validator" | "collator", count: number) =>
    Array.from({ length: count }, (_, i) => {
      const seed = randomBytes(32);
      const kp = keypairFromSeed(new Uint8Array(seed));
      const name = `${role}-${i}`;
      const file: KeyFile = { name, role, publicKey: toHex(kp.publicKey), seed: toHex(seed) };
      writeFileSync(join(o.keysDir, `${name}.json`), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 });
      return { name, publicKey: file.publicKey };
    });
  return {
    name: o.name ?? "coreplay-local",
    slotMs: o.slotMs,
    cores: o.cores,
    validators: keys("validator", o.validators),
    collators: keys("collator", o.collators),
  };
}

export function register(program: Command): void {
  const cmd = program
    .command("chain-spec")
    .description("write a network's chain spec (public keys) to stdout, and the secret keys into --keys")
    .option("--validators <n>", "validators", "4")
    .option("--collators <n>", "collators", "0")
    .option("--slot-ms <ms>", "Aura slot length", "1000")
    .option("--cores <n>", "cores per block", "2")
    .option("--keys <dir>", "where the key files go", "keys")
    .option("--name <name>", "chain name", "coreplay-local")
    .option("--json", "machine-readable output (the spec is JSON either way)");
  examples(cmd, [
    "coreplay chain-spec --validators 4 > spec.json",
    "coreplay chain-spec --validators 7 --collators 2 --slot-ms 500 --keys ./net-keys > spec.json",
  ]);
  cmd.action(
    run(
      async (o: {
        validators: string;
        collators: string;
        slotMs: string;
        cores: string;
        keys: string;
        name: string;
        json?: boolean;
      }) => {
        const keysDir = resolve(o.keys);
        const spec = makeSpec({
          validators: int(o.validators, "--validators", 1),
          collators: int(o.collators, "--collators", 0),
          slotMs: int(o.slotMs, "--slot-ms", 50),
          cores: int(o.cores, "--cores", 1),
          keysDir,
          name: o.name,
        });
        progress(`keys written to ${keysDir}`);
        process.stdout.write(`${o.json ? JSON.stringify(spec) : JSON.stringify(spec, null, 2)}\n`);
      },
    ),
  );
}
