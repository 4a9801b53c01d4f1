/** `coreplay client <program> [-o file.ts]`: a typed TypeScript binding for the program's interface. */
import { writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { generateClient } from "../../iface/index.ts";
import { loadInterfaceFile } from "../program-file.ts";
import { CliError, examples, output, run } from "../util.ts";

export function register(program: Command): void {
  const cmd = program
    .command("client")
    .description("generate a typed TypeScript client for a program's interface (imports coreplay/client)")
    .argument("<program>", "a .cpl blob, or an actor source folder / entry file")
    .option("-o, --output <file>", "where to write it (default: stdout)")
    .option("--json", "print {output, methods} as JSON");
  examples(cmd, ["coreplay client counter.cpl -o counter.ts", "coreplay client examples/ledger > ledger.ts"]);
  cmd.action(
    run(async (target: string, o: { output?: string; json?: boolean }) => {
      const p = await loadInterfaceFile(target);
      if (!p)
        throw new CliError("Program not found", {
          code: "CLI_NO_PROGRAM",
          details: target,
          hint: "pass a .cpl file or an actor source folder",
        });
      if (!p.interface) {
        throw new CliError(`${p.name} declares no interface`, {
          code: "CLI_NO_INTERFACE",
          hint: 'declare methods in the source: `new Methods().on(0x01, add, "add(n: u64) -> u64")` (sdk/README.md)',
        });
      }
      const text = generateClient(p.name, p.interface);
      if (o.output) await writeFile(o.output, text);
      else if (!o.json) process.stdout.write(text);
      if (o.output || o.json)
        output(
          o,
          { output: o.output ?? null, methods: p.interface.methods.map((m) => m.name) },
          () => `wrote ${o.output}`,
        );
    }),
  );
}
