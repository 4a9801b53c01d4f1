/**
 * Actor interfaces (`coreplay/interface`): declared in the actor's source, parsed at build, carried in
 * the program metadata; here the calls are encoded and the replies decoded by them. Pure.
 */
import { fromHex, toHex } from "../codec/bytes.ts";
import { InterfaceError } from "./errors.ts";
import { decodeValue, encodeValue, parseArg, typeText, type Value } from "./scale.ts";
import type { ActorInterface, MethodDef } from "./types.ts";

export { InterfaceError, type InterfaceErrorCode } from "./errors.ts";
export {
  interfaceFromJson,
  interfaceFromSource,
  makeInterface,
  parseMethod,
  parseTypeDecl,
} from "./parse.ts";
export { decodeValue, encodeValue, parseArg, toJsonValue, typeText, type Value } from "./scale.ts";
export type * from "./types.ts";

/** A method by name or by its byte (`"add"`, `"1"`, `"0x01"`). Throws {@link InterfaceError}. */
export function findMethod(iface: ActorInterface, nameOrId: string): MethodDef {
  const byId = /^(0x[0-9a-fA-F]{1,2}|\d{1,3})$/.test(nameOrId) ? Number(nameOrId) : undefined;
  const m = iface.methods.find((x) => x.name === nameOrId || x.id === byId);
  if (!m) {
    throw new InterfaceError(
      `No method ${nameOrId}`,
      "IFACE_UNKNOWN_METHOD",
      `methods: ${iface.methods.map(signature).join("; ") || "none"}`,
    );
  }
  return m;
}

/** `add(n: u64) -> u64` */
export const signature = (m: MethodDef): string =>
  `${m.name}(${m.args.map((a) => `${a.name}: ${typeText(a.type)}`).join(", ")})${m.returns === null ? "" : ` -> ${typeText(m.returns)}`}`;

/**
 * The call input for `method(args)`: its byte, then each argument SCALE-encoded. Throws
 * {@link InterfaceError} on a wrong number of arguments or a value that does not fit.
 *
 * @example encodeCall(iface, findMethod(iface, "add"), [5n]) // 0x010500000000000000
 */
export function encodeCall(iface: ActorInterface, method: MethodDef, args: readonly unknown[]): Uint8Array {
  if (args.length !== method.args.length) {
    throw new InterfaceError(
      `${method.name} takes ${method.args.length} argument(s), got ${args.length}`,
      "IFACE_BAD_VALUE",
      signature(method),
    );
  }
  const parts = method.args.map((a, i) => {
    try {
      return encodeValue(iface, a.type, args[i]);
    } catch (e) {
      const x = e as InterfaceError;
      throw new InterfaceError(`Argument ${a.name} of ${method.name}: ${x.shortMessage}`, x.code, x.details);
    }
  });
  return Uint8Array.from([method.id, ...parts.flatMap((p) => [...p])]);
}

/** {@link encodeCall} from command-line strings (see {@link parseArg}). */
export const encodeCallText = (
  iface: ActorInterface,
  method: MethodDef,
  args: readonly string[],
): Uint8Array =>
  encodeCall(
    iface,
    method,
    args.map((a, i) => (method.args[i] ? parseArg(method.args[i]!.type, a) : a)),
  );

/** A call's result read through the interface: the reply decoded, or the failure in words. */
export type DecodedResult =
  | { ok: true; value: Value; output: `0x${string}` }
  | { ok: false; error: string; message: string; output: `0x${string}` };

const TRAP_TEXT: Record<string, string> = {
  OutOfGas: "the call ran out of gas",
  Trap: "the actor trapped (a runtime error: bad input, an abort, out of bounds)",
  YieldInCall: "the actor yielded inside a call",
  Reentry: "the call re-entered an actor already on the call stack",
  NotCoscheduled: "the callee was not co-scheduled",
};

/** Actor error bytes as text when they are UTF-8 (what the SDK's `ctx.fail` sends), else hex. */
export function actorErrorText(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return toHex(bytes);
  }
}

/**
 * Reads a call's `{ ok, output, error }` (a receipt or a query) through the method's declared result;
 * without a method the reply stays raw bytes.
 *
 * @example decodeResult(iface, add, { ok: false, output: "0x6e3d30", error: "Actor" }) // { ok: false, error: "Actor", message: "n=0", … }
 */
export function decodeResult(
  iface: ActorInterface | undefined,
  method: MethodDef | undefined,
  r: { ok?: boolean; output?: string; error?: string },
): DecodedResult {
  const output = (r.output ?? "0x") as `0x${string}`;
  if (r.ok) {
    const bytes = fromHex(output);
    if (!iface || !method) return { ok: true, value: bytes, output };
    return {
      ok: true,
      value: method.returns === null ? null : decodeValue(iface, method.returns, bytes),
      output,
    };
  }
  const error = r.error ?? "Unknown";
  const message = error === "Actor" ? actorErrorText(fromHex(output)) : (TRAP_TEXT[error] ?? error);
  return { ok: false, error, message, output };
}

export { generateClient } from "./client-gen.ts";
