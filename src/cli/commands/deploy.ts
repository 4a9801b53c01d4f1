/** `coreplay deploy <program>`: upload a program and create an actor running it. */
import type { Command } from "commander";
import { loadProgramFile } from "../program-file.ts";
import { CliError, clientFor, examples, output, parseHexArg, run, withCommon } from "../util.ts";

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
      const { blob } = await loadProgramFile(path, !!o.json);
      const client = clientFor(o);
      const { codeHash, name } = await client.code.upload(blob);
      const { actor } = await client.actor.create(
        codeHash,
        args,
        o.balance === undefined ? undefined : BigInt(o.balance),
      );
      output(
        o,
        { actor, codeHash, name },
        () => `deployed ${name || "program"} as actor ${actor} (code ${codeHash})`,
      );
    }),
  );
}
