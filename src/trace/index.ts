/**
 * Call traces (`coreplay call --trace`, `coreplay play --trace`): an {@link Engine} decorator that
 * records the tree of a play: each entry (Call or Service) as a frame with its actor, input, gas used
 * and result, and inside it, in order, the host calls it made (postcards sent, logs — an SDK abort logs
 * where it trapped —, disk, transfers) and the nested `call_actor` frames. Tooling only: it changes
 * nothing an entry does or costs, and is never used by consensus code.
 */
import { toHex } from "../codec/bytes.ts";
import type { ActorId } from "../codec/ids.ts";
import type { ActorInstance, CallOutcome, Engine, HostEnv, Program, ServiceOutcome } from "../vm/engine.ts";

export interface HostEvent {
  host: string;
  args: string;
  result: string;
}

export interface TraceFrame {
  actor: number;
  entry: "call" | "service";
  /** The calling actor; null for an agenda item. */
  origin: number | null;
  input: `0x${string}`;
  gasUsed: string;
  /** `ok`, a CallError tag (`Actor`, `Trap`, `OutOfGas`…) or a Service status (`yielded`, `trapped`…). */
  result: string;
  /** The reply, or an Actor error's bytes. */
  output?: `0x${string}`;
  /** Why a Service trapped (the engine's words). */
  reason?: string;
  events: Array<HostEvent | { frame: TraceFrame }>;
}

export interface Tracer {
  /** Wraps `engine` so that every program it loads records into this tracer. */
  engine(inner: Engine): Engine;
  /** The top-level frames, in order. */
  readonly roots: TraceFrame[];
  /** Interfaces (metadata JSON) of the programs loaded, by actor that ran them. */
  readonly interfaces: Map<number, string>;
}

const short = (b: Uint8Array): string =>
  b.length > 32 ? `${toHex(b.subarray(0, 32))}… (${b.length} bytes)` : toHex(b);

function arg(v: unknown): string {
  if (v instanceof Uint8Array) return short(v);
  if (typeof v === "bigint") return v.toString();
  if (v === undefined) return "";
  if (typeof v === "object" && v !== null && "code" in v) {
    const r = v as { code: number; hash?: Uint8Array };
    return r.hash ? `${r.code} ${short(r.hash)}` : String(r.code);
  }
  if (typeof v === "object" && v !== null && "data" in v)
    return `postcard ${short((v as { data: Uint8Array }).data)}`;
  return typeof v === "string" ? JSON.stringify(v) : String(v);
}

/**
 * A fresh tracer.
 *
 * @example
 * const t = createTracer();
 * const h = createHarness({ engine: t.engine(createWasmEngine()) });
 * // … h.call(…) …
 * console.log(renderTrace(t.roots));
 */
export function createTracer(): Tracer {
  const roots: TraceFrame[] = [];
  const stack: TraceFrame[] = [];
  const interfaces = new Map<number, string>();
  const emit = (e: HostEvent | { frame: TraceFrame }) => {
    const top = stack.at(-1);
    if (top) top.events.push(e);
    else if ("frame" in e) roots.push(e.frame);
  };

  const traceHost = (host: HostEnv): HostEnv =>
    new Proxy(host, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== "function" || prop === "coscheduled") return v;
        const name = String(prop);
        return (...args: unknown[]) => {
          const top = stack.at(-1);
          const before = top?.events.length ?? 0;
          const r = (v as (...a: unknown[]) => unknown).apply(target, args);
          // A call_actor that reached the callee left its frame already; record only refusals.
          if (name === "callActor") {
            const o = r as CallOutcome;
            if ((top?.events.length ?? 0) === before)
              emit({
                host: "call_actor",
                args: `${args[0]}, ${arg(args[1])}`,
                result: o.output.success ? "ok" : o.output.value.tag,
              });
            return r;
          }
          emit({ host: name, args: args.map(arg).join(", "), result: arg(r) });
          return r;
        };
      },
    });

  const traceInstance = (inst: ActorInstance): ActorInstance =>
    new Proxy(inst, {
      get(target, prop) {
        if (prop === "call") {
          return (origin: ActorId | null, input: Uint8Array, gas: bigint): CallOutcome => {
            const frame: TraceFrame = {
              actor: target.actor,
              entry: "call",
              origin,
              input: toHex(input),
              gasUsed: "0",
              result: "",
              events: [],
            };
            emit({ frame });
            stack.push(frame);
            try {
              const o = target.call(origin, input, gas);
              frame.gasUsed = o.gasUsed.toString();
              if (o.output.success) {
                frame.result = "ok";
                frame.output = toHex(o.output.value);
              } else {
                frame.result = o.output.value.tag;
                if (o.output.value.tag === "Actor") frame.output = toHex(o.output.value.value);
              }
              return o;
            } finally {
              stack.pop();
            }
          };
        }
        if (prop === "service") {
          return (gas: bigint): ServiceOutcome => {
            const frame: TraceFrame = {
              actor: target.actor,
              entry: "service",
              origin: null,
              input: "0x",
              gasUsed: "0",
              result: "",
              events: [],
            };
            emit({ frame });
            stack.push(frame);
            try {
              const o = target.service(gas);
              frame.gasUsed = o.gasUsed.toString();
              frame.result = o.status;
              if (o.reason !== undefined) frame.reason = o.reason;
              return o;
            } finally {
              stack.pop();
            }
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });

  const traceProgram = (p: Program): Program =>
    new Proxy(p, {
      get(target, prop) {
        if (prop === "instantiate") {
          return (actor: ActorId, image: Parameters<Program["instantiate"]>[1], host: HostEnv) => {
            interfaces.set(actor, target.metadata.interface);
            return traceInstance(target.instantiate(actor, image, traceHost(host)));
          };
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });

  return {
    engine: (inner) => ({ format: inner.format, load: (blob) => traceProgram(inner.load(blob)) }),
    roots,
    interfaces,
  };
}

/**
 * The trace as an indented tree, one line per frame and host call. `name(actor, input)` may give a
 * method's name for an input (through the actor's interface).
 */
export function renderTrace(
  frames: readonly TraceFrame[],
  name?: (actor: number, input: string) => string | undefined,
): string {
  const lines: string[] = [];
  const walk = (f: TraceFrame, pad: string) => {
    const what = f.entry === "service" ? "service" : `call ${name?.(f.actor, f.input) ?? f.input}`;
    const from = f.origin === null ? "" : ` from ${f.origin}`;
    const out = f.output ? ` ${f.output}` : "";
    const why = f.reason ? ` (${f.reason})` : "";
    lines.push(`${pad}actor ${f.actor} ${what}${from}  gas ${f.gasUsed}  → ${f.result}${out}${why}`);
    for (const e of f.events) {
      if ("frame" in e) walk(e.frame, `${pad}  `);
      else lines.push(`${pad}  · ${e.host}(${e.args})${e.result === "" ? "" : ` → ${e.result}`}`);
    }
  };
  for (const f of frames) walk(f, "");
  return lines.join("\n");
}
