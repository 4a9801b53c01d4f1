/** `coreplay logs <actor>`: the lines an actor wrote with `log()`, per block; `--follow` streams. */
import type { Command } from "commander";
import { clientFor, examples, output, parseActor, progress, run, withCommon } from "../util.ts";

export function register(program: Command): void {
  const cmd = program
    .command("logs")
    .description("show an actor's log lines")
    .argument("<actor>", "actor id")
    .option("-n, --limit <n>", "most recent lines", "100")
    .option("--follow", "keep printing new lines");
  withCommon(cmd);
  examples(cmd, ["coreplay logs 1", "coreplay logs 1 --follow", "coreplay logs 1 --json"]);
  cmd.action(
    run(async (a: string, o: { url: string; json?: boolean; limit: string; follow?: boolean }) => {
      const actor = parseActor(a);
      const client = clientFor(o);
      const lines = await client.actor.logs(actor, { limit: Math.max(1, Number(o.limit) || 100) });
      if (o.json && !o.follow) output(o, lines, () => "");
      else for (const l of lines) output(o, l, () => `#${l.block} ${l.line}`);
      if (!o.follow) return;
      if (!o.json) progress(`following actor ${actor}'s logs (Ctrl-C to stop) ...`);
      await client.actor.follow(actor, (e) => {
        if (e.event === "log") output(o, e.log, () => `#${e.log.block} ${e.log.line}`);
      });
      await new Promise(() => {});
    }),
  );
}
