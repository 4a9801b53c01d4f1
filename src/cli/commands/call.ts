/** `coreplay call <actor> <data>`: queue a user call (an agenda `Call`), optionally wait for its result. */
import type { Command } from "commander";
import { clientFor, examples, output, parseActor, parseHexArg, progress, run, withCommon } from "../util.ts";

export function register(program: Command): void {
  const cmd = program
    .command("call")
    .description("call an actor: queued as a transaction, run by a collator, result once canonicalised")
    .argument("<actor>", "actor id")
    .argument("<data>", "call input, 0x hex")
    .option("--wait", "wait until the call is canonicalised and print its result")
    .option("--timeout <ms>", "how long --wait waits", "60000");
  withCommon(cmd);
  examples(cmd, [
    "coreplay call 0 0x00 --wait",
    "coreplay call 3 0x0105000000 --wait --json",
    "coreplay call 0 0x00",
  ]);
  cmd.action(
    run(async (a: string, d: string, o: { url: string; json?: boolean; wait?: boolean; timeout: string }) => {
      const actor = parseActor(a);
      const data = parseHexArg(d, "call data");
      const client = clientFor(o);
      if (!o.wait) {
        const { callId } = await client.actor.call(actor, data);
        output(
          o,
          { callId },
          () => `queued call ${callId}\n(see its result with: coreplay call --wait, or actor_v1_receipt)`,
        );
        return;
      }
      if (!o.json) progress(`calling actor ${actor} and waiting for canonicalisation ...`);
      const r = await client.actor.callAndWait(actor, data, Number(o.timeout) || 60_000);
      output(
        o,
        {
          ok: r.ok,
          output: r.output,
          ...(r.error ? { error: r.error } : {}),
          callId: r.callId,
          block: r.block,
        },
        () => `${r.ok ? "ok" : `failed (${r.error})`} ${r.output} (block ${r.block})`,
      );
    }),
  );
}
