/**
 * What `call`, `query` and `tx` share: an actor by id or name, the call input by method name and
 * arguments (through the actor's interface), as hex, or from `--data @file` / `--data -`, and the
 * result printed honestly: decoded, and a failed call exits 1 with its reason.
 */
import { readFileSync } from "node:fs";
import { fromHex, toHex } from "../codec/bytes.ts";
import {
  type ActorInterface,
  type DecodedResult,
  decodeResult,
  encodeCallText,
  findMethod,
  type MethodDef,
  signature,
  toJsonValue,
} from "../iface/index.ts";
import { fetchInterface } from "../rpc/actor-binding.ts";
import type { Client } from "../rpc/client.ts";
import type { ReceiptJson } from "../rpc/types.ts";
import { CliError, output, parseActor } from "./util.ts";

/** An actor id, or the name of the one actor running a program of that name. */
export async function resolveActor(client: Client, ref: string): Promise<number> {
  if (/^\d+$/.test(ref)) return parseActor(ref);
  const all = await client.actor.list();
  const hits = all.filter((a) => a.name === ref);
  if (hits.length === 1) return hits[0]!.id;
  const names = [...new Set(all.map((a) => a.name).filter((n) => n !== ""))];
  throw new CliError(hits.length === 0 ? `No actor named ${ref}` : `${hits.length} actors are named ${ref}`, {
    code: hits.length === 0 ? "CLI_UNKNOWN_ACTOR" : "CLI_AMBIGUOUS_ACTOR",
    details:
      hits.length === 0
        ? `names on this node: ${names.join(", ") || "none"}`
        : `ids: ${hits.map((a) => a.id).join(", ")}`,
    hint: hits.length === 0 ? "list actors with `coreplay actor --all`" : "pass the id instead of the name",
  });
}

/** Bytes from `--data`: `@file` (0x hex text or raw bytes), `-` (stdin, the same), or 0x hex. */
export function readData(spec: string): Uint8Array {
  let raw: Buffer;
  if (spec === "-") raw = readFileSync(0);
  else if (spec.startsWith("@")) {
    try {
      raw = readFileSync(spec.slice(1));
    } catch (e) {
      throw new CliError("Cannot read --data file", {
        code: "CLI_BAD_DATA",
        details: (e as Error).message,
        hint: "pass --data @path/to/file, --data - (stdin) or --data 0x…",
      });
    }
  } else raw = Buffer.from(spec, "utf8");
  const text = raw.toString("utf8").trim();
  if (/^0x([0-9a-fA-F]{2})*$/.test(text)) return fromHex(text);
  if (spec !== "-" && !spec.startsWith("@")) {
    throw new CliError("Invalid --data", {
      code: "CLI_BAD_HEX",
      details: JSON.stringify(spec.slice(0, 80)),
      hint: "pass 0x hex, @file or - (stdin)",
    });
  }
  return new Uint8Array(raw);
}

export interface CallInput {
  input: Uint8Array;
  iface: ActorInterface | undefined;
  method: MethodDef | undefined;
}

/**
 * The call input: `--data`, or `<method> [args…]` through the interface, or a lone 0x hex argument.
 * Throws {@link CliError} / InterfaceError saying what is expected.
 */
export async function callInput(
  client: Client,
  actor: number,
  method: string | undefined,
  args: string[],
  data: string | undefined,
): Promise<CallInput> {
  const iface = await fetchInterface(client, actor);
  if (data !== undefined) {
    const m = method !== undefined && iface ? findMethod(iface, method) : undefined;
    return { input: readData(data), iface, method: m };
  }
  if (method === undefined) {
    throw new CliError("What to call?", {
      code: "CLI_MISSING_ARGS",
      details: iface
        ? `methods: ${iface.methods.map(signature).join("; ")}`
        : "this actor declares no interface",
      hint: "pass <method> [args…], the input as 0x hex, or --data @file",
    });
  }
  if (/^0x([0-9a-fA-F]{2})*$/.test(method) && (args.length === 0 || !iface)) {
    const input = fromHex(method);
    const m = iface && input.length > 0 ? iface.methods.find((x) => x.id === input[0]) : undefined;
    return { input, iface, method: m };
  }
  if (!iface) {
    throw new CliError(`Actor ${actor} declares no interface`, {
      code: "CLI_NO_INTERFACE",
      details: `cannot call ${method} by name`,
      hint: "pass the call input as 0x hex (method byte + SCALE arguments), or rebuild the actor with declared methods",
    });
  }
  const m = findMethod(iface, method);
  return { input: encodeCallText(iface, m, args), iface, method: m };
}

/** A receipt (or query answer) read through the interface; a dropped call is a failure too. */
export function receiptResult(c: CallInput, r: Partial<ReceiptJson> & { ok?: boolean }): DecodedResult {
  if (r.status === "dropped")
    return { ok: false, error: "Dropped", message: "the call was dropped before it ran", output: "0x" };
  return decodeResult(c.iface, c.method, r);
}

/** How a decoded value reads for a person: JSON with bigints as plain numbers. */
export const show = (v: unknown): string =>
  (
    JSON.stringify(v, (_, x) =>
      typeof x === "bigint" ? `${x}#n` : x instanceof Uint8Array ? toHex(x) : x,
    ) ?? "null"
  ).replace(/"(-?\d+)#n"/g, "$1");

/**
 * Prints a call's result: `{"ok": true, "value", "output", …}` or, exiting 1,
 * `{"ok": false, "error", "message", "output", …}`.
 */
export function printResult(o: { json?: boolean }, r: DecodedResult, extra: Record<string, unknown>): void {
  const where = extra.block !== undefined ? ` (block ${extra.block})` : "";
  if (r.ok) {
    output(
      o,
      { ok: true, value: toJsonValue(r.value), output: r.output, ...extra },
      () => `ok ${show(r.value)}${where}`,
    );
  } else {
    output(
      o,
      { ok: false, error: r.error, message: r.message, output: r.output, ...extra },
      () => `failed (${r.error}): ${r.message}${where}`,
    );
    process.exitCode = 1;
  }
}
