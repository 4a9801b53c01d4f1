/** `coreplay blocks`: recent blocks with their PoVs; `--follow` streams new ones; `--save-povs` writes PoV files. */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { fromHex } from "../../codec/bytes.ts";
import type { Client } from "../../rpc/client.ts";
import type { BlockJson } from "../../rpc/types.ts";
import { clientFor, examples, output, progress, run, withCommon } from "../util.ts";

const human = (b: BlockJson) => {
  const lines = [`#${b.number} ${b.hash.slice(0, 18)}… txs ${b.extrinsics}, ${b.povs.length} PoVs`];
  for (const p of b.povs) {
    lines.push(
      `   core ${p.core} collator ${p.collator} actors [${p.actors.join(",")}] calls ${p.calls} gas ${p.gasUsed} backed by [${p.backers.join(",")}]`,
    );
  }
  for (const p of b.dropped)
    lines.push(`   dropped ${p.status} core ${p.core} actors [${p.actors.join(",")}]: ${p.reason ?? ""}`);
  return lines.join("\n");
};

async function savePovs(client: Client, b: BlockJson, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  for (const p of b.povs) {
    const hex = await client.chain.pov(p.hash);
    await writeFile(join(dir, `block-${b.number}-core-${p.core}.pov`), fromHex(hex));
  }
}

export function register(program: Command): void {
  const cmd = program
    .command("blocks")
    .description("show recent blocks and their PoVs")
    .option("-n, --count <n>", "how many recent blocks", "10")
    .option("--follow", "keep printing new blocks")
    .option("--save-povs <dir>", "write each shown block's PoVs as files (for `coreplay validate`)");
  withCommon(cmd);
  examples(cmd, [
    "coreplay blocks",
    "coreplay blocks -n 3 --json",
    "coreplay blocks --follow",
    "coreplay blocks -n 1 --save-povs povs/",
  ]);
  cmd.action(
    run(async (o: { url: string; json?: boolean; count: string; follow?: boolean; savePovs?: string }) => {
      const client = clientFor(o);
      const head = await client.chain.head();
      const n = Math.max(1, Number(o.count) || 10);
      const blocks: BlockJson[] = [];
      for (let i = Math.max(0, head.number - n + 1); i <= head.number; i++)
        blocks.push(await client.chain.block(i));
      if (o.savePovs) for (const b of blocks) await savePovs(client, b, o.savePovs);
      if (o.json && !o.follow) output(o, blocks, () => "");
      else for (const b of blocks) output(o, b, () => human(b));
      if (!o.follow) return;
      if (!o.json) progress("following new blocks (Ctrl-C to stop) ...");
      await client.chain.follow((e) => {
        if (e.event === "newBlock") {
          output(o, e.block, () => human(e.block));
          if (o.savePovs) void savePovs(client, e.block, o.savePovs);
        }
      });
      await new Promise(() => {});
    }),
  );
}
