/** `coreplay set-balance <actor|account> <amount>`: raise a balance on a dev node (dev_v1_setBalance). */
import type { Command } from "commander";
import { CliError, clientFor, examples, output, parseActor, run, withCommon } from "../util.ts";

export function register(program: Command): void {
  const cmd = program
    .command("set-balance")
    .description("raise an actor's or an account's balance on a dev node (funded by dev account 0)")
    .argument("<target>", "actor id, or a 0x account (public key)")
    .argument("<amount>", "the new balance (decimal)");
  withCommon(cmd);
  examples(cmd, ["coreplay set-balance 2 1000000000", "coreplay set-balance 0x3b6a…da29 5000 --json"]);
  cmd.action(
    run(async (t: string, amount: string, o: { url: string; json?: boolean }) => {
      if (!/^\d+$/.test(amount)) {
        throw new CliError("Invalid amount", {
          code: "CLI_BAD_AMOUNT",
          details: JSON.stringify(amount),
          hint: "a decimal integer",
        });
      }
      const target = /^0x[0-9a-fA-F]{64}$/.test(t) ? (t.toLowerCase() as `0x${string}`) : parseActor(t);
      const r = await clientFor(o).dev.setBalance(target, BigInt(amount));
      output(o, r, () => `balance of ${t} is ${r.balance}`);
    }),
  );
}
