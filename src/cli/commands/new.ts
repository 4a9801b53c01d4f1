/** `coreplay new <name> [--json]` */
import path from "node:path";
import type { Command } from "commander";
import { scaffoldActor } from "../../build/scaffold.ts";
import { reportError } from "./build.ts";

export function register(program: Command): void {
  program
    .command("new")
    .description("scaffold an actor project: AssemblyScript source, a harness test, README, package.json")
    .argument("<name>", "project name (also its folder)")
    .option("--json", "print {dir, files} as JSON", false)
    .action(async (name: string, opts: { json: boolean }) => {
      try {
        const files = await scaffoldActor(name);
        const dir = path.resolve(name);
        if (opts.json) {
          process.stdout.write(`${JSON.stringify({ dir, files })}\n`);
          return;
        }
        process.stdout.write(`created ${dir}\n${files.map((f) => `  ${f}`).join("\n")}\n`);
        process.stdout.write(
          `next: cd ${name} && npm test   (then: npx coreplay build . && npx coreplay play . --call get)\n`,
        );
      } catch (e) {
        reportError(e, opts.json);
      }
    });
}
