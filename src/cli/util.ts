/** Shared CLI plumbing: the `--url`/`--json` options, output, and errors that say what to do. */
import type { Command } from "commander";
import { CoreplayError } from "../errors.ts";
import { type Client, createClient } from "../rpc/client.ts";

export const DEFAULT_URL = "http://127.0.0.1:9944";

export interface CommonOptions {
  url: string;
  json?: boolean;
}

/** Adds `--url` and `--json` to a command. */
export function withCommon(cmd: Command): Command {
  return cmd
    .option("--url <url>", "node RPC URL", process.env.COREPLAY_URL ?? DEFAULT_URL)
    .option("--json", "machine-readable output on stdout");
}

/** Examples shown at the end of `--help`. */
export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText("after", `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`);
}

export const clientFor = (o: CommonOptions): Client => createClient(o.url);

/** Prints `value` as JSON (with --json) or through `human`. bigints become decimal strings. */
export function output(o: { json?: boolean }, value: unknown, human: () => string): void {
  if (o.json)
    process.stdout.write(`${JSON.stringify(value, (_, v) => (typeof v === "bigint" ? v.toString() : v))}\n`);
  else process.stdout.write(`${human()}\n`);
}

/** Progress for long work: stderr, so `--json` stdout stays clean. */
export const progress = (line: string): void => void process.stderr.write(`${line}\n`);

/**
 * Runs a command body; on failure prints the error with its hint to stderr (and as JSON on stdout with
 * --json) and exits 1.
 */
export function run<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
    } catch (e) {
      const json = args.some(
        (a) => typeof a === "object" && a !== null && (a as { json?: boolean }).json === true,
      );
      reportError(e, json);
      process.exitCode = 1;
    }
  };
}

export function reportError(e: unknown, json: boolean): void {
  const ce = e instanceof CoreplayError ? e : undefined;
  const message = ce?.shortMessage ?? (e instanceof Error ? e.message : String(e));
  if (json) {
    process.stdout.write(
      `${JSON.stringify({ ok: false, error: { code: ce?.code ?? "ERROR", message, details: ce?.details, hint: ce?.hint } })}\n`,
    );
  }
  const lines = [`error: ${message}`];
  if (ce?.details) lines.push(`  ${ce.details}`);
  if (ce?.hint) lines.push(`  hint: ${ce.hint}`);
  process.stderr.write(`${lines.join("\n")}\n`);
}

export class CliError extends CoreplayError {
  override name = "CliError";
}

/** Parses an actor id argument. */
export function parseActor(s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || !Number.isSafeInteger(n) || n > 0xffff_ffff) {
    throw new CliError("Invalid actor id", {
      code: "CLI_BAD_ACTOR",
      details: JSON.stringify(s),
      hint: "actor ids are numbers, e.g. `coreplay actor 0`",
    });
  }
  return n;
}

/** Parses a 0x hex argument. */
export function parseHexArg(s: string, what: string): `0x${string}` {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(s)) {
    throw new CliError(`Invalid ${what}`, {
      code: "CLI_BAD_HEX",
      details: JSON.stringify(s),
      hint: `pass ${what} as 0x-prefixed hex with an even number of digits, e.g. 0x01ff (or 0x for none)`,
    });
  }
  return s.toLowerCase() as `0x${string}`;
}
