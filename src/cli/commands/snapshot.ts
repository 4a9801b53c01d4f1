/** `coreplay snapshot`: take a snapshot of a dev node's chain (dev_v1_snapshot); `coreplay revert <id>` goes back. */
import type { Command } from "commander";
import { clientFor, examples, output, run, withCommon } from "../util.ts";

export function register(program: Command): void {
  const cmd = program
    .command("snapshot")
    .description("snapshot a dev node's chain; go back to it with `coreplay revert <id>`");
  withCommon(cmd);
  examples(cmd, ["coreplay snapshot", "coreplay snapshot --json"]);
  cmd.action(
    run(async (o: { url: string; json?: boolean }) => {
      const s = await clientFor(o).dev.snapshot();
      output(o, s, () => `snapshot ${s.id} at block ${s.block}   (go back: coreplay revert ${s.id})`);
    }),
  );
}
