/** `coreplay validate <pov-file>`: re-execute a PoV on the node's validators and print the verdict. */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { fromHex } from "../../codec/bytes.ts";
import { CliError, clientFor, examples, output, run, withCommon } from "../util.ts";

/** A PoV file is the raw SCALE bytes, or the same as 0x hex text. */
async function readPov(path: string): Promise<Uint8Array> {
  let raw: Buffer;
  try {
    raw = await readFile(path);
  } catch {
    throw new CliError("PoV file not found", {
      code: "CLI_NO_POV",
      details: path,
      hint: "save PoVs with `coreplay blocks -n 1 --save-povs povs/`",
    });
  }
  const text = raw.toString("utf8").trim();
  if (/^0x[0-9a-fA-F]*$/.test(text)) return fromHex(text);
  return new Uint8Array(raw);
}

export function register(program: Command): void {
  const cmd = program
    .command("validate")
    .description("validate a PoV file: re-executed from its bytes by the node's validator pool")
    .argument("<pov-file>", "SCALE-encoded PoV (binary, or 0x hex text)");
  withCommon(cmd);
  examples(cmd, ["coreplay validate povs/block-12-core-0.pov", "coreplay validate tampered.pov --json"]);
  cmd.action(
    run(async (path: string, o: { url: string; json?: boolean }) => {
      const pov = await readPov(path);
      const r = await clientFor(o).chain.validatePov(pov);
      output(o, { valid: r.valid, reason: r.reason }, () => (r.valid ? "valid" : `invalid: ${r.reason}`));
    }),
  );
}
