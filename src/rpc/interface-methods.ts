/**
 * RPC methods that use an actor's interface on the node's side, for clients without a SCALE codec of
 * their own (the dashboard's call form): `actor_v1_encodeCall(actor, method, args)` → the call input,
 * `actor_v1_decodeResult(actor, method, { ok, output, error })` → the decoded value or reason.
 */
import { toHex } from "../codec/bytes.ts";
import {
  type ActorInterface,
  decodeResult,
  encodeCallText,
  findMethod,
  InterfaceError,
  type MethodDef,
  toJsonValue,
} from "../iface/index.ts";
import { invalidParams, unknownActor } from "./errors.ts";
import type { Params } from "./params.ts";
import type { MethodTable } from "./server.ts";
import type { NodeApi } from "./types.ts";

/** The actor's method by name or byte; a missing interface or method is an invalid-params error. */
function method(api: NodeApi, p: Params): { iface: ActorInterface; m: MethodDef } {
  const id = p.actor(0);
  const iface = api.actorInterface?.(id);
  if (iface === undefined) throw unknownActor(id);
  if (iface === null) throw invalidParams(`actor ${id} declares no interface: call it with hex input`);
  const name = p.raw(1);
  if (typeof name !== "string") throw invalidParams("param 1 (method) must be a string");
  try {
    return { iface, m: findMethod(iface, name) };
  } catch (e) {
    throw invalidParams(`${(e as InterfaceError).shortMessage}; ${(e as InterfaceError).details ?? ""}`);
  }
}

/**
 * @example createMethods(api, { ...createDashboardMethods(node), ...createInterfaceMethods(api) })
 */
export function createInterfaceMethods(api: NodeApi): MethodTable {
  return {
    actor_v1_encodeCall: (p) => {
      p.atMost(3);
      const { iface, m } = method(api, p);
      const args = p.optional(2) ? [] : p.raw(2);
      if (!Array.isArray(args) || args.some((a) => typeof a !== "string")) {
        throw invalidParams("param 2 (args) must be an array of strings, as on the command line");
      }
      try {
        return { input: toHex(encodeCallText(iface, m, args as string[])), method: m.name };
      } catch (e) {
        if (e instanceof InterfaceError) throw invalidParams(`${e.shortMessage}: ${e.details ?? ""}`);
        throw e;
      }
    },
    actor_v1_trace: (p) => {
      p.atMost(2);
      const id = p.actor(0);
      if (!api.traceCall) throw invalidParams("this node does not trace calls");
      return api.traceCall(id, p.bytes(1, "data"));
    },
    actor_v1_decodeResult: (p) => {
      p.atMost(3);
      const { iface, m } = method(api, p);
      const r = p.options(2, "result") as { ok?: boolean; output?: string; error?: string };
      try {
        const d = decodeResult(iface, m, r);
        return d.ok ? { ...d, value: toJsonValue(d.value) } : d;
      } catch (e) {
        if (e instanceof InterfaceError) throw invalidParams(`${e.shortMessage}: ${e.details ?? ""}`);
        throw e;
      }
    },
  };
}
