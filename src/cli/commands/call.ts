/**
 * `coreplay call <actor> <method> [args…]`: queue a user call (an agenda `Call`), by method name through
 * the actor's interface or as 0x hex, and with `--wait` print its canonical result, decoded; a failed
 * call (actor error, trap, out of gas, dropped) exits 1 with its reason.
 */
import type { Command } from "commander";
import { toHex } from "../../codec/bytes.ts";
import type { Client } from "../../rpc/client.ts";
import { renderTrace, type TraceFrame } from "../../trace/index.ts";
import { callInput, printResult, receiptResult, resolveActor } from "../actor-call.ts";
import { methodName } from "../trace-names.ts";
import { clientFor, examples, output, progress, run, withCommon } from "../util.ts";

interface Options {
  url: string;
  json?: boolean;
  wait?: boolean;
  timeout: string;
  data?: string;
  trace?: boolean;
}

/** The call's tree from a dry run on the node (actor_v1_trace); printed on stderr for a person. */
async function traced(
  client: Client,
  actor: number,
  input: Uint8Array,
  json: boolean,
): Promise<TraceFrame[]> {
  const t = await client.request<{ trace: TraceFrame[]; interfaces: Record<string, string> }>(
    "actor_v1_trace",
    [actor, toHex(input)],
  );
  if (!json) {
    const name = methodName(new Map(Object.entries(t.interfaces).map(([k, v]) => [Number(k), v])));
    progress(`trace (a dry run on the current state; nothing recorded)\n${renderTrace(t.trace, name)}`);
  }
  return t.trace;
}

export function register(program: Command): void {
  const cmd = program
    .command("call")
    .description("call an actor: queued as a transaction, run by a collator, result once canonicalised")
    .argument("<actor>", "actor id, or the name of its program")
    .argument("[method]", "method name (by the actor's interface), or the whole input as 0x hex")
    .argument(
      "[args...]",
      "arguments: integers, true/false, 0x bytes, strings, JSON for vectors/structs/enums",
    )
    .option("--data <input>", "the call input from a file (@file, 0x hex or raw bytes), stdin (-) or 0x hex")
    .option("--wait", "wait until the call is canonicalised and print its result")
    .option("--trace", "first run the call on a copy of the actor's state and print its call tree")
    .option("--timeout <ms>", "how long --wait waits", "60000");
  withCommon(cmd);
  examples(cmd, [
    "coreplay call counter increment --wait",
    "coreplay call 3 add 5 --wait --json",
    "coreplay call 0 0x00 --wait",
    "coreplay call 2 --data @input.hex --wait",
  ]);
  cmd.action(
    run(async (a: string, method: string | undefined, args: string[], o: Options) => {
      const client = clientFor(o);
      const actor = await resolveActor(client, a);
      const c = await callInput(client, actor, method, args, o.data);
      const trace = o.trace ? await traced(client, actor, c.input, !!o.json) : undefined;
      const extra = trace ? { trace } : {};
      if (!o.wait) {
        const { callId } = await client.actor.call(actor, c.input);
        output(
          o,
          { callId, ...extra },
          () => `queued call ${callId}\n(see its result with: coreplay call --wait, or actor_v1_receipt)`,
        );
        return;
      }
      if (!o.json) progress(`calling actor ${actor} and waiting for canonicalisation ...`);
      const r = await client.actor.callAndWait(actor, c.input, Number(o.timeout) || 60_000);
      printResult(o, receiptResult(c, r), { callId: r.callId, block: r.block, pov: r.pov, ...extra });
    }),
  );
}
