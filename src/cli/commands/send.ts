/** `coreplay send <actor> <data>`: post a postcard from a dev account into an actor's pigeonhole. */
import type { Command } from "commander";
import { clientFor, examples, output, parseActor, parseHexArg, run, withCommon } from "../util.ts";

export function register(program: Command): void {
  const cmd = program
    .command("send")
    .description(
      "send a postcard (asynchronous message) to an actor; it reads it with recv() in a later play",
    )
    .argument("<actor>", "actor id")
    .argument("<data>", "postcard data, 0x hex");
  withCommon(cmd);
  examples(cmd, ["coreplay send 2 0x68656c6c6f", "coreplay send 2 0x01 --json"]);
  cmd.action(
    run(async (a: string, d: string, o: { url: string; json?: boolean }) => {
      const actor = parseActor(a);
      const data = parseHexArg(d, "postcard data");
      const r = await clientFor(o).actor.send(actor, data);
      output(o, r, () => `postcard ${r.callId} queued for actor ${actor} (head was block ${r.block})`);
    }),
  );
}
