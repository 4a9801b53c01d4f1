/**
 * `actor_v1_trace`: a call run as `actor_v1_query` runs it (a throw-away play on the actor's current
 * image, nothing recorded), with the tracer engine, so the CLI can show its call tree.
 */
import type { ActorId } from "../codec/ids.ts";
import { buildPov } from "../pov/build.ts";
import { RPC_ERROR, RpcError, unknownActor } from "../rpc/errors.ts";
import { createTracer, type TraceFrame } from "../trace/index.ts";
import { decodeCallOutput } from "./api.ts";
import type { CoreplayNode } from "./node.ts";

export interface TracedCall {
  result: ReturnType<typeof decodeCallOutput>;
  trace: TraceFrame[];
  /** Interfaces (metadata JSON) of the actors that ran, to name methods. */
  interfaces: Record<string, string>;
}

/**
 * @example const { result, trace } = traceCall(node, 2, Uint8Array.of(1));
 */
export function traceCall(node: CoreplayNode, actor: number, data: Uint8Array): TracedCall {
  const { chain } = node;
  const id = actor as ActorId;
  const pre = chain.slab(id);
  if (!chain.actor(id) || !pre) throw unknownActor(actor);
  const now = chain.head().number + 1;
  const view = chain.relayView([id], { now });
  const tracer = createTracer();
  try {
    const built = buildPov({
      view,
      slabs: [{ actor: id, pre }],
      // A play serves every actor in it once (the validity rules), after the call, as actor_v1_query does.
      agenda: [
        { actor: id, entry: { tag: "Call", value: { input: data } } },
        { actor: id, entry: { tag: "Service", value: { times: 1 } } },
      ],
      engine: tracer.engine(node.engine),
      codes: chain.codeSource,
    });
    return {
      result: decodeCallOutput(built.effects.calls[0]!.output),
      trace: tracer.roots.filter((f) => f.entry === "call"),
      interfaces: Object.fromEntries([...tracer.interfaces].map(([k, v]) => [String(k), v])),
    };
  } catch (e) {
    throw new RpcError(RPC_ERROR.Rejected, "Trace failed", {
      code: "TRACE_FAILED",
      details: (e as Error).message,
    });
  }
}
