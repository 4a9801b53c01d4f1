/**
 * `coreplay test [files…]`: runs an actor project's `*.test.ts` files with node:test, TypeScript loaded
 * through Coreplay's own hooks (bin/ts-hooks.js), so `coreplay/harness` and `coreplay/build` resolve
 * wherever Coreplay is installed (the project's parents, or globally) and the project needs no build
 * step and no dependencies of its own.
 */
import { spawn } from "node:child_process";
import { readdirSync } from "node:fs";
import path from "node:path";

import type { Command } from "commander";
import { CliError, examples, reportError } from "../util.ts";

const REGISTER = new URL("../../../bin/register.js", import.meta.url).href;

/** `*.test.ts` files under `dir`, outside node_modules and dot-folders. */
function testFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === "node_modules" || e.name.startsWith(".")) continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...testFiles(p));
    else if (/\.test\.(ts|mts|js|mjs)$/.test(e.name)) out.push(p);
  }
  return out.sort();
}

export function register(program: Command): void {
  const cmd = program
    .command("test")
    .description("run the project's *.test.ts files with node:test (TypeScript, coreplay/* resolved)")
    .argument("[files...]", "test files (default: every *.test.ts under the current folder)")
    .option("--json", "TAP output (machine-readable) instead of the spec reporter");
  examples(cmd, ["coreplay test", "coreplay test counter.test.ts"]);
  cmd.action(async (files: string[], o: { json?: boolean }) => {
    const list = files.length > 0 ? files : testFiles(process.cwd());
    if (list.length === 0) {
      reportError(
        new CliError("No test files", {
          code: "CLI_NO_TESTS",
          details: `no *.test.ts under ${process.cwd()}`,
          hint: "name test files <something>.test.ts (`coreplay new` writes one)",
        }),
        !!o.json,
      );
      process.exitCode = 1;
      return;
    }
    const args = ["--import", REGISTER, "--test", `--test-reporter=${o.json ? "tap" : "spec"}`, ...list];
    const child = spawn(process.execPath, args, { stdio: "inherit" });
    const code = await new Promise<number>((ok) =>
      child.on("exit", (c, signal) => ok(c ?? (signal ? 1 : 0))),
    );
    process.exitCode = code;
  });
}
