/** `coreplay actor <id>`: an actor's relay state; `--all` lists every actor. */
import type { Command } from "commander";
import type { ActorJson } from "../../rpc/types.ts";
import { CliError, clientFor, examples, output, parseActor, run, withCommon } from "../util.ts";

const human = (a: ActorJson) =>
  [
    `actor ${a.id}${a.name ? ` (${a.name})` : ""}`,
    `  code      ${a.codeHash}${a.engine ? ` (${a.engine === "riscv" ? "PVM" : "Wasm"})` : ""}`,
    `  state     ${a.stateHash}`,
    `  sequence  ${a.sequence}`,
    `  balance   ${a.balance}`,
    `  main      ${a.status}`,
    `  queued    ${a.queuedCalls} calls, ${a.mailbox} postcards`,
    ...(a.lastUpgrade
      ? [
          `  upgrade   block ${a.lastUpgrade.block} to ${a.lastUpgrade.to}: ${
            a.lastUpgrade.ok ? `done (gas ${a.lastUpgrade.gasUsed})` : `refused (${a.lastUpgrade.reason})`
          }`,
        ]
      : []),
  ].join("\n");

export function register(program: Command): void {
  const cmd = program
    .command("actor")
    .description("show an actor's state (code hash, state hash, sequence, balance), or list all with --all")
    .argument("[id]", "actor id")
    .option("--all", "list every actor");
  withCommon(cmd);
  examples(cmd, ["coreplay actor 0", "coreplay actor 0 --json", "coreplay actor --all"]);
  cmd.action(
    run(async (id: string | undefined, o: { url: string; json?: boolean; all?: boolean }) => {
      const client = clientFor(o);
      if (o.all || id === undefined) {
        if (!o.all) {
          throw new CliError("Which actor?", {
            code: "CLI_NO_ACTOR",
            hint: "pass an id (`coreplay actor 0`) or --all",
          });
        }
        const list = await client.actor.list();
        output(o, list, () => (list.length === 0 ? "no actors yet" : list.map(human).join("\n")));
        return;
      }
      const a = await client.actor.state(parseActor(id));
      output(o, a, () => human(a));
    }),
  );
}
