/**
 * A test double of the Engine contract (src/vm/engine.ts) whose actors are TypeScript step functions
 * over a key-value "memory". It keeps the contract's semantics — gas metering, rollback of the image on
 * a failed entry, `main` resumed step by step across yields, a deterministic image hash — so the pov
 * layer's rules can be tested exhaustively and fast. Real-Wasm tests (wasm.test.ts) cover the same rules
 * through `createWasmEngine()`.
 */
import type { ActorId, StateHash } from "../../src/codec/ids.ts";
import { type CallOutput, Struct, str, Tuple, u8, u32, Vector, VecU8 } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import type {
  ActorImage,
  ActorInstance,
  Engine,
  HostEnv,
  MainStatus,
  Program,
  ServiceOutcome,
} from "../../src/vm/engine.ts";

/** What a script actor sees: its memory, metered host calls, and `yieldNow()`. */
export interface Ctx {
  readonly mem: Map<string, Uint8Array>;
  readonly host: HostEnv;
  /** Burn gas; throws out-of-gas past the limit. */
  charge(gas: number): void;
  gasLeft(): bigint;
  /** In `call` this makes the call fail with YieldInCall; `main` yields between its steps. */
  yieldNow(): never;
  /** Host call wrapper: charges HOST_GAS then runs `f`. */
  h<T>(f: (host: HostEnv) => T): T;
  /** `host.callActor` with all the gas left, charging what the callee used. */
  callActor(callee: ActorId, data: Uint8Array): CallOutput;
}

export interface ScriptActor {
  /** Steps of main; after each step main yields, after the last it returns. */
  main?: Array<(ctx: Ctx, args: Uint8Array) => void>;
  call?: (ctx: Ctx, origin: ActorId | null, input: Uint8Array) => Uint8Array | { error: Uint8Array };
  payout?: (mem: ReadonlyMap<string, Uint8Array>, now: number) => bigint;
}

export const HOST_GAS = 10;
const ENTRY_GAS = 5n;

class OutOfGas extends Error {}
class Yield extends Error {}

const ImageCodec = Struct({
  program: str,
  status: u8,
  pc: u32,
  mem: Vector(Tuple(str, VecU8)),
});
const STATUSES: MainStatus[] = ["pending", "suspended", "ended", "failed"];

interface State {
  status: MainStatus;
  pc: number;
  mem: Map<string, Uint8Array>;
}

const cloneState = (s: State): State => ({ status: s.status, pc: s.pc, mem: new Map(s.mem) });

function imageOf(program: string, s: State): ActorImage {
  const bytes = ImageCodec.enc({
    program,
    status: STATUSES.indexOf(s.status),
    pc: s.pc,
    mem: [...s.mem.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)),
  });
  return {
    hash: blake2b256(bytes) as Uint8Array as StateHash,
    pageCount: 1,
    status: s.status,
    encode: () => bytes,
    encodeDelta: () => bytes,
  };
}

function stateOf(program: string, bytes: Uint8Array): State {
  // scale-ts's `.dec` reads a view from the start of its buffer: PoV fields arrive as views.
  const d = ImageCodec.dec(bytes.slice());
  if (
    d.program !== program ||
    !STATUSES[d.status] ||
    !Buffer.from(ImageCodec.enc(d)).equals(Buffer.from(bytes))
  ) {
    throw new Error("image of another program, or corrupt");
  }
  return { status: STATUSES[d.status] as MainStatus, pc: d.pc, mem: new Map(d.mem) };
}

/** A blob naming a script program. */
export const scriptBlob = (name: string): Uint8Array => new TextEncoder().encode(`script:${name}`);

export function createScriptEngine(programs: Record<string, ScriptActor>): Engine {
  return {
    format: "wasm",
    load(blob) {
      const text = new TextDecoder().decode(blob);
      const name = text.startsWith("script:") ? text.slice(7) : "";
      const def = programs[name];
      if (!def) throw new Error(`no script program ${JSON.stringify(text)}`);
      return scriptProgram(name, def);
    },
  };
}

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
};

function scriptProgram(name: string, def: ScriptActor): Program {
  const program: Program = {
    codeHash: blake2b256(scriptBlob(name)) as Uint8Array as Program["codeHash"],
    metadata: { name, preemptible: false, build: "script", interface: "" },
    createImage(args) {
      return imageOf(name, { status: "pending", pc: 0, mem: new Map([["args", args]]) });
    },
    decodeImage: (bytes) => imageOf(name, stateOf(name, bytes)),
    decodeImageAgainst: (_base, bytes) => imageOf(name, stateOf(name, bytes)),
    upgradeImage: (_actor, prev, carry) => ({
      ok: true,
      image: imageOf(name, { status: "pending", pc: 0, mem: new Map([["upgrade", concat(prev, carry)]]) }),
      gasUsed: 0n,
    }),
    instantiate(actor, image, host) {
      let committed = stateOf(name, image.encode());
      let yielded: { work: State; used: () => bigint } | undefined;
      let spent = (): bigint => 0n;
      const run = <T>(gas: bigint, inCall: boolean, body: (ctx: Ctx) => T) => {
        let left = gas;
        spent = () => gas - left;
        const charge = (n: number | bigint) => {
          const c = BigInt(n);
          if (c > left) {
            left = 0n;
            throw new OutOfGas();
          }
          left -= c;
        };
        const work = cloneState(committed);
        yielded = inCall ? undefined : { work, used: () => gas - left };
        const ctx: Ctx = {
          mem: work.mem,
          host,
          charge,
          gasLeft: () => left,
          yieldNow() {
            throw new Yield(inCall ? "yield in call" : "yield");
          },
          h(f) {
            charge(HOST_GAS);
            return f(host);
          },
          callActor(callee, data) {
            charge(HOST_GAS);
            const r = host.callActor(callee, data, left);
            charge(r.gasUsed);
            return r.output;
          },
        };
        charge(ENTRY_GAS);
        const value = body(ctx);
        return { value, work, used: gas - left };
      };
      const instance: ActorInstance = {
        actor,
        get pages() {
          return 1;
        },
        get status() {
          return committed.status;
        },
        service(gas): ServiceOutcome {
          const steps = def.main ?? [];
          if (committed.status === "ended" || committed.status === "failed")
            return { status: "idle", gasUsed: 0n };
          let used = 0n;
          try {
            const r = run(gas, false, (ctx) => {
              const step = steps[committed.pc];
              step?.(ctx, committed.mem.get("args") ?? new Uint8Array());
            });
            used = r.used;
            r.work.pc = committed.pc + 1;
            r.work.status = r.work.pc >= steps.length ? "ended" : "suspended";
            committed = r.work;
            return { status: committed.status === "ended" ? "returned" : "yielded", gasUsed: used };
          } catch (e) {
            if (e instanceof OutOfGas) return { status: "out-of-gas", gasUsed: gas };
            if (e instanceof Yield && yielded) {
              // yield() inside a step: main suspends there (the rest of the step is skipped).
              yielded.work.pc = committed.pc + 1;
              yielded.work.status = yielded.work.pc >= steps.length ? "ended" : "suspended";
              committed = yielded.work;
              return {
                status: committed.status === "ended" ? "returned" : "yielded",
                gasUsed: yielded.used(),
              };
            }
            committed = { ...cloneState(committed), status: "failed" };
            return { status: "trapped", gasUsed: spent(), reason: String(e) };
          }
        },
        call(origin, input, gas) {
          try {
            const r = run(gas, true, (ctx) => (def.call ? def.call(ctx, origin, input) : new Uint8Array()));
            if (r.value instanceof Uint8Array) {
              committed = r.work;
              return { output: { success: true, value: r.value }, gasUsed: r.used };
            }
            return {
              output: { success: false, value: { tag: "Actor", value: r.value.error } },
              gasUsed: r.used,
            };
          } catch (e) {
            const tag = e instanceof OutOfGas ? "OutOfGas" : e instanceof Yield ? "YieldInCall" : "Trap";
            const gasUsed = tag === "OutOfGas" ? gas : spent();
            return { output: { success: false, value: { tag, value: undefined } } as CallOutput, gasUsed };
          }
        },
        payout(now) {
          return def.payout ? def.payout(committed.mem, now) : 0n;
        },
        dependencies: () => [],
        snapshot: () => imageOf(name, committed),
      };
      return instance;
    },
  };
  return program;
}
