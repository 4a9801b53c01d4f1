/** `coreplay mine [n]`: produce n blocks now (dev_v1_newBlock), whatever the node's block time. */
import type { Command } from "commander";
import { CliError, clientFor, examples, output, run, withCommon } from "../util.ts";

export function register(program: Command): void {
  const cmd = program
    .command("mine")
    .description("produce blocks now on a dev node (e.g. one started with --block-time manual)")
    .argument("[n]", "how many blocks", "1");
  withCommon(cmd);
  examples(cmd, ["coreplay mine", "coreplay mine 10 --json"]);
  cmd.action(
    run(async (n: string, o: { url: string; json?: boolean }) => {
      const count = Number(n);
      if (!/^\d+$/.test(n) || count < 1 || count > 10_000) {
        throw new CliError("Invalid block count", {
          code: "CLI_BAD_COUNT",
          details: JSON.stringify(n),
          hint: "1 to 10000",
        });
      }
      const b = await clientFor(o).dev.newBlock(count);
      output(o, b, () => `mined ${count} block(s); head #${b.number} ${b.hash}`);
    }),
  );
}
