/** `coreplay play <program.cpl|folder|entry.ts> [--args 0x..] [--call 0x..]... [--service N]... [--gas N] [--json]` */
import { readFile, stat } from "node:fs/promises";
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { buildProgram, unwrapProgram } from "../../build/index.ts";
import { fromHex } from "../../codec/bytes.ts";
import { type AgendaStep, runAgenda } from "../../harness/agenda.ts";
import { installInstrumentCache } from "../../node/instrument-cache.ts";
import { reportError } from "./build.ts";

/** A .cpl file as is; a folder or .ts entry is built first. */
async function loadProgram(target: string): Promise<Uint8Array> {
  const info = await stat(target).catch(() => undefined);
  if (info?.isFile() && !target.endsWith(".ts")) {
    const blob = new Uint8Array(await readFile(target));
    unwrapProgram(blob); // typed error for anything that is not a program blob
    return blob;
  }
  process.stderr.write(`compiling ${target}…\n`);
  return (await buildProgram(target)).blob;
}

const hexArg = (v: string): Uint8Array => {
  try {
    return fromHex(v);
  } catch {
    throw new InvalidArgumentError(`expected 0x-prefixed hex, got ${v}`);
  }
};

const countArg = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got ${v}`);
  return n;
};

export function register(program: Command): void {
  // Calls and Services run in the order given, so both options append to one agenda.
  const agenda: AgendaStep[] = [];
  program
    .command("play")
    .description("run a program off-chain with an agenda of calls and services (a local harness)")
    .argument("<program>", "a .cpl program blob, a project folder or an entry .ts file")
    .option("--args <hex>", "main's args as 0x-hex", hexArg)
    .option("--call <hex>", "run `call` with this input (repeatable, in order)", (v: string) => {
      agenda.push({ call: hexArg(v) });
      return v;
    })
    .option("--service <n>", "resume main n times (repeatable, in order)", (v: string) => {
      agenda.push({ service: countArg(v) });
      return v;
    })
    .option("--gas <n>", "gas per agenda item", (v: string) => {
      if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a gas amount, got ${v}`);
      return BigInt(v);
    })
    .option("--json", "print {outputs, logs, gasUsed, imageHash} as JSON", false)
    .action(async (target: string, opts: { args?: Uint8Array; gas?: bigint; json: boolean }) => {
      installInstrumentCache();
      try {
        const blob = await loadProgram(target);
        const steps: AgendaStep[] = agenda.length > 0 ? agenda : [{ service: 1 }];
        const report = runAgenda(blob, steps, { args: opts.args, gas: opts.gas });
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(report)}\n`);
          return;
        }
        for (const line of report.logs) process.stdout.write(`log     ${line}\n`);
        report.outputs.forEach((o, i) => {
          process.stdout.write(`output  #${i} ${o}\n`);
        });
        process.stdout.write(`gas     ${report.gasUsed}\nimage   ${report.imageHash}\n`);
      } catch (e) {
        reportError(e, opts.json);
      }
    });
}
