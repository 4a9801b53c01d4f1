/**
 * `coreplay pvm run <vector.json>…`: runs JAM PVM test vectors (test/vm/pvm/vectors/schema.json) on the
 * PVM interpreter; one JSON line per vector with --json, then a summary. Exits 1 when a vector fails
 * (the known-wrong-gas vectors are skipped only if all else matches).
 */
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { runFast } from "../../vm/pvm/fastpath.ts";
import { run as interpret } from "../../vm/pvm/interpreter.ts";
import { parseVector, runVector } from "../../vm/pvm/vectors.ts";
import { CliError, examples, run } from "../util.ts";

/** Files as given; a directory stands for the `.json` files in it. */
async function expand(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => undefined);
    if (s === undefined)
      throw new CliError("Vector file not found", {
        code: "CLI_NO_VECTOR",
        details: p,
        hint: "pass vector .json files or a directory of them, e.g. test/vm/pvm/vectors/programs",
      });
    if (s.isDirectory())
      for (const f of (await readdir(p)).filter((f) => f.endsWith(".json")).sort()) out.push(join(p, f));
    else out.push(p);
  }
  return out;
}

export function register(program: Command): void {
  const pvm = program.command("pvm").description("the PVM engine (JAM's RISC-V-derived machine)");
  const cmd = pvm
    .command("run")
    .description("run JAM PVM test vectors and compare with their expectations")
    .argument("<vector...>", "vector .json files (or directories of them)")
    .option("--json", "one JSON line per vector, then a summary line")
    .option("--fast", "run the fast path (compiled basic blocks) instead of the interpreter");
  examples(cmd, [
    "coreplay pvm run test/vm/pvm/vectors/programs",
    "coreplay pvm run test/vm/pvm/vectors/programs/inst_add_32.json --json",
  ]);
  cmd.action(
    run(async (paths: string[], o: { json?: boolean; fast?: boolean }) => {
      const files = await expand(paths);
      let passed = 0;
      const skipped: string[] = [];
      const failed: string[] = [];
      for (const f of files) {
        let r: ReturnType<typeof runVector>;
        try {
          r = runVector(parseVector(await readFile(f, "utf8")), o.fast ? runFast : interpret);
        } catch (e) {
          throw new CliError("Not a PVM test vector", {
            code: "CLI_BAD_VECTOR",
            details: `${f}: ${(e as Error).message}`,
            hint: "vectors follow test/vm/pvm/vectors/schema.json",
            cause: e,
          });
        }
        if (r.pass) passed++;
        else if (r.skipped) skipped.push(r.name);
        else failed.push(r.name);
        const { mismatches, ...line } = r;
        if (o.json) process.stdout.write(`${JSON.stringify(r.pass ? line : { ...line, mismatches })}\n`);
        else {
          const verdict = r.pass ? "pass" : r.skipped ? "skip (known-wrong expected gas)" : "FAIL";
          const why = r.pass ? "" : `: ${mismatches.join("; ")}`;
          process.stdout.write(`${verdict} ${r.name} (${r.status}, pc ${r.pc}, gas ${r.gas})${why}\n`);
        }
      }
      const summary = {
        total: files.length,
        passed,
        skipped: skipped.length,
        failed: failed.length,
        failures: failed,
      };
      if (o.json) process.stdout.write(`${JSON.stringify({ summary })}\n`);
      else
        process.stdout.write(
          `${passed}/${files.length} passed, ${skipped.length} skipped (known-wrong expected gas), ${failed.length} failed\n`,
        );
      if (failed.length > 0) process.exitCode = 1;
    }),
  );
}
