/** `coreplay keys new [file]` and `coreplay keys show <file|seed>`: ed25519 keys for `coreplay tx`. */
import { randomBytes } from "node:crypto";
import { existsSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { toHex } from "../../codec/bytes.ts";
import { keypairFromSeed } from "../../crypto/ed25519.ts";
import { readSeed } from "../keys.ts";
import { CliError, examples, output, run } from "../util.ts";

export function register(program: Command): void {
  const keys = program.command("keys").description("make and show ed25519 keys (seeds) for `coreplay tx`");
  const make = keys
    .command("new")
    .description("make a fresh key; write its seed to <file> (mode 600), or print it")
    .argument("[file]", "where to keep the seed (0x hex)")
    .option("--force", "overwrite <file>")
    .option("--json", "machine-readable output on stdout");
  examples(make, ["coreplay keys new alice.key", "coreplay keys new --json"]);
  make.action(
    run(async (file: string | undefined, o: { force?: boolean; json?: boolean }) => {
      if (file !== undefined && existsSync(file) && !o.force) {
        throw new CliError(`${file} already exists`, {
          code: "CLI_EXISTS",
          hint: "pick another file, or pass --force to replace the key (the old one is lost)",
        });
      }
      const seed = new Uint8Array(randomBytes(32));
      const publicKey = toHex(keypairFromSeed(seed).publicKey);
      if (file !== undefined) writeFileSync(file, `${toHex(seed)}\n`, { mode: 0o600 });
      output(o, file === undefined ? { publicKey, seed: toHex(seed) } : { publicKey, file }, () =>
        file === undefined
          ? `public key ${publicKey}\nseed       ${toHex(seed)}   (keep it secret)`
          : `public key ${publicKey}\nseed in    ${file}`,
      );
    }),
  );
  const show = keys
    .command("show")
    .description("show the public key (account id) of a seed or key file")
    .argument("<key>", "a key file or a 0x seed")
    .option("--json", "machine-readable output on stdout");
  examples(show, ["coreplay keys show alice.key"]);
  show.action(
    run(async (key: string, o: { json?: boolean }) => {
      const publicKey = toHex(keypairFromSeed(readSeed(key)).publicKey);
      output(o, { publicKey }, () => `public key ${publicKey}`);
    }),
  );
}
