/** `coreplay revert <id>`: restore a dev node's chain to a snapshot (dev_v1_revert). */
import type { Command } from "commander";
import { clientFor, examples, output, run, withCommon } from "../util.ts";

export function register(program: Command): void {
  const cmd = program
    .command("revert")
    .description(
      "restore a dev node's chain to a snapshot from `coreplay snapshot` (later snapshots are dropped)",
    )
    .argument("<id>", "snapshot id");
  withCommon(cmd);
  examples(cmd, ["coreplay revert 0"]);
  cmd.action(
    run(async (id: string, o: { url: string; json?: boolean }) => {
      const b = await clientFor(o).dev.revert(id);
      output(o, b, () => `reverted to snapshot ${id}; head #${b.number} ${b.hash}`);
    }),
  );
}
