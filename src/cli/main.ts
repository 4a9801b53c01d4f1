/** Entry point of the `coreplay` CLI (bin/coreplay.js loads this through bin/ts-hooks.js). */
import { existsSync, readFileSync } from "node:fs";
import { Command } from "commander";
import { commandModules } from "./commands/index.ts";

const { version } = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
  version: string;
};

const program = new Command()
  .name("coreplay")
  .version(version, "-V, --version", "print the Coreplay version")
  .description("Coreplay: actors on the cores of a relay chain. Build, run and watch actors locally.")
  .showHelpAfterError();

// One module per command, named after it. Load only the one asked for: some pull in the compiler and
// the engine (seconds to load), which `coreplay actor 0` should not pay. Help and unknown names load all.
const name = process.argv[2] ?? "";
const own = new URL(`./commands/${name}.ts`, import.meta.url);
if (/^[a-z][a-z-]*$/.test(name) && name !== "index" && existsSync(own)) {
  ((await import(own.href)) as { register(p: Command): void }).register(program);
} else {
  for (const load of commandModules) (await load()).register(program);
}

await program.parseAsync(process.argv);
