// Entry-point helpers (DESIGN §5): a method-dispatching `call`, replies and errors, inspectors.
import { Reader, Writer } from "./codec";
import { input, reply } from "./host";

/** `call` returns 0 for Ok(reply) and 1 for Err(Actor(reply)) (src/vm/abi.ts CALL_RETURN). */
export const CALL_OK: i32 = 0;
export const CALL_ERR: i32 = 1;

/** Everything a method handler needs: who called, the decoded arguments, and the reply being built. */
export class CallContext {
  /** The calling actor's id, or -1 for an agenda `Call` (a user's transaction). */
  origin: i64;
  method: u8;
  /** The arguments after the method byte. */
  args: Reader;
  /** The reply; sent as Ok(bytes) unless {@link fail} was called. */
  out: Writer = new Writer();
  failed: bool = false;
  error: string = "";

  constructor(origin: i64, method: u8, args: Reader) {
    this.origin = origin;
    this.method = method;
    this.args = args;
  }

  /** True when another actor made this call (through `callActor`). */
  get fromActor(): bool {
    return this.origin >= 0;
  }

  /** The calling actor (check {@link fromActor} first). */
  get caller(): u32 {
    return <u32>this.origin;
  }

  /**
   * Ends the call with Err(Actor(message)) once the handler returns. A failed call is undone whole:
   * the image (every write the handler made, before or after `fail`) and its host effects (postcards,
   * transfers, disk) roll back to before the call.
   */
  fail(message: string): void {
    this.failed = true;
    this.error = message;
  }
}

export type Handler = (ctx: CallContext) => void;

/**
 * A method table for `call`: the first input byte picks the handler, the rest are its SCALE arguments.
 * The optional signature declares the method's interface (name, typed arguments, result): `coreplay
 * build` reads these string literals from the source into the program's metadata, so the CLI, the
 * harness, the dashboard and generated clients call it by name (sdk/README.md "Interfaces").
 *
 * @example
 * const methods = new Methods()
 *   .type("struct Totals { total: u64, ticks: u32 }")
 *   .on(0x00, get, "get() -> Totals")
 *   .on(0x01, add, "add(n: u64) -> u64");
 * export function call(origin: i64): i32 { return methods.dispatch(origin); }
 */
export class Methods {
  private handlers: Map<u8, Handler> = new Map<u8, Handler>();

  /** `signature`: `"name(arg: type, …) -> type"`; read at build time, not at run time. */
  on(method: u8, handler: Handler, signature: string = ""): Methods {
    this.handlers.set(method, handler);
    return this;
  }

  /** Declares a struct or enum the signatures use: `"struct P { x: u32 }"`, `"enum E { A, B(u64) }"`. */
  type(declaration: string): Methods {
    return this;
  }

  /** Reads the input, runs the handler, replies. Unknown or empty input fails with an actor error. */
  dispatch(origin: i64): i32 {
    const data = input();
    if (data.length == 0) return replyError("empty input: expected a method byte");
    const method = data[0];
    if (!this.handlers.has(method)) return replyError("unknown method " + method.toString());
    const ctx = new CallContext(origin, method, new Reader(data.subarray(1)));
    const handler = this.handlers.get(method);
    handler(ctx);
    if (ctx.failed) return replyError(ctx.error);
    // Trailing argument bytes mean the caller spoke another protocol: trap so the image rolls back.
    if (!ctx.args.done) abort("trailing bytes after the arguments of method " + method.toString());
    reply(ctx.out.finish());
    return CALL_OK;
  }
}

/** Replies Ok(bytes) from a hand-written `call`. */
export function replyOk(bytes: Uint8Array): i32 {
  reply(bytes);
  return CALL_OK;
}

/** Replies Err(Actor(message as UTF-8)) from a hand-written `call`. */
export function replyError(message: string): i32 {
  reply(Uint8Array.wrap(String.UTF8.encode(message)));
  return CALL_ERR;
}

/** Replies the result of `dependencies(now)`: the actor ids as consecutive u32 LE (src/vm/instance.ts). */
export function replyDependencies(ids: u32[]): void {
  const w = new Writer(ids.length * 4);
  for (let i = 0; i < ids.length; i++) w.u32(ids[i]);
  reply(w.finish());
}
