/**
 * `coreplay play <program.cpl|folder|entry.ts> [--args 0x..] [--call <method args…|0x..>]... [--service N]...
 * [--gas N] [--json]`: run a program off-chain in the harness. Calls go by method name through the
 * program's interface (or as hex); their results are decoded, and a failed call makes the exit code 1.
 */
import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { fromHex, toHex } from "../../codec/bytes.ts";
import { CallOutput, decodeExact, ProgramBlob } from "../../codec/types.ts";
import { type AgendaStep, runAgenda } from "../../harness/agenda.ts";
import {
  type ActorInterface,
  type DecodedResult,
  decodeResult,
  encodeCallText,
  findMethod,
  interfaceFromJson,
  type MethodDef,
  toJsonValue,
} from "../../iface/index.ts";
import { installInstrumentCache } from "../../node/instrument-cache.ts";
import { createTracer, renderTrace } from "../../trace/index.ts";
import { createWasmEngine } from "../../vm/wasm-engine.ts";
import { show } from "../actor-call.ts";
import { loadProgramFile } from "../program-file.ts";
import { methodName } from "../trace-names.ts";
import { reportError } from "../util.ts";

const countArg = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`expected a positive integer, got ${v}`);
  return n;
};

const hexArg = (v: string): Uint8Array => {
  try {
    return fromHex(v);
  } catch {
    throw new InvalidArgumentError(`expected 0x-prefixed hex, got ${v}`);
  }
};

type Step = { call: string } | { service: number };

/** A Call's recorded SCALE `Result<Vec<u8>, CallError>` read through the method's declared result. */
function decodeOutput(
  iface: ActorInterface | undefined,
  method: MethodDef | undefined,
  hex: string,
): DecodedResult {
  const o = decodeExact(CallOutput, fromHex(hex), "call output");
  if (o.success) return decodeResult(iface, method, { ok: true, output: toHex(o.value) });
  const e = o.value;
  return decodeResult(iface, method, {
    ok: false,
    error: e.tag,
    output: e.tag === "Actor" ? toHex(e.value) : "0x",
  });
}

/** A `--call` value: 0x hex as it is, else `method arg…` through the interface. */
function callOf(
  iface: ActorInterface | undefined,
  text: string,
): { input: Uint8Array; method: MethodDef | undefined } {
  const t = text.trim();
  if (/^0x([0-9a-fA-F]{2})*$/.test(t)) {
    const input = fromHex(t);
    return { input, method: iface?.methods.find((m) => m.id === input[0]) };
  }
  if (!iface) {
    throw new InvalidArgumentError(
      `--call ${JSON.stringify(text)}: this program declares no interface; pass the input as 0x hex`,
    );
  }
  const [name, ...args] = t.split(/\s+/);
  const method = findMethod(iface, name!);
  return { input: encodeCallText(iface, method, args), method };
}

export function register(program: Command): void {
  // Calls and Services run in the order given, so both options append to one agenda.
  const steps: Step[] = [];
  program
    .command("play")
    .description("run a program off-chain with an agenda of calls and services (a local harness)")
    .argument("<program>", "a .cpl program blob, a project folder or an entry .ts file")
    .option("--args <hex>", "main's args as 0x-hex", hexArg)
    .option(
      "--call <call>",
      'a Call: "method arg…" by the interface, or 0x hex (repeatable, in order)',
      (v: string) => {
        steps.push({ call: v });
        return v;
      },
    )
    .option("--service <n>", "resume main n times (repeatable, in order)", (v: string) => {
      steps.push({ service: countArg(v) });
      return v;
    })
    .option("--gas <n>", "gas per agenda item", (v: string) => {
      if (!/^\d+$/.test(v)) throw new InvalidArgumentError(`expected a gas amount, got ${v}`);
      return BigInt(v);
    })
    .option("--trace", "print the call tree: entries, nested call_actors, host calls, gas per frame")
    .option("--json", "print {outputs, results, logs, gasUsed, imageHash, trace?} as JSON", false)
    .addHelpText(
      "after",
      '\nExamples:\n  $ coreplay play examples/counter --call increment --call get\n  $ coreplay play counter.cpl --service 1 --call "add 5" --json\n  $ coreplay play c.cpl --call 0x01 --json\n',
    )
    .action(
      async (target: string, opts: { args?: Uint8Array; gas?: bigint; json: boolean; trace?: boolean }) => {
        installInstrumentCache();
        try {
          const { blob } = await loadProgramFile(target, false);
          const iface = interfaceFromJson(decodeExact(ProgramBlob, blob, "program blob").metadata.interface);
          const methods: Array<MethodDef | undefined> = [];
          const agenda: AgendaStep[] = (steps.length > 0 ? steps : [{ service: 1 }]).map((s) => {
            if ("service" in s) return s;
            const c = callOf(iface, s.call);
            methods.push(c.method);
            return { call: c.input };
          });
          const tracer = opts.trace ? createTracer() : undefined;
          const engine = tracer?.engine(createWasmEngine());
          const report = runAgenda(blob, agenda, {
            args: opts.args,
            gas: opts.gas,
            ...(engine ? { engine } : {}),
          });
          const results = report.outputs.map((o, i) => decodeOutput(iface, methods[i], o));
          if (results.some((r) => !r.ok)) process.exitCode = 1;
          if (opts.json) {
            const json = results.map((r) =>
              r.ok ? { ok: true, value: toJsonValue(r.value), output: r.output } : r,
            );
            process.stdout.write(
              `${JSON.stringify({ ...report, results: json, ...(tracer ? { trace: tracer.roots } : {}) })}\n`,
            );
            return;
          }
          for (const line of report.logs) process.stdout.write(`log     ${line}\n`);
          results.forEach((r, i) => {
            const name = methods[i]?.name ?? "call";
            process.stdout.write(
              r.ok
                ? `output  #${i} ${name} → ${show(r.value)}\n`
                : `failed  #${i} ${name}: (${r.error}) ${r.message}\n`,
            );
          });
          process.stdout.write(`gas     ${report.gasUsed}\nimage   ${report.imageHash}\n`);
          if (tracer)
            process.stdout.write(`trace\n${renderTrace(tracer.roots, methodName(tracer.interfaces))}\n`);
        } catch (e) {
          reportError(e, opts.json);
          process.exitCode = 1;
        }
      },
    );
}
