/**
 * Real Wasm actors for pov tests, in WAT. The "counter" actor keeps a u32 counter at address 0; its
 * `main` adds 100 and yields, forever; its `call` runs one op chosen by the first input byte.
 */

import { actorId, type CodeHash, type Hash } from "../../src/codec/ids.ts";
import { CallOutput } from "../../src/codec/types.ts";
import { blake2b256 } from "../../src/crypto/blake2b.ts";
import type { DraftItem } from "../../src/pov/build.ts";
import type { CodeSource } from "../../src/pov/types.ts";
import type { Engine } from "../../src/vm/engine.ts";
import { programFromWat } from "../../src/vm/testing.ts";
import { createWasmEngine } from "../../src/vm/wasm-engine.ts";
import type { Fixture } from "./fixtures.ts";
import { roomyView } from "./fixtures.ts";

export const OP = {
  inc: 1,
  fail: 2,
  trap: 3,
  spin: 4,
  yield: 5,
  callActor: 6,
  send: 7,
  recv: 8,
  lookup: 9,
  origin: 10,
  sendThenFail: 11,
  transfer: 12,
  log: 13,
  callThenTrap: 14,
} as const;

/** The host imports every op actor has; `extraImports` go before `log`. */
const BASE_IMPORTS = `(import "coreplay" "input" (func $input (param i32 i32) (result i32)))
  (import "coreplay" "reply" (func $reply (param i32 i32)))
  (import "coreplay" "result" (func $result (param i32 i32) (result i32)))
  (import "coreplay" "yield" (func $yield))
  (import "coreplay" "call_actor" (func $call_actor (param i32 i32 i32) (result i32)))
  (import "coreplay" "send" (func $send (param i32 i32 i32) (result i32)))
  (import "coreplay" "recv" (func $recv (result i32)))
  (import "coreplay" "lookup" (func $lookup (param i32) (result i32)))
  (import "coreplay" "transfer" (func $transfer (param i32 i32) (result i32)))`;

/** The body of each op of an op actor's `call`, by op code (input[0]); input[1..] is at 1025. */
const OP_BODY: Record<number, string> = {
  1: `(call $bump (i32.const 1))
      (return (call $ok (i32.load (i32.const 0))))`,
  2: `(call $bump (i32.const 1))
      (drop (call $ok (i32.const 7)))
      (return (i32.const 1))`,
  3: `(call $bump (i32.const 1))
      (unreachable)`,
  4: "(loop $spin (call $bump (i32.const 1)) (br $spin))",
  5: `(call $bump (i32.const 1))
      (call $yield)
      (return (call $ok (i32.const 5)))`,
  // call_actor(id = input[1..5], data = input[5..]); reply = status ++ first 4 bytes of the result
  6: `(local.set $r (call $call_actor (i32.load (i32.const 1025)) (i32.const 1029)
        (i32.sub (local.get $len) (i32.const 5))))
      (call $bump (i32.const 1))
      (i32.store (i32.const 20) (i32.const 0))
      (drop (call $result (i32.const 20) (i32.const 4)))
      (i32.store (i32.const 16) (local.get $r))
      (call $reply (i32.const 16) (i32.const 8))
      (return (i32.const 0))`,
  7: `(return (call $ok (call $send (i32.load (i32.const 1025)) (i32.const 1029)
        (i32.sub (local.get $len) (i32.const 5)))))`,
  8: `(local.set $r (call $recv))
      (if (i32.ge_s (local.get $r) (i32.const 0)) (then (call $bump (i32.const 1000))))
      (return (call $ok (local.get $r)))`,
  9: `(local.set $r (call $lookup (i32.const 1025)))
      (if (i32.ge_s (local.get $r) (i32.const 0)) (then
        (drop (call $result (i32.const 2048) (i32.const 64)))
        (call $bump (i32.load8_u (i32.const 2048)))))
      (return (call $ok (local.get $r)))`,
  10: `(i64.store (i32.const 16) (local.get $origin))
      (call $reply (i32.const 16) (i32.const 8))
      (return (i32.const 0))`,
  11: `(drop (call $send (i32.load (i32.const 1025)) (i32.const 1029) (i32.sub (local.get $len) (i32.const 5))))
      (call $bump (i32.const 1))
      (drop (call $ok (i32.const 9)))
      (return (i32.const 1))`,
  12: "(return (call $ok (call $transfer (i32.load (i32.const 1025)) (i32.const 1029))))",
  13: `(call $log (i32.const 1025) (i32.sub (local.get $len) (i32.const 1)))
      (return (call $ok (i32.const 0)))`,
  14: `(drop (call $call_actor (i32.load (i32.const 1025)) (i32.const 1029)
        (i32.sub (local.get $len) (i32.const 5))))
      (unreachable)`,
  15: "(return (call $ok (call $set_code (i32.const 1025) (i32.const 0) (i32.const 4))))",
  16: "(return (call $ok (call $store (i32.const 1025) (i32.sub (local.get $len) (i32.const 1)) (i32.const 2048))))",
  17: "(return (call $ok (call $request (i32.const 1025))))",
  18: "(return (call $ok (call $release (i32.const 1025))))",
};

/**
 * An op actor in WAT: a u32 counter at address 0, a `main` that adds `step` and yields forever, and a
 * `call` that runs the op its first input byte names (one of `ops`, else replies -1). The counter
 * actor here and the harness's property actor (test/harness/prop-actor.ts) are both made by it.
 */
export function opActorWat(o: {
  step: number;
  ops: readonly number[];
  /** Most input bytes `call` reads. */
  inputMax: number;
  /** `call` logs the op byte first. */
  logOp?: boolean;
  /** Further host imports (before `log`), for the ops that need them. */
  extraImports?: string;
  /** Further functions (`payout`, `upgrade`, ...), placed before and after `call`. */
  beforeCall?: string;
  afterCall?: string;
}): string {
  const cases = o.ops.map(
    (code) => `    (if (i32.eq (local.get $op) (i32.const ${code})) (then
      ${OP_BODY[code]}))`,
  );
  return `(module
  ${BASE_IMPORTS}${o.extraImports ? `\n  ${o.extraImports}` : ""}
  (import "coreplay" "log" (func $log (param i32 i32)))
  (memory (export "memory") 1)
  (func $bump (param $d i32)
    (i32.store (i32.const 0) (i32.add (i32.load (i32.const 0)) (local.get $d))))
  (func $ok (param $v i32) (result i32)
    (i32.store (i32.const 16) (local.get $v))
    (call $reply (i32.const 16) (i32.const 4))
    (i32.const 0))
  (func (export "main")
    (loop $forever
      (call $bump (i32.const ${o.step}))
      (call $yield)
      (br $forever)))${o.beforeCall ? `\n  ${o.beforeCall}` : ""}
  (func (export "call") (param $origin i64) (result i32)
    (local $len i32) (local $op i32) (local $r i32)
    (local.set $len (call $input (i32.const 1024) (i32.const ${o.inputMax})))
    (local.set $op (i32.load8_u (i32.const 1024)))${o.logOp ? "\n    (call $log (i32.const 1024) (i32.const 1))" : ""}
${cases.join("\n")}
    (call $ok (i32.const -1)))${o.afterCall ? `\n  ${o.afterCall}` : ""})`;
}

const COUNTER_WAT = opActorWat({
  step: 100,
  ops: Object.values(OP),
  inputMax: 4096,
  afterCall: `(func (export "payout") (param $now i64) (result i64)
    (i64.extend_i32_u (i32.load (i32.const 0))))`,
});

/** The counter actor as a program blob. */
export const counterBlob = (): Uint8Array => programFromWat(COUNTER_WAT, { name: "counter" });

const u32le = (n: number): number[] => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];

/** Input bytes for one op of the counter actor. */
export function op(code: number, to?: number, data: Uint8Array | number[] = []): Uint8Array {
  return new Uint8Array([code, ...(to === undefined ? [] : u32le(to)), ...data]);
}

export const wcall = (actor: number, input: Uint8Array): DraftItem => ({
  actor: actorId(actor),
  entry: { tag: "Call", value: { input } },
});

/** A recorded Call output as the first i32 of its reply, or `err:<CallError>`. */
export function replyOf(output: Uint8Array): number | string {
  const o = CallOutput.dec(output);
  if (!o.success) return `err:${o.value.tag}`;
  return new DataView(o.value.buffer, o.value.byteOffset).getInt32(0, true);
}

/** The i32 pair (status, callee's first reply word) of a `callActor` op's reply. */
export function replyPair(output: Uint8Array): [number, number] | string {
  const o = CallOutput.dec(output);
  if (!o.success) return `err:${o.value.tag}`;
  const v = new DataView(o.value.buffer, o.value.byteOffset);
  return [v.getInt32(0, true), v.getInt32(4, true)];
}

/** A relay view, code source and pre images for counter actors on the real Wasm engine. */
export function setupWasm(
  actors: Array<{ id: number; balance?: bigint; sequence?: bigint }>,
  opts: { coreGas?: bigint; callGas?: bigint; engine?: Engine } = {},
): Fixture {
  const engine = opts.engine ?? createWasmEngine();
  const blob = counterBlob();
  const codeHash = blake2b256(blob) as Uint8Array as CodeHash;
  const codes: CodeSource = {
    code: (h) => (Buffer.from(h).equals(Buffer.from(codeHash)) ? blob : undefined),
  };
  const image = engine.load(blob).createImage(new Uint8Array());
  const pre = new Map(actors.map((a) => [a.id, image.encode()]));
  return {
    engine,
    codes,
    pre,
    slabs: actors.map((a) => ({ actor: actorId(a.id), pre: pre.get(a.id) as Uint8Array })),
    view: {
      relayParent: blake2b256(new TextEncoder().encode("wasm parent")),
      now: 3,
      coreGas: opts.coreGas ?? 50_000_000n,
      callGas: opts.callGas ?? 5_000_000n,
      actors: actors.map((a) => ({
        actor: actorId(a.id),
        codeHash,
        sequence: a.sequence ?? 0n,
        stateHash: image.hash as Uint8Array as Hash,
        balance: a.balance ?? 1000n,
      })),
      ...roomyView(),
    },
  };
}
