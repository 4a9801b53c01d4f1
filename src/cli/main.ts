/** Entry point of the `coreplay` CLI (bin/coreplay.js loads this through tsx). */
import { Command } from "commander";
import { commandModules } from "./commands/index.ts";

const program = new Command()
  .name("coreplay")
  .description("Coreplay: actors on the cores of a relay chain. Build, run and watch actors locally.")
  .showHelpAfterError();

for (const load of commandModules) (await load()).register(program);

await program.parseAsync(process.argv);
