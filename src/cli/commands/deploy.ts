/** `coreplay deploy <program>`: upload a program and create an actor running it. */
import { readFile, stat } from "node:fs/promises";
import type { Command } from "commander";
import { CliError, clientFor, examples, output, parseHexArg, progress, run, withCommon } from "../util.ts";

async function loadProgram(path: string, json: boolean): Promise<Uint8Array> {
  let s: Awaited<ReturnType<typeof stat>>;
  try {
    s = await stat(path);
  } catch {
    throw new CliError("Program not found", {
      code: "CLI_NO_PROGRAM",
      details: path,
      hint: "build one with `coreplay build <folder>` (it writes a .cpl file), or pass an example folder",
    });
  }
  if (s.isFile() && path.endsWith(".cpl")) return new Uint8Array(await readFile(path));
  // A source folder or entry file: build it first.
  if (!json) progress(`building ${path} ...`);
  const { buildProgram } = await import("../../build/index.ts");
  const built = await buildProgram(path);
  return built.blob;
}

export function register(program: Command): void {
  const cmd = program
    .command("deploy")
    .description("upload a program (.cpl, or a source folder to build) and create an actor running it")
    .argument("<program>", "program blob (.cpl) or actor source folder")
    .option("--args <hex>", "arguments passed to main(args), 0x hex", "0x")
    .option("--balance <amount>", "endowment of the new actor (decimal)");
  withCommon(cmd);
  examples(cmd, [
    "coreplay deploy counter.cpl",
    "coreplay deploy examples/counter --json",
    "coreplay deploy ledger.cpl --args 0x00000000 --balance 1000000",
  ]);
  cmd.action(
    run(async (path: string, o: { url: string; json?: boolean; args: string; balance?: string }) => {
      const args = parseHexArg(o.args, "--args");
      if (o.balance !== undefined && !/^\d+$/.test(o.balance)) {
        throw new CliError("Invalid --balance", {
          code: "CLI_BAD_AMOUNT",
          details: o.balance,
          hint: "a decimal integer",
        });
      }
      const blob = await loadProgram(path, !!o.json);
      const client = clientFor(o);
      const { codeHash, name } = await client.code.upload(blob);
      const { actor } = await client.actor.create(
        codeHash,
        args,
        o.balance === undefined ? undefined : BigInt(o.balance),
      );
      output(
        o,
        { actor, codeHash },
        () => `deployed ${name || "program"} as actor ${actor} (code ${codeHash})`,
      );
    }),
  );
}
