/** `coreplay build <entry.ts|folder> [-o out.cpl] [--cooperative] [--json]` (preemptible by default) */
import { writeFile } from "node:fs/promises";
import path from "node:path";
import type { Command } from "commander";
import { buildProgram } from "../../build/index.ts";
import { toHex } from "../../codec/bytes.ts";
import { CoreplayError } from "../../errors.ts";

/** Prints a CoreplayError's parts on stderr and sets a failing exit code. */
export function reportError(e: unknown, json: boolean): void {
  if (e instanceof CoreplayError) {
    if (json)
      process.stdout.write(
        `${JSON.stringify({ ok: false, error: { code: e.code, message: e.shortMessage, details: e.details, hint: e.hint } })}\n`,
      );
    process.stderr.write(`error: ${e.message}\n`);
  } else {
    process.stderr.write(`error: ${(e as Error)?.stack ?? String(e)}\n`);
  }
  process.exitCode = 1;
}

export function register(program: Command): void {
  program
    .command("build")
    .description("compile an AssemblyScript actor and wrap it in a program blob (.cpl)")
    .argument("<entry>", "an entry .ts file, or a project folder (compiles <folder>/assembly/index.ts)")
    .option("-o, --output <file>", "where to write the blob (default: <name>.cpl in the current folder)")
    .option(
      "--cooperative",
      "opt in to cooperative code: main must yield in time (a little faster than the default, preemptible)",
      false,
    )
    .option("--preemptible", "preemptible code (the default; kept for older scripts)", false)
    .option("--no-optimize", "skip Binaryen optimisation (faster build, bigger and slower code)")
    .option("--json", "print {codeHash, size, output} as JSON", false)
    .action(
      async (
        entry: string,
        opts: {
          output?: string;
          cooperative: boolean;
          preemptible: boolean;
          optimize: boolean;
          json: boolean;
        },
      ) => {
        try {
          process.stderr.write(`compiling ${entry}…\n`);
          if (opts.cooperative && opts.preemptible)
            throw new Error("--cooperative and --preemptible exclude each other: pick one");
          const built = await buildProgram(entry, {
            preemptible: !opts.cooperative,
            optimize: opts.optimize,
          });
          for (const d of built.diagnostics)
            process.stderr.write(`${d.category}: ${d.location ?? ""} ${d.message}\n`);
          const output = path.resolve(opts.output ?? `${built.metadata.name}.cpl`);
          await writeFile(output, built.blob);
          const codeHash = toHex(built.codeHash);
          if (opts.json) {
            process.stdout.write(`${JSON.stringify({ codeHash, size: built.blob.byteLength, output })}\n`);
          } else {
            process.stderr.write(`wrote ${output}\n`);
            process.stdout.write(`${codeHash}  ${built.blob.byteLength} bytes  ${built.metadata.name}\n`);
          }
        } catch (e) {
          reportError(e, opts.json);
        }
      },
    );
}
