/**
 * Harness actors by interface: deploy a program and call its methods by name with typed arguments, the
 * reply decoded by the interface its source declares (what `coreplay call counter add 5` does on a node).
 */
import { toHex as hex } from "../codec/bytes.ts";
import type { ActorId } from "../codec/ids.ts";
import { decodeExact, ProgramBlob } from "../codec/types.ts";
import { CoreplayError } from "../errors.ts";
import {
  type ActorInterface,
  type DecodedResult,
  decodeResult,
  encodeCall,
  findMethod,
  interfaceFromJson,
  type Value,
} from "../iface/index.ts";
import type { DeployOptions, Harness } from "./index.ts";

/** A call by name failed: `error` is the CallError's tag, `message` the decoded reason. */
export class ActorCallError extends CoreplayError {
  override name = "ActorCallError";
  readonly error: string;
  constructor(method: string, r: Extract<DecodedResult, { ok: false }>) {
    super(`${method} failed: ${r.message}`, {
      code: `CALL_${r.error.toUpperCase()}`,
      details: `Err(${r.error}) ${r.output}`,
    });
    this.error = r.error;
  }
}

export interface HarnessActor {
  readonly id: ActorId;
  /** The interface from the program's metadata (undefined when its source declares none). */
  readonly interface: ActorInterface | undefined;
  /** Calls `method` (a name, or a byte for programs without an interface) with typed arguments. */
  call(method: string, ...args: unknown[]): DecodedResult & { gasUsed: bigint };
  /** Like {@link call}, but returns the decoded value and throws {@link ActorCallError} on failure. */
  value(method: string, ...args: unknown[]): Value;
}

/**
 * Deploys `blob` into `h` and returns it as a {@link HarnessActor}.
 *
 * @example
 * const counter = deployActor(h, blob);
 * counter.value("add", 5n); // 5n
 * counter.call("add", 0n); // { ok: false, error: "Actor", message: "n must be positive", … }
 */
export function deployActor(
  h: Harness,
  blob: Uint8Array,
  args?: Uint8Array,
  options?: DeployOptions,
): HarnessActor {
  const iface = interfaceFromJson(decodeExact(ProgramBlob, blob, "program blob").metadata.interface);
  const id = h.deploy(blob, args, options);
  const call = (method: string, ...a: unknown[]) => {
    const m = iface ? findMethod(iface, method) : undefined;
    const input =
      m && iface
        ? encodeCall(iface, m, a)
        : Uint8Array.of(Number(method), ...((a[0] as Uint8Array | undefined) ?? []));
    const r = h.callDetailed(id, input);
    const out = r.output;
    const raw = out.success
      ? { ok: true, output: hex(out.value) }
      : { ok: false, error: out.value.tag, output: out.value.tag === "Actor" ? hex(out.value.value) : "0x" };
    return { ...decodeResult(iface, m, raw), gasUsed: r.gasUsed };
  };
  return {
    id,
    interface: iface,
    call,
    value(method, ...a) {
      const r = call(method, ...a);
      if (!r.ok) throw new ActorCallError(method, r);
      return r.value;
    },
  };
}
