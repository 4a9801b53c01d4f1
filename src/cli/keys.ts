/** ed25519 keys for `coreplay tx`: a seed is 32 bytes, kept as 0x hex in a file (`coreplay keys new`). */
import { existsSync, readFileSync } from "node:fs";
import { fromHex } from "../codec/bytes.ts";
import { CliError } from "./util.ts";

/** A 32-byte ed25519 seed: 0x hex, or a file holding it. Throws {@link CliError} (`CLI_BAD_SEED`). */
export function readSeed(s: string): Uint8Array {
  const text = !s.startsWith("0x") && existsSync(s) ? readFileSync(s, "utf8").trim() : s;
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) {
    throw new CliError("Invalid seed", {
      code: "CLI_BAD_SEED",
      details: s.startsWith("0x") ? "not 32 bytes of 0x hex" : `${s}: not a file holding 32 bytes of 0x hex`,
      hint: "pass the 32-byte ed25519 seed (e.g. a dev account's `secret` from `coreplay dev`), or a key file from `coreplay keys new`",
    });
  }
  return fromHex(text);
}
