/**
 * A kernel from a real actor for the engine bench (issue 18 §3): `examples/ledger` serving transfers
 * between accounts of one branch, one `call` per transfer. The same compiled Wasm runs plain (stub
 * imports: `main` is run to its first `yield`, which the stub ends by throwing) and through the engine,
 * so the ratio measures the instrumentation plus what the engine does around each call (entry, input,
 * reply, dirty pages): what an actor pays.
 */

import { buildProgram } from "../src/build/index.ts";
import { actorId } from "../src/codec/ids.ts";
import { u32, u128 } from "../src/codec/types.ts";
import { noHostEnv } from "../src/vm/engine.ts";
import { createWasmEngine } from "../src/vm/wasm-engine.ts";

/** Accounts the transfers go round (each pays the next 1 unit, so balances never run out). */
const ACCOUNTS = 64;
/** Transfers per kernel run. */
export const LEDGER_TRANSFERS = 4000;
const GAS = (1n << 62n) - 1n;
const AGENDA = -1n;

const key = (n: number) => new Uint8Array(32).fill(n + 1);
const cat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));
const mint = (k: Uint8Array) => cat(Uint8Array.of(0x01), k, u128.enc(1_000_000n));
const transfer = (from: number, to: number) =>
  cat(Uint8Array.of(0x02), key(from), u32.enc(0), key(to), u128.enc(1n));
const ARGS = cat(u32.enc(0), u32.enc(ACCOUNTS * 2), u128.enc(10n));

/** Runs one reply-returning call; returns its reply bytes. */
type Call = (input: Uint8Array) => Uint8Array;

export interface LedgerKernel {
  /** Runs {@link LEDGER_TRANSFERS} transfers; returns a checksum of their replies. */
  plain: () => number;
  coop: () => number;
  pre: () => number;
}

const inputs = Array.from({ length: LEDGER_TRANSFERS }, (_, i) => transfer(i % ACCOUNTS, (i + 1) % ACCOUNTS));

function kernel(call: Call): () => number {
  for (let a = 0; a < ACCOUNTS; a++) call(mint(key(a)));
  return () => {
    let sum = 0;
    for (const input of inputs) {
      const r = call(input);
      sum = (sum * 31 + r.length + (r[0] ?? 0)) | 0;
    }
    return sum;
  };
}

class Yielded extends Error {}

function plainCall(wasm: Uint8Array): Call {
  const module = new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>);
  let current: Uint8Array = ARGS;
  let out: Uint8Array = new Uint8Array();
  let memory: WebAssembly.Memory;
  const bytes = () => new Uint8Array(memory.buffer);
  const inst = new WebAssembly.Instance(module, {
    coreplay: {
      log: () => {},
      input: (ptr: number, len: number) => {
        bytes().set(current.subarray(0, len), ptr);
        return current.byteLength;
      },
      yield: () => {
        throw new Yielded();
      },
      send: () => 0,
      result: () => 0,
      reply: (ptr: number, len: number) => {
        out = bytes().slice(ptr, ptr + len);
      },
      recv: () => -1,
    },
  });
  memory = inst.exports.memory as WebAssembly.Memory;
  (inst.exports._initialize as (() => void) | undefined)?.();
  try {
    (inst.exports.main as () => void)();
  } catch (e) {
    if (!(e instanceof Yielded)) throw e;
  }
  const call = inst.exports.call as (origin: bigint) => number;
  return (input) => {
    current = input;
    out = new Uint8Array();
    if (call(AGENDA) !== 0) throw new Error("ledger (plain): a call failed");
    return out;
  };
}

function engineCall(blob: Uint8Array, preemptible: boolean): Call {
  const program = createWasmEngine({ trackWrites: true }).load(blob);
  if (program.metadata.preemptible !== preemptible) throw new Error("ledger: built in the wrong mode");
  const self = actorId(1);
  const actor = program.instantiate(self, program.createImage(ARGS), {
    ...noHostEnv(self),
    log: () => {},
    recv: () => undefined,
  });
  const s = actor.service(GAS);
  if (s.status !== "yielded") throw new Error(`ledger main: ${s.status} ${s.reason ?? ""}`);
  return (input) => {
    const r = actor.call(null, input, GAS);
    if (!r.output.success) throw new Error(`ledger: a call failed: ${JSON.stringify(r.output.value)}`);
    return r.output.value;
  };
}

/** Builds the ledger both ways and returns its three runners, checked to agree. */
export async function ledgerKernel(): Promise<LedgerKernel> {
  const path = new URL("../examples/ledger", import.meta.url).pathname;
  const coop = await buildProgram(path, { preemptible: false });
  const pre = await buildProgram(path, { preemptible: true });
  const k = {
    plain: kernel(plainCall(coop.wasm)),
    coop: kernel(engineCall(coop.blob, false)),
    pre: kernel(engineCall(pre.blob, true)),
  };
  const expected = k.plain();
  if (k.coop() !== expected || k.pre() !== expected) throw new Error("ledger: results differ");
  return k;
}
