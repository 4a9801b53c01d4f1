/**
 * A node's actor bound to its interface: `await counter.add(5n)` encodes the arguments, submits the
 * call, waits for its canonical result and decodes it (what `coreplay client` generates bindings for).
 */
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
import { type Client, createClient } from "./client.ts";

/** A call through a binding failed: `error` is the CallError tag (or `Dropped`), `message` the reason. */
export class ActorCallFailed extends CoreplayError {
  override name = "ActorCallFailed";
  readonly error: string;
  readonly output: string;
  constructor(method: string, r: Extract<DecodedResult, { ok: false }>) {
    super(`${method} failed: ${r.message}`, {
      code: `CALL_${r.error.toUpperCase()}`,
      details: `Err(${r.error}) ${r.output}`,
    });
    this.error = r.error;
    this.output = r.output;
  }
}

export interface BoundActor {
  readonly client: Client;
  readonly actor: number;
  readonly interface: ActorInterface;
  /** Submits `method(args)` as a call and resolves with its decoded canonical result. */
  call(method: string, args: readonly unknown[], opts?: { timeoutMs?: number }): Promise<DecodedResult>;
  /** Runs `method(args)` on a throw-away copy of the actor (nothing is recorded). */
  query(method: string, args: readonly unknown[]): Promise<DecodedResult>;
}

/** Reads an actor's interface from the node (`actor_v1_interface`); `undefined` when it declares none. */
export async function fetchInterface(client: Client, actor: number): Promise<ActorInterface | undefined> {
  const v = await client.request<ActorInterface | null>("actor_v1_interface", [actor]);
  return v === null ? undefined : interfaceFromJson(JSON.stringify(v));
}

/**
 * Binds an actor to an interface.
 *
 * @example
 * const counter = bindActor("http://127.0.0.1:9944", 2, iface);
 * const r = await counter.call("add", [5n]); // { ok: true, value: 5n, output: "0x05…" }
 */
export function bindActor(client: Client | string, actor: number, iface: ActorInterface): BoundActor {
  const c = typeof client === "string" ? createClient(client) : client;
  return {
    client: c,
    actor,
    interface: iface,
    async call(method, args, opts = {}) {
      const m = findMethod(iface, method);
      const r = await c.actor.callAndWait(actor, encodeCall(iface, m, args), opts.timeoutMs);
      if (r.status === "dropped")
        return { ok: false, error: "Dropped", message: "the call was dropped", output: "0x" };
      return decodeResult(iface, m, r);
    },
    async query(method, args) {
      const m = findMethod(iface, method);
      return decodeResult(iface, m, await c.actor.query(actor, encodeCall(iface, m, args)));
    },
  };
}

/** The decoded value of a result (typed as the caller knows it, e.g. by a generated binding), or {@link ActorCallFailed}. */
export function resultValue<T = Value>(method: string, r: DecodedResult): T {
  if (!r.ok) throw new ActorCallFailed(method, r);
  return r.value as T;
}
