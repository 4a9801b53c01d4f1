/**
 * The `coreplay.*` import bindings (docs/abi.md, "Host functions"): argument marshalling through the
 * actor's memory, gas charging (src/vm/gas.ts) and the per-entry rules (which entries may call what).
 * The effects themselves belong to the {@link HostEnv} given by `pov`.
 */
import { type ActorId, actorId, type CodeHash, type Hash } from "../codec/ids.ts";
import { Message } from "../codec/types.ts";
import { ABI_MODULE, CALL_STATUS, type HostFunctionName } from "./abi.ts";
import type { HostEnv } from "./engine.ts";
import { hostCost } from "./gas.ts";
import { withCallerDepth } from "./nesting.ts";

/** Why an import aborted the entry (thrown through Wasm, caught by the instance). */
export class HostAbort extends Error {
  constructor(
    readonly kind: "OutOfGas" | "Trap" | "YieldInCall",
    why: string,
  ) {
    super(why);
  }
}

/** What runs: `init` = start/_initialize, `inspect` = payout/dependencies, `upgrade` (DESIGN §10). */
export type EntryKind = "init" | "main" | "call" | "inspect" | "upgrade";

/** Host functions an inspector (`payout`, `dependencies`) may use: pure ones only (DESIGN §5). */
const INSPECT_ALLOWED = new Set<HostFunctionName>(["input", "reply", "result", "gas_left", "self_id", "now"]);
/** `upgrade` runs at canonicalisation, outside any play: it reads its input and computes, nothing more. */
const UPGRADE_ALLOWED = new Set<HostFunctionName>(["input", "result", "gas_left", "self_id"]);

/** The runtime side the bindings need (implemented by the actor instance). */
export interface HostRuntime {
  readonly actor: ActorId;
  readonly kind: EntryKind;
  readonly host: HostEnv | undefined;
  readonly input: Uint8Array;
  reply: Uint8Array;
  resultBuffer: Uint8Array;
  /** Decrements `__cp_gas`; throws HostAbort("OutOfGas") when it cannot. */
  charge(gas: bigint): void;
  gasLeft(): bigint;
  /** The current call depth (`__cp_depth`), where a nested `call_actor` callee starts. */
  depth(): number;
  /** Copies `len` bytes at `ptr` of logical memory; HostAbort("Trap") when out of bounds. */
  read(ptr: number, len: number): Uint8Array;
  /** Writes into logical memory (and marks the pages dirty); HostAbort("Trap") when out of bounds. */
  write(ptr: number, bytes: Uint8Array): void;
  /** `yield` / `preempt`: start (or finish) an Asyncify unwind. */
  suspend(reason: "yield" | "preempt"): void;
  /** `fibre_spawn` (DESIGN §13): the new fibre's id, or a negative HOST_ERROR. */
  spawn(entry: number, arg: number): number;
  /** `fibre_wait`: 1 when the condition already holds, 0 when armed for the next yield, or a HOST_ERROR. */
  armWait(kind: number, value: number): number;
  /** `fibre_self`: the running fibre's id, -1 outside one. */
  readonly fibre: number;
}

const u32 = (n: number) => n >>> 0;

function readHash(rt: HostRuntime, ptr: number): Hash {
  return rt.read(ptr, 32) as Hash;
}

function u128le(b: Uint8Array): bigint {
  let v = 0n;
  for (let i = 15; i >= 0; i--) v = (v << 8n) | BigInt(b[i]);
  return v;
}

function toU128le(v: bigint): Uint8Array {
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}

/**
 * Builds the import object for one instance. `preempt` is the instrumenter's internal import for
 * preemptible programs (src/vm/instrument/layout.ts).
 */
export function createHostImports(rt: HostRuntime): WebAssembly.Imports {
  /** Gatekeeper: entry rules and the base charge, then the host env (absent only for init). */
  const enter = (name: HostFunctionName, bytes = 0): HostEnv => {
    if (
      rt.kind === "init" ||
      (rt.kind === "inspect" && !INSPECT_ALLOWED.has(name)) ||
      (rt.kind === "upgrade" && !UPGRADE_ALLOWED.has(name))
    ) {
      throw new HostAbort("Trap", `host function ${name} is not available in ${rt.kind}`);
    }
    rt.charge(hostCost(name, bytes));
    return rt.host as HostEnv;
  };
  const setResult = (b: Uint8Array): number => {
    rt.resultBuffer = b;
    return b.byteLength;
  };

  const coreplay: Record<HostFunctionName, (...args: never[]) => unknown> = {
    input(ptr: number, len: number): number {
      const n = Math.min(u32(len), rt.input.byteLength);
      enter("input", n);
      rt.write(ptr, rt.input.subarray(0, n));
      return rt.input.byteLength;
    },
    reply(ptr: number, len: number): void {
      enter("reply", u32(len));
      rt.reply = rt.read(ptr, len);
    },
    result(ptr: number, len: number): number {
      const n = Math.min(u32(len), rt.resultBuffer.byteLength);
      enter("result", n);
      rt.write(ptr, rt.resultBuffer.subarray(0, n));
      return rt.resultBuffer.byteLength;
    },
    yield(): void {
      rt.suspend("yield");
    },
    gas_left(): bigint {
      enter("gas_left");
      return rt.gasLeft();
    },
    self_id(): number {
      enter("self_id");
      return rt.actor | 0;
    },
    now(): number {
      enter("now");
      return (rt.host?.now ?? 0) | 0;
    },
    coscheduled(): number {
      const ids = (rt.host?.coscheduled() ?? []).slice().sort((a, b) => a - b);
      enter("coscheduled", 4 * ids.length);
      const out = new Uint8Array(4 * ids.length);
      const view = new DataView(out.buffer);
      for (let i = 0; i < ids.length; i++) view.setUint32(4 * i, ids[i], true);
      return setResult(out) / 4;
    },
    call_actor(id: number, ptr: number, len: number): number {
      const host = enter("call_actor", u32(len));
      const data = rt.read(ptr, len);
      const left = rt.gasLeft();
      const { output, gasUsed } = withCallerDepth(rt.depth(), () =>
        host.callActor(actorId(u32(id)), data, left),
      );
      // biome-ignore lint/complexity/useMathMinMax: bigint operands
      rt.charge(gasUsed < left ? gasUsed : left);
      if (output.success) {
        setResult(output.value);
        return CALL_STATUS.Ok;
      }
      const e = output.value;
      setResult(e.tag === "Actor" ? e.value : new Uint8Array());
      return CALL_STATUS[e.tag];
    },
    send(to: number, ptr: number, len: number): number {
      const host = enter("send", u32(len));
      return host.send(actorId(u32(to)), rt.read(ptr, len));
    },
    recv(): number {
      const host = enter("recv");
      const msg = host.recv();
      if (msg === undefined) return -1;
      const bytes = Message.enc(msg);
      rt.charge(hostCost("recv", bytes.byteLength) - hostCost("recv"));
      return setResult(bytes);
    },
    lookup(hashPtr: number): number {
      const host = enter("lookup");
      const pre = host.lookup(readHash(rt, hashPtr));
      if (pre === undefined) return -1;
      rt.charge(hostCost("lookup", pre.byteLength) - hostCost("lookup"));
      return setResult(pre);
    },
    request(hashPtr: number): number {
      return enter("request").request(readHash(rt, hashPtr));
    },
    store(ptr: number, len: number, outPtr: number): number {
      const host = enter("store", u32(len));
      const r = host.store(rt.read(ptr, len));
      if (r.code === 0 && r.hash !== undefined) rt.write(outPtr, r.hash);
      return r.code;
    },
    release(hashPtr: number): number {
      return enter("release").release(readHash(rt, hashPtr));
    },
    balance(outPtr: number): void {
      const host = enter("balance");
      rt.write(outPtr, toU128le(host.balance()));
    },
    transfer(to: number, amountPtr: number): number {
      const host = enter("transfer");
      return host.transfer(actorId(u32(to)), u128le(rt.read(amountPtr, 16)));
    },
    set_code(hashPtr: number, carryPtr: number, carryLen: number): number {
      const host = enter("set_code", u32(carryLen));
      return host.setCode(readHash(rt, hashPtr) as Uint8Array as CodeHash, rt.read(carryPtr, carryLen));
    },
    log(ptr: number, len: number): void {
      const host = enter("log", u32(len));
      host.log(new TextDecoder("utf-8", { fatal: false }).decode(rt.read(ptr, len)));
    },
    fibre_spawn(entry: number, arg: number): number {
      enter("fibre_spawn");
      return rt.spawn(u32(entry), u32(arg));
    },
    fibre_wait(kind: number, value: number): number {
      enter("fibre_wait");
      return rt.armWait(kind, u32(value));
    },
    fibre_self(): number {
      enter("fibre_self");
      return rt.fibre;
    },
  };
  return {
    [ABI_MODULE]: coreplay as unknown as WebAssembly.ModuleImports,
    coreplay_internal: { preempt: () => rt.suspend("preempt") },
  };
}
